/**
 * Sandboxes as host processes, shared by the `local` (bubblewrap) and `process` (no isolation)
 * providers: a run directory with LAP's sockets and the supervisor's one-time token (./run-dir.ts), the
 * workspace kept under LAP_DATA_DIR/workspaces, the supervisor started and watched (./sandbox-process.ts),
 * limits applied, sandboxes an earlier LAP left adopted (./adopt-leftover.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { resolveHostId } from "../../config/host-id";
import { parentBoundCommand } from "../../lib/parent-bound";
import {
  type SandboxBinding,
  type SandboxBound,
  boundFrom,
  type SandboxHandle,
  type SandboxProvider,
  type SandboxProviderName,
  type SandboxSpec,
  type SupervisorConnection,
  SandboxError,
} from "../provider";
import { adoptLeftover } from "./adopt-leftover";
import { type AdoptionRecord, writeAdoptionRecord } from "./adoption";
import { type HarnessBundle, bundleHarness } from "./bundle";
import { adoptionRecordOf, type Entry, type Launch, type LaunchContext, supervisorFetch } from "./entry";
import { scanLeftovers } from "./leftovers";
import { createCgroup, limitedCommand, removeStaleCgroups } from "./limits";
import type { HostProviderOptions } from "./options";
import { killSandbox } from "./processes";
import { openRunDir } from "./run-dir";
import {
  exitError,
  releaseSandbox,
  sandboxRunning,
  sandboxSnapshot,
  setsidCommand,
  spawnSandboxProcess,
  waitSupervisorReady,
} from "./sandbox-process";
import type { HostUser } from "./sandbox-user";

export type { EgressServerFactory, HostProviderOptions, SandboxLimitsDefaults } from "./options";

export type { Launch, LaunchContext } from "./entry";

const SHORT_ID = () => `sbx_${randomBytes(6).toString("hex")}`;

export abstract class HostSandboxProvider implements SandboxProvider {
  abstract readonly name: SandboxProviderName;
  protected entries = new Map<string, Entry>();
  readonly workspacesDir: string;
  readonly host: string;
  private readonly runRoot: string;
  private bundle: Promise<HarnessBundle> | null = null;
  /** Set by shutdown(): no sandbox starts after it. */
  private closed = false;
  /** Seconds a sandbox outlives a dead LAP (0: it dies with LAP); see HostProviderOptions. */
  protected readonly orphanGrace: number;
  /** Start-up adoption of sandboxes an earlier LAP left alive; every call waits for it. */
  private adopting: Promise<void>;

  constructor(protected opts: HostProviderOptions) {
    this.workspacesDir = join(opts.dataDir, "workspaces");
    // Unix socket paths are limited to 107 bytes; keep the run directory short. The fallback is named
    // after the data dir, not random, so the next start finds what an earlier one left there.
    const candidate = join(opts.dataDir, "run");
    this.runRoot =
      candidate.length <= 60 ? candidate : join("/tmp", `lap-run-${createHash("sha256").update(opts.dataDir).digest("hex").slice(0, 12)}`);
    mkdirSync(this.workspacesDir, { recursive: true });
    mkdirSync(this.runRoot, { recursive: true });
    this.host = resolveHostId(opts.dataDir, opts.hostId);
    this.orphanGrace = this.adoptable() ? Math.max(0, opts.orphanGraceSeconds ?? 0) : 0;
    const candidates = this.reapLeftovers();
    removeStaleCgroups();
    this.adopting = Promise.all(candidates.map((r) => this.adopt(r))).then(() => {});
  }

  /** Whether this provider's sandboxes can outlive LAP and be adopted (local: yes; process: no, its ports are LAP's). */
  protected adoptable(): boolean {
    return false;
  }

  /** What an earlier LAP left: adopted (with a grace period) or reaped (./leftovers.ts). */
  private reapLeftovers(): AdoptionRecord[] {
    return scanLeftovers(this.runRoot, this.orphanGrace, this.opts.logger);
  }

  /** Takes over a sandbox an earlier LAP left running, or reaps it (./adopt-leftover.ts). */
  private adopt(record: AdoptionRecord) {
    return adoptLeftover(record, {
      runRoot: this.runRoot,
      provider: this.name,
      opts: this.opts,
      entries: this.entries,
      onExit: (entry, how) => void this.exited(entry, how),
    });
  }

  /** The adoption record of a live sandbox, rewritten when its labels change (bind). */
  private record(entry: Entry) {
    if (!this.orphanGrace || !entry.pid || !entry.identity) return;
    writeAdoptionRecord(entry.runDir, adoptionRecordOf(entry, { pid: entry.pid, identity: entry.identity }));
  }

  protected abstract preflight(): void | Promise<void>;
  /**
   * The host user a sandbox on `workspace` runs as, after making the workspace its own; null: LAP's
   * uid (the process provider; a LAP that is not root).
   */
  protected async sandboxUser(_workspace: string): Promise<HostUser | null> {
    return null;
  }
  /** Gives what LAP wrote into a workspace on the host (a repository clone) to the sandbox's user. */
  async handOverWorkspace(_workspaceId: string): Promise<void> {}
  protected abstract launch(ctx: LaunchContext): Launch;
  /** The gateway URL as the harness must use it from inside the sandbox. */
  protected abstract gatewayUrlInside(binding: SandboxBinding): string;

  workspacePath(workspaceId: string) {
    if (!/^[A-Za-z0-9_.-]+$/.test(workspaceId) || workspaceId.startsWith("."))
      throw new SandboxError("failed", `bad workspace id ${workspaceId}`);
    return join(this.workspacesDir, workspaceId);
  }

  async create(spec: SandboxSpec): Promise<SandboxHandle> {
    if (this.closed) throw new SandboxError("unavailable", "LAP is shutting down");
    await this.adopting;
    await this.preflight();
    const id = SHORT_ID();
    const workspace = this.workspacePath(spec.workspaceId);
    const runDir = join(this.runRoot, id);
    mkdirSync(workspace, { recursive: true });
    const user = await this.sandboxUser(workspace);
    const { token, servers, egressPort } = await openRunDir(this.opts, {
      id,
      spec,
      runDir,
      user,
      egressOnLoopback: this.name === "process",
    });
    const limits = { ...this.opts.defaultLimits, ...spec.limits };
    const cgroup = createCgroup(id, limits);
    this.bundle ??= bundleHarness(this.opts.harnessRoot, join(this.runRoot, "bundle"));
    const launch = this.launch({
      id,
      spec,
      workspace,
      runDir,
      egressPort,
      bundle: await this.bundle,
      user,
      orphanGraceSeconds: this.orphanGrace,
    });
    const handle: SandboxHandle = {
      id,
      provider: this.name,
      state: "provisioning",
      workspaceId: spec.workspaceId,
      labels: { ...spec.labels },
      createdAt: new Date(),
      info: { limits: [limits.cpuSeconds ? "cpu" : "", ...(cgroup?.applied ?? [])].filter(Boolean).join(",") || "none" },
    };
    const entry: Entry = {
      handle,
      spec,
      token,
      runDir,
      proc: null,
      pid: null,
      identity: null,
      user,
      servers,
      cgroup,
      limits,
      stderrTail: "",
      stopping: false,
    };
    if (this.closed) {
      // shutdown() ran while this create was awaiting: a process started now would outlive it.
      await releaseSandbox(entry);
      throw new SandboxError("unavailable", "LAP is shutting down");
    }
    this.entries.set(id, entry);
    // Adoptable: its own session (a signal to LAP's process group does not reach it) and no death
    // signal; otherwise bound to LAP (../../lib/parent-bound.ts).
    const limited = limitedCommand(launch.command, limits, cgroup);
    this.spawn(entry, this.orphanGrace > 0 ? setsidCommand(limited) : parentBoundCommand(limited), launch);
    return { ...handle };
  }

  private spawn(entry: Entry, command: string[], launch: Launch) {
    if (spawnSandboxProcess(entry, command, launch, (how) => void this.exited(entry, how))) this.record(entry);
  }

  /** The sandbox's process ended (`how`: its signal or exit code): unless LAP stopped it, it failed. */
  private async exited(entry: Entry, how: string) {
    entry.unwatch?.();
    const h = entry.handle;
    if (!entry.stopping) {
      h.state = "failed";
      h.error = exitError(entry, how);
      this.opts.logger.warn({ sandbox_id: h.id, error: h.error }, "sandbox died");
    }
    await releaseSandbox(entry);
    if (!entry.stopping) this.opts.onExit?.({ ...h });
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new SandboxError("not_found", `no sandbox ${id}`);
    return e;
  }

  async waitReady(id: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SandboxHandle> {
    await this.adopting;
    return waitSupervisorReady(this.entry(id), opts);
  }

  async bind(id: string, binding: SandboxBinding): Promise<SandboxBound> {
    await this.adopting;
    const entry = this.entry(id);
    if (entry.handle.state !== "ready") throw new SandboxError("failed", `sandbox ${id} is ${entry.handle.state}, not ready`);
    const res = await supervisorFetch(entry)("http://sandbox/lap/bind", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...binding, gatewayBaseUrl: this.gatewayUrlInside(binding) }),
    });
    if (!res.ok) throw new SandboxError("failed", `supervisor refused the binding: ${res.status} ${await res.text()}`);
    entry.handle.labels.session_id = binding.sessionId;
    entry.handle.labels.agent_id = binding.agentId;
    this.record(entry);
    return boundFrom(await res.text());
  }

  async connect(id: string): Promise<SupervisorConnection> {
    await this.adopting;
    const entry = this.entry(id);
    if (entry.handle.state !== "ready") throw new SandboxError("failed", `sandbox ${id} is ${entry.handle.state}`);
    return { baseUrl: "http://sandbox", fetch: supervisorFetch(entry) };
  }

  async stop(id: string): Promise<void> {
    await this.adopting;
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.stopping = true;
    entry.unwatch?.();
    if (sandboxRunning(entry)) {
      entry.handle.state = "terminating";
      // The whole sandbox, not only LAP's child: a process sandbox's harness processes are not in a
      // pid namespace that dies with it.
      killSandbox(entry.runDir, entry.pid ?? undefined);
      if (entry.proc) await entry.proc.exited;
      else for (let i = 0; i < 250 && sandboxRunning(entry); i++) await Bun.sleep(20);
    }
    await releaseSandbox(entry);
    entry.handle.state = "stopped";
  }

  async destroy(id: string, opts: { dropWorkspace?: boolean } = {}): Promise<void> {
    await this.adopting;
    const entry = this.entries.get(id);
    if (!entry) return;
    await this.stop(id);
    this.entries.delete(id);
    if (opts.dropWorkspace) rmSync(this.workspacePath(entry.spec.workspaceId), { recursive: true, force: true });
  }

  async get(id: string): Promise<SandboxHandle | null> {
    await this.adopting;
    const e = this.entries.get(id);
    return e ? sandboxSnapshot(e) : null;
  }

  async list(): Promise<SandboxHandle[]> {
    await this.adopting;
    return [...this.entries.values()].map((e) => sandboxSnapshot(e));
  }

  async shutdown() {
    this.closed = true;
    await this.adopting;
    await Promise.all([...this.entries.keys()].map((id) => this.stop(id)));
  }
}
