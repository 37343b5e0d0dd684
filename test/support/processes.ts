/**
 * Processes a test started, found the way a person would with `ps`: by a string unique to the test
 * (its LAP_DATA_DIR) in their argv or environment. A LAP child carries LAP_DATA_DIR in its
 * environment; a bubblewrap sandbox names the data dir in its `--bind` arguments.
 */
import { readdirSync, readFileSync } from "node:fs";

function read(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return "";
  }
}

/** Live (not zombie) processes, other than this one, whose argv or environment contains `marker`. */
export function markedProcesses(marker: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    if (Number(pid) === process.pid) continue;
    const stat = read(pid, "stat");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (!stat || state === "Z" || state === "X") continue;
    if (read(pid, "cmdline").includes(marker) || read(pid, "environ").includes(marker)) out.push(Number(pid));
  }
  return out;
}

/** The argv of a process, for failure messages. */
export const commandOf = (pid: number) => read(String(pid), "cmdline").split("\0").join(" ").slice(0, 200);

/** SIGKILLs every process `markedProcesses` finds; returns their pids (a passing test leaves none). */
export function killMarked(marker: string): number[] {
  const pids = markedProcesses(marker);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  return pids;
}

/** Waits until no process is marked by `marker` (true), or `ms` pass (false). */
export async function noneMarkedWithin(marker: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!markedProcesses(marker).length) return true;
    await Bun.sleep(50);
  }
  return markedProcesses(marker).length === 0;
}

/** A process and all its descendants (by parent pid, one /proc walk). */
export function withDescendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    const stat = read(pid, "stat");
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(pid)]);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
  return out;
}

/** Whether a pid is a live process (a zombie counts as gone). */
export function isRunning(pid: number): boolean {
  const stat = read(String(pid), "stat");
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return stat !== "" && state !== "Z" && state !== "X";
}
