/**
 * Sandboxes as host processes, shared by the `local` (bubblewrap) and `process` (no isolation)
 * providers: a run directory with LAP's sockets and the supervisor's one-time token, the workspace
 * kept under LAP_DATA_DIR/workspaces, the supervisor started and watched, limits applied.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type net from "node:net";
import { join } from "node:path";
import { resolveHostId } from "../../config/host-id";
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
  memoryLimitText,
} from "../provider";
import { type HarnessBundle, bundleHarness } from "./bundle";
import { cpuSecondsOf, createCgroup, limitedCommand, removeStaleCgroups } from "./limits";
import { closeServer, listenLoopback, listenUnix } from "./lap-sockets";
import { listenLapBridge } from "./lap-bridge";
import { parentBoundCommand } from "../../lib/parent-bound";
import { isAlive, killSandbox, processIdentity } from "./processes";
import { type AdoptionRecord, adoptionRecordPath, watchProcess, writeAdoptionRecord } from "./adoption";
import { reapSandbox, scanLeftovers, serveAgain } from "./leftovers";
import type { HostUser } from "./sandbox-user";
import type { HostProviderOptions } from "./options";
import {
  adoptionRecordOf,
  type Entry,
  entryFromAdoption,
  type Launch,
  type LaunchContext,
  supervisorFetch,
  supervisorSocket,
} from "./entry";

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

  /**
   * Takes over a sandbox an earlier LAP left running: LAP's sockets in its run dir served again
   * (the LAP bridge, the egress proxy with the spec's allow-list), its cgroup handle, the supervisor
   * asked for its health with the recorded token, the owner file rewritten to this process. Any
   * failure: the sandbox is reaped instead. Its exit is watched through /proc from now on.
   */
  private async adopt(record: AdoptionRecord) {
    const { id } = record;
    const runDir = join(this.runRoot, id);
    const servers: Entry["servers"] = [];
    try {
      servers.push(...(await serveAgain(runDir, record, this.opts)));
      const cgroup = createCgroup(id, record.limits);
      const entry = entryFromAdoption(record, { runDir, provider: this.name, servers, cgroup });
      const handle = entry.handle;
      this.entries.set(id, entry);
      const res = await supervisorFetch(entry)("http://sandbox/health", { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`supervisor health answered ${res.status}`);
      writeFileSync(`${runDir}.owner`, processIdentity(), { mode: 0o600 });
      handle.state = "ready";
      handle.info.readyAt = new Date().toISOString();
      entry.unwatch = watchProcess(
        record.identity,
        () => void this.exited(entry, "adopted after a LAP restart, so its exit status is unknown"),
      );
      this.opts.logger.info(
        { sandbox_id: id, pid: record.pid, session_id: record.labels.session_id },
        "adopted a sandbox an earlier LAP left running",
      );
    } catch (err) {
      this.entries.delete(id);
      await Promise.all(servers.map((s) => s.close().catch(() => {})));
      this.opts.logger.warn(
        { sandbox_id: id, err: (err as Error).message },
        "could not adopt a sandbox an earlier LAP left running; killing it",
      );
      reapSandbox(this.runRoot, id, this.opts.logger, record.pid);
    }
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
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const token = randomBytes(24).toString("base64url");
    writeFileSync(join(runDir, "token"), token, { mode: 0o600 });
    writeFileSync(`${runDir}.owner`, processIdentity(), { mode: 0o600 });
    chmodSync(runDir, 0o700);

    const servers: Entry["servers"] = [];
    const closing = (server: net.Server) => ({ close: () => closeServer(server) });
    servers.push(listenLapBridge(join(runDir, "lap.sock"), this.opts.lapUpstream, this.opts.logger, id));
    let egressPort: number | null = null;
    const egress = this.opts.egress?.({ id, spec });
    if (egress && this.opts.egressCa) {
      await this.opts.egressCa.init();
      copyFileSync(this.opts.egressCa.bundlePath, join(runDir, "ca-bundle.pem"));
    }
    if (egress) {
      if (this.name === "process") {
        const l = await listenLoopback(egress);
        egressPort = l.port;
        servers.push(closing(l.server));
      } else servers.push(closing(await listenUnix(egress, join(runDir, "egress.sock"))));
    }

    // The sandbox's user owns its run dir (token, sockets, CA bundle); LAP's owner file stays outside.
    if (user) for (const p of [runDir, ...readdirSync(runDir).map((n) => join(runDir, n))]) chownSync(p, user.uid, user.gid);
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
      await this.release(entry);
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
    let proc: ReturnType<typeof Bun.spawn>;
    // A pipe, never a host file (no descriptor of LAP's reaches the sandbox). When LAP dies the
    // supervisor's writes to it fail and are dropped; an adopted sandbox's stderr is not read again.
    try {
      proc = Bun.spawn(command, { cwd: launch.cwd, env: launch.env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    } catch (e) {
      entry.handle.state = "failed";
      entry.handle.error = `could not start the sandbox: ${(e as Error).message}`;
      return;
    }
    entry.proc = proc;
    entry.pid = proc.pid;
    entry.identity = processIdentity(proc.pid);
    entry.handle.info.pid = proc.pid;
    this.record(entry);
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) {
        entry.stderrTail = (entry.stderrTail + decoder.decode(chunk)).slice(-4000);
      }
    })();
    void proc.exited.then((code) => this.exited(entry, String(proc.signalCode ?? `code ${code}`)));
  }

  /** The sandbox's process ended (`how`: its signal or exit code): unless LAP stopped it, it failed. */
  private async exited(entry: Entry, how: string) {
    entry.unwatch?.();
    const h = entry.handle;
    if (!entry.stopping) {
      h.state = "failed";
      // Read before release() removes the cgroup: a kill at the memory limit is the likely cause then.
      const oom = entry.cgroup?.oomKills() ? `; killed at the sandbox's memory limit (${memoryLimitText(entry.limits.memoryMb)})` : "";
      const tail = entry.stderrTail;
      h.error = `sandbox process exited (${how})${oom}${tail ? `: ${tail.trim().split("\n").slice(-3).join(" | ")}` : ""}`;
      this.opts.logger.warn({ sandbox_id: h.id, error: h.error }, "sandbox died");
    }
    await this.release(entry);
    if (!entry.stopping) this.opts.onExit?.({ ...h });
  }

  /** Frees what LAP holds for a sandbox whose process is gone (sockets, cgroup); keeps the workspace. */
  private async release(entry: Entry) {
    await Promise.all(entry.servers.map((s) => s.close()));
    entry.servers = [];
    entry.cgroup?.remove();
    entry.cgroup = null;
    for (const p of [entry.runDir, `${entry.runDir}.owner`, adoptionRecordPath(entry.runDir)]) rmSync(p, { recursive: true, force: true });
  }

  private running(entry: Entry): boolean {
    if (entry.proc) return entry.proc.exitCode === null && entry.proc.signalCode === null;
    return !!entry.identity && isAlive(entry.identity);
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new SandboxError("not_found", `no sandbox ${id}`);
    return e;
  }

  async waitReady(id: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SandboxHandle> {
    await this.adopting;
    const entry = this.entry(id);
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    const socket = join(entry.runDir, "supervisor.sock");
    while (true) {
      if (entry.handle.state === "failed") throw new SandboxError("failed", entry.handle.error ?? "sandbox failed");
      if (entry.handle.state === "ready") return { ...entry.handle };
      if (opts.signal?.aborted) throw new SandboxError("timeout", "stopped waiting: aborted");
      if (Date.now() > deadline) {
        const tail = entry.stderrTail;
        throw new SandboxError(
          "timeout",
          `supervisor did not answer within ${opts.timeoutMs ?? 30_000} ms${tail ? `: ${tail.trim().slice(-500)}` : ""}`,
        );
      }
      if (existsSync(socket)) {
        try {
          const res = await fetch("http://sandbox/health", { unix: supervisorSocket(entry) } as RequestInit);
          if (res.ok) {
            entry.handle.state = "ready";
            entry.handle.info.readyAt = new Date().toISOString();
            continue;
          }
        } catch {}
      }
      await Bun.sleep(5);
    }
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
    if (this.running(entry)) {
      entry.handle.state = "terminating";
      // The whole sandbox, not only LAP's child: a process sandbox's harness processes are not in a
      // pid namespace that dies with it.
      killSandbox(entry.runDir, entry.pid ?? undefined);
      if (entry.proc) await entry.proc.exited;
      else for (let i = 0; i < 250 && this.running(entry); i++) await Bun.sleep(20);
    }
    await this.release(entry);
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
    return e ? this.snapshot(e) : null;
  }

  async list(): Promise<SandboxHandle[]> {
    await this.adopting;
    return [...this.entries.values()].map((e) => this.snapshot(e));
  }

  private snapshot(e: Entry): SandboxHandle {
    const info = { ...e.handle.info };
    if (e.pid && e.handle.state === "ready") {
      info.cpuSeconds = cpuSecondsOf(e.pid);
      info.memoryBytes = e.cgroup?.memoryUsageBytes() ?? null;
      info.oomKills = e.cgroup?.oomKills() ?? null;
      info.pidsRefused = e.cgroup?.pidsRefused() ?? null;
      if (e.limits.memoryMb) info.memoryLimitMb = e.limits.memoryMb;
    }
    return { ...e.handle, labels: { ...e.handle.labels }, info };
  }

  async shutdown() {
    this.closed = true;
    await this.adopting;
    await Promise.all([...this.entries.keys()].map((id) => this.stop(id)));
  }
}

/** `setsid` (util-linux) before the command: the sandbox leads its own session and process group. */
function setsidCommand(command: string[]): string[] {
  const setsid = Bun.which("setsid");
  return setsid ? [setsid, ...command] : command;
}
