import type { Principal } from "../auth/model";
import type { SqlTx } from "../db/client";
import { forbidden } from "../lib/errors";

/**
 * Who may see and change a schedule or trigger: admins (the master key, admin keys, the dashboard)
 * everything; a user API key only what it created (others' rows are 404 to it, not 403, so it
 * cannot probe ids). Other credentials (session stream tokens) get nothing.
 */
export type OwnerScope = { all: true; keyId: string | null } | { all: false; keyId: string };

export function ownerScope(principal: Principal): OwnerScope {
  if (principal.role === "admin") return { all: true, keyId: principal.keyId ?? null };
  if (principal.via === "api_key" && principal.keyId) return { all: false, keyId: principal.keyId };
  throw forbidden("Schedules and triggers need an API key or the master key");
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
