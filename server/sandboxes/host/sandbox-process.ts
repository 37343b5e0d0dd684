/**
 * A host sandbox's process, for ./host-provider.ts: started with its stderr tail kept, waited for until
 * its supervisor answers, its end described, what LAP holds for it freed once it is gone, and its
 * handle read with live usage.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type SandboxHandle, SandboxError, memoryLimitText } from "../provider";
import { adoptionRecordPath } from "./adoption";
import { type Entry, type Launch, supervisorSocket } from "./entry";
import { cpuSecondsOf } from "./limits";
import { isAlive, processIdentity } from "./processes";

/** Starts the sandbox's process (false: the spawn threw and the handle failed); `onExit` gets its signal or exit code. */
export function spawnSandboxProcess(entry: Entry, command: string[], launch: Launch, onExit: (how: string) => void): boolean {
  let proc: ReturnType<typeof Bun.spawn>;
  // A pipe, never a host file (no descriptor of LAP's reaches the sandbox). When LAP dies the
  // supervisor's writes to it fail and are dropped; an adopted sandbox's stderr is not read again.
  try {
    proc = Bun.spawn(command, { cwd: launch.cwd, env: launch.env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  } catch (e) {
    entry.handle.state = "failed";
    entry.handle.error = `could not start the sandbox: ${(e as Error).message}`;
    return false;
  }
  entry.proc = proc;
  entry.pid = proc.pid;
  entry.identity = processIdentity(proc.pid);
  entry.handle.info.pid = proc.pid;
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) {
      entry.stderrTail = (entry.stderrTail + decoder.decode(chunk)).slice(-4000);
    }
  })();
  void proc.exited.then((code) => onExit(String(proc.signalCode ?? `code ${code}`)));
  return true;
}

/** Why a sandbox LAP did not stop ended (`how`: its signal or exit code), with its last stderr lines. */
export function exitError(entry: Entry, how: string): string {
  // Read before release() removes the cgroup: a kill at the memory limit is the likely cause then.
  // Kept on the handle (its live counters stop with the process) for the turn the death ended.
  const kills = entry.cgroup?.oomKills() ?? null;
  entry.handle.info.oomKills = kills;
  if (entry.limits.memoryMb) entry.handle.info.memoryLimitMb = entry.limits.memoryMb;
  const oom = kills ? `; killed at the sandbox's memory limit (${memoryLimitText(entry.limits.memoryMb)})` : "";
  const tail = entry.stderrTail;
  return `sandbox process exited (${how})${oom}${tail ? `: ${tail.trim().split("\n").slice(-3).join(" | ")}` : ""}`;
}

/** Frees what LAP holds for a sandbox whose process is gone (sockets, cgroup); keeps the workspace. */
export async function releaseSandbox(entry: Entry) {
  await Promise.all(entry.servers.map((s) => s.close()));
  entry.servers = [];
  entry.cgroup?.remove();
  entry.cgroup = null;
  for (const p of [entry.runDir, `${entry.runDir}.owner`, adoptionRecordPath(entry.runDir)]) rmSync(p, { recursive: true, force: true });
}

export function sandboxRunning(entry: Entry): boolean {
  if (entry.proc) return entry.proc.exitCode === null && entry.proc.signalCode === null;
  return !!entry.identity && isAlive(entry.identity);
}

/** Polls the supervisor's health over its socket until it answers (the handle turns ready), fails, or time runs out. */
export async function waitSupervisorReady(entry: Entry, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<SandboxHandle> {
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

/** The handle as callers see it: a copy, with live CPU, memory and cgroup counters while ready. */
export function sandboxSnapshot(e: Entry): SandboxHandle {
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

/** `setsid` (util-linux) before the command: the sandbox leads its own session and process group. */
export function setsidCommand(command: string[]): string[] {
  const setsid = Bun.which("setsid");
  return setsid ? [setsid, ...command] : command;
}
