import { eq } from "drizzle-orm";
import { teamMembers, users, type ApiKeyRow, type TeamRole, type UserRow } from "../../schema";
import type { Database } from "../db/client";
import type { CallerKind, Principal } from "./model";

const CACHE_TTL_MS = 5_000;

export interface Identity {
  user: UserRow;
  teams: Record<string, TeamRole>;
}

/**
 * A user and their team roles, as every request needs them: cached a few seconds per replica, cleared
 * here at once when this replica changes a user or a membership (another replica sees it within
 * CACHE_TTL_MS). A disabled or deleted user resolves to null, which ends its keys and sign-ins.
 */
export class Identities {
  private cache = new Map<string, { value: Identity | null; until: number }>();

  constructor(private readonly deps: { database: Database; now: () => number }) {}

  async of(userId: string): Promise<Identity | null> {
    const now = this.deps.now();
    const hit = this.cache.get(userId);
    if (hit && hit.until > now) return hit.value;
    const [user] = await this.deps.database.db.select().from(users).where(eq(users.id, userId));
    let value: Identity | null = null;
    if (user && !user.disabledAt) {
      const rows = await this.deps.database.db
        .select({ teamId: teamMembers.teamId, role: teamMembers.role })
        .from(teamMembers)
        .where(eq(teamMembers.userId, userId));
      value = { user, teams: Object.fromEntries(rows.map((r) => [r.teamId, r.role])) };
    }
    this.cache.set(userId, { value, until: now + CACHE_TTL_MS });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return value;
  }

  invalidate(userId?: string) {
    if (userId) this.cache.delete(userId);
    else this.cache.clear();
  }
}

/** What a signed-in user is, as a principal: an org admin is `admin`, anyone else `user` with their teams. */
export function userPrincipal(id: Identity, via: Principal["via"], extra: Partial<Principal> = {}): Principal {
  const admin = id.user.role === "admin";
  return {
    via,
    role: admin ? "admin" : "user",
    kind: admin ? "admin" : "user",
    userId: id.user.id,
    label: id.user.email ?? id.user.name ?? id.user.id,
    teams: admin ? undefined : id.teams,
    ...extra,
  };
}

/**
 * The kind and teams of a `user` API key: a personal key acts as its user (an org admin's is `admin`),
 * narrowed to `team_id` when set; a team key (team, no user) is a `member` of its team; a key with
 * neither is in no team. null: the key's user is gone or disabled.
 */
export function keyTeams(row: ApiKeyRow, owner: Identity | null): { kind: CallerKind; teams: Record<string, TeamRole> | undefined } | null {
  if (row.userId) {
    if (!owner) return null;
    if (owner.user.role === "admin" && !row.teamId) return { kind: "admin", teams: undefined };
    if (!row.teamId) return { kind: "user", teams: owner.teams };
    // An org admin's team-restricted key is an owner there; a member's keeps its role while it has one.
    const role = owner.user.role === "admin" ? "owner" : owner.teams[row.teamId];
    return { kind: "user", teams: role ? { [row.teamId]: role } : {} };
  }
  return { kind: "user", teams: row.teamId ? { [row.teamId]: "member" } : {} };
}
