/**
 * The provider for LAP_SANDBOX=bubblewrap|process: a sandbox on this host, with the harness from this
 * checkout, its egress proxy and its limits, all read from configuration. SandboxService (service.ts)
 * builds it on first use; Kubernetes comes in already started instead (server/main.ts).
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { rootCertificates } from "node:tls";
import { fileURLToPath } from "node:url";
import type { Logger } from "../lib/logger";
import type { DestinationGuard } from "../net/destinations";
import { egressFactory } from "./egress";
import type { EgressCa } from "./egress/ca";
import type { EgressPolicies } from "./egress/policy";
import type { EgressRecordStore } from "./egress/records";
import type { HostSandboxProvider } from "./host/host-provider";
import type { Upstream } from "./host/lap-sockets";
import { parseUidRange } from "./host/sandbox-user";
import { LocalSandboxProvider } from "./local-provider";
import { ProcessSandboxProvider } from "./process-provider";
import type { SandboxSettings } from "./settings";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** OpenClaw's own install (harness/adapters/binaries.ts): LAP_OPENCLAW_DIR, else `.tools/openclaw` when present. */
function localOpenclawDir(configured: string | undefined): string | undefined {
  if (configured) return resolve(configured);
  const dir = join(REPO, ".tools", "openclaw");
  return existsSync(join(dir, "node_modules", "openclaw")) ? realpathSync(dir) : undefined;
}

/** Extra CAs for the upstream side of swapped HTTPS requests (a private API's CA), besides the system's. */
export function upstreamTlsFrom(caFile: string | undefined): { ca: string[] } | undefined {
  return caFile ? { ca: [...rootCertificates, readFileSync(caFile, "utf8")] } : undefined;
}

export interface HostProviderParts {
  settings: SandboxSettings;
  hostId: string;
  logger: Logger;
  lapUpstream: () => Upstream;
  policies: EgressPolicies;
  egressRecords: EgressRecordStore;
  destinations: DestinationGuard;
  egressCa: EgressCa;
}

export function hostProviderFor(p: HostProviderParts): HostSandboxProvider {
  const e = p.settings;
  const opts = {
    dataDir: resolve(e.LAP_DATA_DIR),
    lapUpstream: p.lapUpstream,
    bunPath: realpathSync(process.execPath),
    harnessRoot: join(REPO, "harness"),
    nodeModules: join(REPO, "node_modules"),
    harnessBinDir: e.LAP_HARNESS_BIN_DIR ? resolve(e.LAP_HARNESS_BIN_DIR) : undefined,
    openclawDir: localOpenclawDir(e.LAP_OPENCLAW_DIR),
    egress: egressFactory(p.policies, p.egressRecords, p.logger, {
      destinations: p.destinations,
      ca: p.egressCa,
      upstreamTls: upstreamTlsFrom(e.EGRESS_UPSTREAM_CA_FILE),
    }),
    egressCa: p.egressCa,
    logger: p.logger.child({ module: "sandboxes" }),
    defaultLimits: {
      memoryMb: e.SANDBOX_MEMORY_MB || undefined,
      maxProcesses: e.SANDBOX_MAX_PROCESSES || undefined,
      cpuSeconds: e.SANDBOX_CPU_SECONDS || undefined,
    },
    hostId: p.hostId,
    sandboxUids: parseUidRange(e.LAP_SANDBOX_UIDS),
    orphanGraceSeconds: e.LAP_SANDBOX_ORPHAN_GRACE_SECONDS,
    onExit: (h: { id: string; error?: string }) =>
      p.logger.warn({ sandbox_id: h.id, error: h.error }, "sandbox exited; its session recovers on the next call"),
  };
  return e.LAP_SANDBOX === "process" ? new ProcessSandboxProvider(opts) : new LocalSandboxProvider(opts);
}
