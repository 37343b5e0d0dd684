/**
 * LAP's CONTAINER_ENV_* as every sandbox sees them: one filter (server/config/load.ts `containerEnvFrom`)
 * for local sandboxes and pods alike, so LAP's own secrets never pass under either provider.
 */
import { containerEnvFrom } from "../../config/load";

export const containerEnv = (lapEnv: Record<string, string | undefined>): Record<string, string> => containerEnvFrom(lapEnv);
