import type { Principal } from "../../auth/model";
import type { KeyState } from "../keys/limits";

/** Who made a gateway call, as its spend row records it. */
export interface CallerIdentity {
  keyHash: string | null;
  keyId: string | null;
  keyAlias: string | null;
}

/**
 * A key hash only for a call made with a key: a dashboard session has no bearer token, so it gets a
 * null hash and `key_alias` = `session:<api key id | master>` (the principal the cookie was issued to),
 * which the `key_alias` filter of `/spend/logs` finds. `key_id` is the API key behind the session.
 */
export function callerIdentity(principal: Principal, state: KeyState | null): CallerIdentity {
  switch (principal.via) {
    case "master_key":
      return { keyHash: "master", keyId: null, keyAlias: "master key" };
    case "api_key":
      return { keyHash: principal.keyHash ?? null, keyId: principal.keyId ?? null, keyAlias: state?.row.keyAlias ?? principal.label };
    case "session":
      return { keyHash: null, keyId: principal.keyId ?? null, keyAlias: `session:${principal.keyId ?? "master"}` };
    case "stream_token":
    case "metrics_token":
      return { keyHash: null, keyId: null, keyAlias: principal.label };
  }
}
