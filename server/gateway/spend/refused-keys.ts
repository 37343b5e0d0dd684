import { bearerToken } from "../../http/auth-guard";
import type { Database } from "../../db/client";
import { sha256Hex } from "../../lib/crypto";
import type { ApiError } from "../../lib/errors";
import type { SpendWriter } from "./writer";

interface KeySql {
  id: string;
  label: string;
  revoked_at: Date | string | null;
  expires_at: Date | string | null;
  key_alias: string | null;
  session_id: string | null;
  agent_id: string | null;
}

/** The routes that call a model (and their LiteLLM aliases): admin routes' refusals are not model calls. */
const MODEL_CALL = /^\/(?:v1\/)?(?:chat\/completions|messages|responses|completions|embeddings)$/;

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

/**
 * Logs a gateway call refused with 401 because its key was revoked or has expired (a session's key
 * after the session ended, or after its 24 hours), so Logs & spend says why an agent's calls failed.
 * Only keys LAP issued are logged: an unknown token leaves no row, so anonymous callers cannot fill
 * the log (and the auth backoff already slows them down; docs/security.md).
 */
export function refusedKeyRecorder(deps: { database: Database; spend: SpendWriter; now?: () => number }) {
  return async (request: Request, error: ApiError, requestId: string | undefined): Promise<void> => {
    if (error.status !== 401 || request.method !== "POST" || !MODEL_CALL.test(new URL(request.url).pathname)) return;
    const token = bearerToken(request);
    if (!token) return;
    const keyHash = sha256Hex(token);
    const [key] = await deps.database.query<KeySql>(
      `select k.id, k.label, k.revoked_at, k.expires_at, g.key_alias, g.session_id, g.agent_id
         from api_keys k left join gateway_keys g on g.key_id = k.id where k.key_hash = $1`,
      [keyHash],
    );
    if (!key) return;
    const now = deps.now?.() ?? Date.now();
    const why = key.revoked_at
      ? `The key ${key.key_alias ?? key.label} was revoked at ${iso(key.revoked_at)}`
      : key.expires_at && new Date(key.expires_at).getTime() <= now
        ? `The key ${key.key_alias ?? key.label} expired at ${iso(key.expires_at)}`
        : null;
    if (!why) return;
    const at = new Date(now);
    deps.spend.push({
      requestId: requestId ?? crypto.randomUUID(),
      keyHash,
      keyId: key.id,
      keyAlias: key.key_alias ?? key.label,
      route: new URL(request.url).pathname,
      status: "failure",
      httpStatus: 401,
      error: `${why}${key.session_id ? " (a session's key ends with its session)" : ""}`,
      sessionId: key.session_id,
      agentId: key.agent_id,
      startTime: at,
      endTime: at,
    });
  };
}
