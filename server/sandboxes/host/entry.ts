/**
 * What a host sandbox is to its provider (./host-provider.ts): what a concrete provider launches, and
 * the entry kept per sandbox, with its round trip through the adoption record an earlier LAP left
 * (./adoption.ts), so a sandbox taken over after a restart is the same entry it was.
 */
import { lstatSync } from "node:fs";
import { join } from "node:path";
import { type SandboxHandle, SandboxError, type SandboxProviderName, type SandboxSpec } from "../provider";
import type { AdoptionRecord } from "./adoption";
import type { HarnessBundle } from "./bundle";
import type { CgroupHandle } from "./limits";
import type { SandboxLimitsDefaults } from "./options";
import type { HostUser } from "./sandbox-user";

/** What a concrete provider decides: how the supervisor is launched and what it sees. */
export interface Launch {
  command: string[];
  env: Record<string, string>;
  cwd: string;
}
export interface LaunchContext {
  id: string;
  spec: SandboxSpec;
  workspace: string;
  runDir: string;
  /** Loopback port of the egress proxy, for the process provider (bubblewrap uses the socket). */
  egressPort: number | null;
  bundle: HarnessBundle;
  /** The host user the sandbox runs as (LAP is root); null: LAP's own uid. */
  user: HostUser | null;
  /** > 0: the sandbox outlives LAP for this long (no parent-death signal) and stops itself after. */
  orphanGraceSeconds: number;
}

export interface Entry {
  handle: SandboxHandle;
  spec: SandboxSpec;
  token: string;
  runDir: string;
  proc: ReturnType<typeof Bun.spawn> | null;
  /** The launched process (LAP's child, or the adopted one) and its identity (pid:start time). */
  pid: number | null;
  identity: string | null;
  /** Adopted after a LAP restart: no child handle, its exit is watched through /proc. */
  unwatch?: () => void;
  user: HostUser | null;
  /** What LAP serves the sandbox (the LAP bridge, the egress proxy); closed when it ends. */
  servers: Array<{ close(): Promise<void> }>;
  cgroup: CgroupHandle | null;
  /** The limits applied (defaults and the spec's own), for saying which one a sandbox ran into. */
  limits: SandboxLimitsDefaults;
  stderrTail: string;
  stopping: boolean;
}

/** The entry of a sandbox an earlier LAP left running, before its supervisor answered (state provisioning). */
export function entryFromAdoption(
  record: AdoptionRecord,
  parts: { runDir: string; provider: SandboxProviderName; servers: Entry["servers"]; cgroup: CgroupHandle | null },
): Entry {
  const { runDir, provider, servers, cgroup } = parts;
  const handle: SandboxHandle = {
    id: record.id,
    provider,
    state: "provisioning",
    workspaceId: record.spec.workspaceId,
    labels: { ...record.labels },
    createdAt: new Date(record.createdAt),
    info: {
      limits: [record.limits.cpuSeconds ? "cpu" : "", ...(cgroup?.applied ?? [])].filter(Boolean).join(",") || "none",
      pid: record.pid,
      adopted: true,
    },
  };
  return {
    handle,
    spec: record.spec,
    token: record.token,
    runDir,
    proc: null,
    pid: record.pid,
    identity: record.identity,
    user: record.user,
    servers,
    cgroup,
    limits: record.limits,
    stderrTail: "",
    stopping: false,
  };
}

/** The adoption record of a live sandbox (pid and identity known). */
export function adoptionRecordOf(entry: Entry, live: { pid: number; identity: string }): AdoptionRecord {
  return {
    version: 1,
    id: entry.handle.id,
    pid: live.pid,
    identity: live.identity,
    token: entry.token,
    spec: entry.spec,
    limits: entry.limits,
    user: entry.user,
    labels: entry.handle.labels,
    createdAt: entry.handle.createdAt.toISOString(),
  };
}

/**
 * The supervisor's socket, which the sandbox's user could swap for a symbolic link to some host
 * socket: LAP talks only to a socket that is one.
 */
export function supervisorSocket(entry: Entry): string {
  const socket = join(entry.runDir, "supervisor.sock");
  if (!lstatSync(socket, { throwIfNoEntry: false })?.isSocket())
    throw new SandboxError("failed", `sandbox ${entry.handle.id}: ${socket} is not a socket`);
  return socket;
}

/** fetch to the sandbox's supervisor over its socket, with its one-time token. */
export function supervisorFetch(entry: Entry): typeof fetch {
  const f = async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("x-api-key", entry.token);
    return fetch(input, { ...init, headers, unix: supervisorSocket(entry) } as RequestInit);
  };
  return f as typeof fetch;
}
