import type { Column, SQL } from "drizzle-orm";
import type { Principal } from "../auth/model";
import { assertMay, creatorOf, scopeOf, scopeWhere, visible, type Owned } from "../auth/policy";
import type { SqlTx } from "../db/client";
import { badRequest, notFound } from "../lib/errors";

/**
 * Who may see and change a schedule or trigger (docs/security.md, "Users, teams and roles"): it belongs
 * to its agent's team, like the sessions it starts. Members of the team see it (another team's is 404);
 * its creator or a team admin changes it; admins everything. Its runs act for its creator.
 */
export interface AutomationOwner {
  teamId: string;
  ownerKeyId: string | null;
  ownerUserId: string | null;
}

const owned = (row: AutomationOwner): Owned => ({ teamId: row.teamId, ownerKeyId: row.ownerKeyId, ownerUserId: row.ownerUserId });

/** The rows a caller's lists show: its teams (narrowed by the team switcher), everything for admins. */
export const teamFilter = (p: Principal, teamColumn: Column): SQL | undefined => scopeWhere(scopeOf(p), teamColumn);

/** Read: visible, or a 404 as if it did not exist. Act (change, pause, run, rotate): its creator or a team admin. */
export function assertAccess(p: Principal, row: AutomationOwner, action: "read" | "act", what: string): void {
  if (!visible(p, owned(row))) throw notFound(what);
  if (action === "act") assertMay(p, "act", owned(row), `this ${what.toLowerCase()}`);
}

/** The owner columns a new schedule or trigger gets from its creator. */
export const ownerColumns = (p: Principal) => creatorOf(p);

/**
 * The agent a schedule or trigger runs must be one the caller may start sessions with: visible to it
 * (another team's is answered like a missing one) and in a team where it may create. Returns the
 * agent's team, which the schedule or trigger joins.
 */
export async function agentTeamFor(query: SqlTx["query"], p: Principal, agentId: string): Promise<string> {
  const [agent] = await query<{ team_id: string }>("select team_id from agents where id = $1", [agentId]);
  if (!agent || !visible(p, { teamId: agent.team_id })) {
    throw badRequest(`agent_id: no agent ${agentId}`, [{ field: "agent_id", message: `no agent with id ${agentId}` }]);
  }
  assertMay(p, "create", { teamId: agent.team_id }, "sessions of this agent");
  return agent.team_id;
}

/**
 * Why the creator of a schedule or trigger can no longer act, or null. A schedule or trigger acts for
 * whoever made it: once that key is revoked, expired or deleted, or that user disabled or no longer a
 * member of the team, it starts nothing more (no owner at all: the master key, always valid).
 */
export async function ownerProblem(
  query: SqlTx["query"],
  owner: { team_id: string; owner_key_id: string | null; owner_user_id: string | null },
  now: Date,
): Promise<string | null> {
  if (owner.owner_key_id) {
    const [key] = await query<{ revoked_at: unknown; expires_at: Date | string | null }>(
      "select revoked_at, expires_at from api_keys where id = $1",
      [owner.owner_key_id],
    );
    if (!key) return "the API key that created it no longer exists";
    if (key.revoked_at) return "the API key that created it was revoked";
    if (key.expires_at && new Date(key.expires_at).getTime() <= now.getTime()) return "the API key that created it has expired";
  }
  if (owner.owner_user_id) {
    const [user] = await query<{ disabled_at: unknown; role: string; team_role: string | null }>(
      "select u.disabled_at, u.role, m.role as team_role from users u left join team_members m on m.user_id = u.id and m.team_id = $2 where u.id = $1",
      [owner.owner_user_id, owner.team_id],
    );
    if (!user) return "the user who created it no longer exists";
    if (user.disabled_at) return "the user who created it was disabled";
    // Removed from the team (or made a viewer) since: it may no longer start sessions there.
    if (user.role !== "admin" && (!user.team_role || user.team_role === "viewer"))
      return "the user who created it may no longer start sessions in its team";
  }
  return null;
}

/** Who a run's session belongs to: the schedule's or trigger's creator. */
export const runCreator = (owner: { owner_key_id: string | null; owner_user_id: string | null }) => ({
  ownerKeyId: owner.owner_key_id,
  ownerUserId: owner.owner_user_id,
});
