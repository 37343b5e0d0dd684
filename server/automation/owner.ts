import type { Principal } from "../auth/model";
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
