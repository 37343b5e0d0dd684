/**
 * Starts one harness program (JSON lines on stdio, see ../protocol.ts), watches it, and restarts it
 * when it dies: a crash mid-turn ends that turn with `session.error`, and the new process is given
 * the conversation so far so the next turn carries on.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeLine, type HarnessCommand, type NormalizedEvent, readJsonLines } from "../protocol";

export type HarnessState = "starting" | "running" | "restarting" | "failed" | "stopped";

/** Where a harness's entry program lives: the built-in agent, or harness/adapters/<name>/main.ts (main.js when bundled). */
export function harnessEntry(harnessRoot: string, name: string): string {
  // LAP may hand in a pre-bundled built-in agent (one file: no module resolution at start).
  if (name === "builtin" || name === "built-in") return process.env.LAP_BUILTIN_ENTRY || join(harnessRoot, "agent", "main.ts");
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`bad harness name ${JSON.stringify(name)}`);
  // The harness images (deploy/images/Dockerfile) carry the adapters bundled with their dependencies.
  const entry = ["main.ts", "main.js"].map((file) => join(harnessRoot, "adapters", name, file)).find((file) => existsSync(file));
  if (!entry) throw new Error(`unknown harness ${name}: ${join(harnessRoot, "adapters", name, "main.ts")} does not exist`);
  return entry;
}

export interface HarnessProcessOptions {
  entry: string;
  bunPath: string;
  env: Record<string, string>;
  cwd: string;
  onEvent(event: NormalizedEvent): void;
  /** Commands to replay into a fresh process (configure + history) before any new turn. */
  bootCommands(): HarnessCommand[];
  log(message: string): void;
  maxRestarts?: number;
}

export class HarnessProcess {
  state: HarnessState = "starting";
  restarts = 0;
  private proc: ReturnType<typeof Bun.spawn> | null = null;
  private turnOpen = false;
  private stopping = false;

  constructor(private opts: HarnessProcessOptions) {}

  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  start() {
    const proc = Bun.spawn([this.opts.bunPath, this.opts.entry], {
      cwd: this.opts.cwd,
      env: this.opts.env,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    this.proc = proc;
    preferForOomKill(proc.pid, (m) => this.opts.log(m));
    this.state = "running";
    for (const cmd of this.opts.bootCommands()) this.write(cmd);
    void (async () => {
      for await (const raw of readJsonLines(proc.stdout as ReadableStream<Uint8Array>, (l) =>
        this.opts.log(`harness wrote a non-JSON line: ${l.slice(0, 200)}`),
      )) {
        const event = raw as NormalizedEvent;
        if (!event || typeof event.type !== "string") continue;
        if (event.type === "session.status_idle" || event.type === "session.error") this.turnOpen = false;
        this.opts.onEvent(event);
      }
    })();
    void proc.exited.then((code) => this.onExit(proc, code));
  }

  private onExit(proc: ReturnType<typeof Bun.spawn>, code: number | null) {
    if (this.proc !== proc || this.stopping) return;
    this.proc = null;
    const why = `harness process exited (${proc.signalCode ?? `code ${code}`})`;
    this.opts.log(why);
    if (this.turnOpen) {
      this.turnOpen = false;
      this.opts.onEvent({ type: "session.error", error: { message: `${why} during the turn; it was restarted` } });
    }
    if (this.restarts >= (this.opts.maxRestarts ?? 5)) {
      this.state = "failed";
      return;
    }
    this.restarts++;
    this.state = "restarting";
    setTimeout(() => this.start(), Math.min(100 * 2 ** this.restarts, 5_000));
  }

  get busy() {
    return this.turnOpen;
  }

  /** Sends a command; returns false when no process is running to take it. */
  send(cmd: HarnessCommand): boolean {
    if (cmd.type === "turn" || cmd.type === "tool_confirmation") this.turnOpen = true;
    return this.write(cmd);
  }

  private write(cmd: HarnessCommand): boolean {
    const stdin = this.proc?.stdin;
    if (!stdin || typeof stdin === "number") return false;
    stdin.write(encodeLine(cmd));
    stdin.flush();
    return true;
  }

  /**
   * A fresh process now, told the current boot commands (a pre-started harness the bind could not
   * keep, supervisor.ts). Not a crash: no restart is counted and no turn is open.
   */
  replace() {
    const old = this.proc;
    this.proc = null;
    // SIGTERM: the harness stops its CLI on the way out (a killed one would leave the CLI running).
    old?.kill("SIGTERM");
    if (old) setTimeout(() => old.exitCode === null && old.signalCode === null && old.kill("SIGKILL"), 3_000).unref?.();
    this.start();
  }

  async stop() {
    this.stopping = true;
    this.state = "stopped";
    this.proc?.kill("SIGTERM");
    await this.proc?.exited;
  }
}

/**
 * Past the sandbox's memory limit the kernel kills the cgroup's "worst" process. The harness and the
 * commands it runs (which inherit this) go first, never the supervisor: the supervisor is what reports
 * the kill as a session.error and restarts the harness (docs/sandboxes.md, "Providers", Limits). Raising one's own
 * child's score needs no privilege. A harness that makes itself undumpable (the built-in agent) can be
 * too quick for this write, so it raises its own score first (../harden.ts `preferForOomKill`).
 */
function preferForOomKill(pid: number, log: (message: string) => void) {
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, "1000");
  } catch (err) {
    log(`could not raise the harness's oom_score_adj: ${(err as Error).message}`);
  }
}
