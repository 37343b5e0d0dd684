/**
 * `CONTAINER_ENV_NAME=value` on LAP becomes `NAME=value` in every sandbox, in plain text, as the
 * docs say (the agent can read it). Names that would carry LAP's own secrets or steer the supervisor
 * are never passed, even when someone sets CONTAINER_ENV_LITELLM_API_KEY by mistake.
 */
import { CONTAINER_ENV_PREFIX } from "../../config/schema";

const NEVER =
  /^(LAP_|BUN_)|^(MASTER_KEY|ENCRYPTION_KEY|DATABASE_URL|LITELLM_API_KEY|LAP_ACCESS_TOKEN|LAP_REFRESH_TOKEN|LAP_AUTH_TOKEN|HTTP_PROXY|HTTPS_PROXY|NO_PROXY)$/i;

export function containerEnv(lapEnv: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(lapEnv)) {
    if (!key.startsWith(CONTAINER_ENV_PREFIX) || value === undefined) continue;
    const name = key.slice(CONTAINER_ENV_PREFIX.length);
    if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || NEVER.test(name)) continue;
    out[name] = value;
  }
  return out;
}
