/**
 * How a host sandbox provider (./host-provider.ts) is set up, in its own file so the provider's helpers
 * (./adoption.ts, ./leftovers.ts) name these types without importing the provider back.
 */
import type net from "node:net";
import type { Logger } from "../../lib/logger";
import type { EgressCa } from "../egress/ca";
import type { SandboxHandle, SandboxSpec } from "../provider";
import type { Upstream } from "./lap-sockets";
import type { UidRange } from "./sandbox-user";

/** Makes the per-sandbox egress proxy server (see ../egress); null = no web access at all. */
export type EgressServerFactory = (sandbox: { id: string; spec: SandboxSpec }) => net.Server | null;

export interface HostProviderOptions {
  dataDir: string;
  /** Where LAP's HTTP server listens; read when a sandbox connects (PORT may be 0 until listen). */
  lapUpstream: () => Upstream;
  bunPath: string;
  harnessRoot: string;
  nodeModules?: string;
  /** LAP_HARNESS_BIN_DIR: the harness CLIs' binaries, when they are not taken from nodeModules. */
  harnessBinDir?: string;
  /** LAP_OPENCLAW_DIR: OpenClaw's own install (its package and Node), for the openclaw harness. */
  openclawDir?: string;
  egress?: EgressServerFactory;
  /** With egress: sandboxes trust this CA (bundle at <run dir>/ca-bundle.pem) so bound HTTPS hosts can be swapped. */
  egressCa?: EgressCa;
  logger: Logger;
  /** Told when a sandbox's process ends without LAP asking (crash, kill, OOM): recovery hooks in here. */
  onExit?: (handle: SandboxHandle) => void;
  defaultLimits?: SandboxLimitsDefaults;
  /** This machine's id (Config.hostId); default: the id kept in dataDir/host-id. */
  hostId?: string;
  /** LAP as root: the host uids sandboxes run as (LAP_SANDBOX_UIDS; default sandbox-user.ts). */
  sandboxUids?: UidRange;
  /**
   * LAP_SANDBOX_ORPHAN_GRACE_SECONDS, for providers whose sandboxes can be adopted (local): they
   * outlive a LAP that dies for this long and the next start adopts them. 0/unset: they die with LAP.
   */
  orphanGraceSeconds?: number;
}
export type SandboxLimitsDefaults = NonNullable<SandboxSpec["limits"]>;
