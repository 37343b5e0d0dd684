/**
 * What the sandboxes module reads of LAP's configuration (docs/development.md "Layers": a module's
 * deps are its own settings, a `Pick` of the env), and the one thing of LAP's own environment that
 * goes into its sandboxes, resolved once by server/app/core.ts.
 */
import type { Env } from "../config/schema";
import { containerEnvFrom } from "../config/load";

export type SandboxSettings = Pick<
  Env,
  // Which provider, where its files live, and host sandboxes' harness and limits (host-provider-for.ts).
  | "LAP_SANDBOX"
  | "LAP_DATA_DIR"
  | "LAP_HARNESS_BIN_DIR"
  | "LAP_OPENCLAW_DIR"
  | "LAP_SANDBOX_UIDS"
  | "LAP_SANDBOX_ORPHAN_GRACE_SECONDS"
  | "SANDBOX_MEMORY_MB"
  | "SANDBOX_MAX_PROCESSES"
  | "SANDBOX_CPU_SECONDS"
  | "PREINSTALLED_GITHUB_REPO"
  // Egress: records, private hosts, the upstream CA, and the pods' proxy on Kubernetes (pod-egress-wiring.ts).
  | "EGRESS_RECORDS_RETENTION_DAYS"
  | "EGRESS_UPSTREAM_CA_FILE"
  | "LAP_ALLOW_PRIVATE_HOSTS"
  | "HOST"
  | "K8S_EGRESS_PROXY_PORT"
  | "K8S_EGRESS_PROXY_HOST"
  | "K8S_RECONCILE_INTERVAL_SECONDS"
  // The warm pool (warm-pool.ts).
  | "WARM_POOL_SIZE"
  | "WARM_POOL_TTL_MINUTES"
  | "WARM_POOL_MAX_PROVISIONING"
  | "WARM_POOL_RECENT_AGENT_HOURS"
  | "LAP_WARM_POOL_MAX_MEMORY_MB"
>;

/**
 * LAP's environment as every sandbox sees it: `CONTAINER_ENV_NAME=value` on LAP becomes `NAME=value`,
 * without names that would carry LAP's secrets (server/config/load.ts `containerEnvFrom`). The only host environment
 * the sandboxes read.
 */
export interface SandboxHostEnv {
  containerEnv: Record<string, string>;
}

/** Reads the sandbox's share of LAP's environment once, at build time (server/app/core.ts). */
export function sandboxHostEnv(rawEnv: Record<string, string | undefined>): SandboxHostEnv {
  return { containerEnv: containerEnvFrom(rawEnv) };
}

/** The module's share of LAP's loaded configuration and environment (server/app/core.ts, tests). */
export function sandboxConfigFrom(
  config: { env: SandboxSettings; hostId: string },
  rawEnv: Record<string, string | undefined>,
): { settings: SandboxSettings; hostId: string; hostEnv: SandboxHostEnv } {
  return { settings: config.env, hostId: config.hostId, hostEnv: sandboxHostEnv(rawEnv) };
}
