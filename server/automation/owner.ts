import { ALL, type Scope } from "../auth/access";
import type { Principal } from "../auth/model";
import type { SqlTx } from "../db/client";
import { badRequest, forbidden } from "../lib/errors";

/**
 * Who may see and change a schedule or trigger: admins (the master key, admin keys, the dashboard)
 * everything; a user API key only what it created (others' rows are 404 to it, not 403, so it
 * cannot probe ids). Other credentials (session stream tokens) get nothing.
 */
export type OwnerScope = { all: true; keyId: string | null } | { all: false; keyId: string };

export function ownerScope(principal: Principal): OwnerScope {
  if (principal.kind === "admin") return { all: true, keyId: principal.keyId ?? null };
  if (principal.kind === "user" && principal.keyId) return { all: false, keyId: principal.keyId };
  throw forbidden("Schedules and triggers need an admin or user key");
}

/**
 * The agent a schedule or trigger runs must be one its creator may use (docs/security.md, "Keys and
 * what each kind may do"): a user key only its own agents; another's is answered like a missing one.
 */
export async function assertAgentFor(query: SqlTx["query"], scope: OwnerScope, agentId: string): Promise<void> {
  const [agent] = await query<{ owner_key_id: string | null }>("select owner_key_id from agents where id = $1", [agentId]);
  if (!agent || (!scope.all && agent.owner_key_id !== scope.keyId)) {
    throw badRequest(`agent_id: no agent ${agentId}`, [{ field: "agent_id", message: `no agent with id ${agentId}` }]);
  }
}

/**
 * What a run acts as: the sessions it starts belong to the schedule's or trigger's owner key and may
 * use only what that key may (a user key's own agents; an admin key or the master key, any).
 */
export async function actingAs(query: SqlTx["query"], ownerKeyId: string | null): Promise<{ owner: string | null; scope: Scope }> {
  if (!ownerKeyId) return { owner: null, scope: ALL };
  const [key] = await query<{ kind: string }>("select kind from api_keys where id = $1", [ownerKeyId]);
  return { owner: ownerKeyId, scope: key?.kind === "admin" ? ALL : { all: false, ownerKeyId } };
}

/**
 * Why the key that owns a schedule or trigger can no longer act, or null. A schedule or trigger acts
 * for the key that made it: once that key is revoked, expired or deleted, it starts nothing more
 * (null owner: the master key, always valid).
 */
export async function ownerProblem(query: SqlTx["query"], ownerKeyId: string | null, now: Date): Promise<string | null> {
  if (!ownerKeyId) return null;
  const [key] = await query<{ revoked_at: unknown; expires_at: Date | string | null }>("select revoked_at, expires_at from api_keys where id = $1", [ownerKeyId]);
  if (!key) return "the API key that created it no longer exists";
  if (key.revoked_at) return "the API key that created it was revoked";
  if (key.expires_at && new Date(key.expires_at).getTime() <= now.getTime()) return "the API key that created it has expired";
  return null;
}
