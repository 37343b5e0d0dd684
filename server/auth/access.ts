import { eq, sql, type Column, type SQL } from "drizzle-orm";
import type { Principal } from "./model";

/**
 * What a caller may see of owned objects: agents and sessions (approvals through their session).
 * Admins see everything; a `user` key what it created (the `owner_key_id` it stamped); a stream token
 * its one session. The route policy (server/http/route-policy.ts) decides who reaches a route at all;
 * this decides which rows. Another's object is answered 404, as if it did not exist.
 *
 * Teams (issue 21) will widen `owner` to the teams a caller belongs to; callers only ever use the
 * helpers below, so that change stays here and in the owner columns.
 */
export type Scope = { all: true } | { all: false; ownerKeyId?: string; sessionId?: string };

/** Everything: admins, and LAP's own callers (workers, Slack) that act for an admin. */
export const ALL: Scope = { all: true };

export function scopeOf(p: Principal): Scope {
  if (p.kind === "admin") return ALL;
  if (p.kind === "user" && p.keyId) return { all: false, ownerKeyId: p.keyId };
  if (p.kind === "stream" && p.sessionId) return { all: false, sessionId: p.sessionId };
  // Gateway and session keys never reach owned objects (the route policy); nothing, if they did.
  return { all: false };
}

/** The owner stamped on what this caller creates (null: the master key; admins only then). */
export const ownerOf = (p: Principal): string | null => p.keyId ?? null;

/** Whether the scope covers a row with this owner (and, for sessions, this id). */
export function covers(scope: Scope, owner: string | null, sessionId?: string): boolean {
  if (scope.all) return true;
  if (scope.ownerKeyId && owner === scope.ownerKeyId) return true;
  return Boolean(scope.sessionId && sessionId && scope.sessionId === sessionId);
}

/** The SQL filter for a list (undefined: no filter). `idColumn` is the session id column, where there is one. */
export function ownedWhere(scope: Scope, ownerColumn: Column, idColumn?: Column): SQL | undefined {
  if (scope.all) return undefined;
  if (scope.ownerKeyId) return eq(ownerColumn, scope.ownerKeyId);
  if (scope.sessionId && idColumn) return eq(idColumn, scope.sessionId);
  return sql`false`;
}

/**
 * May this caller decide a tool call of a session with this owner? An admin or the session's owner, and
 * never a key bound to a session or an agent: what runs in a sandbox must not approve its own calls.
 */
export function mayDecide(p: Principal, sessionOwner: string | null): boolean {
  if (p.sessionId || p.agentId) return false;
  if (p.kind === "admin") return true;
  return p.kind === "user" && p.keyId !== undefined && p.keyId === sessionOwner;
}
