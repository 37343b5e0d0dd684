/**
 * Host sandboxes as /proc sees them: which processes belong to a sandbox, who owns a sandbox, and
 * killing all of it. A bubblewrap sandbox is three processes (the outer bwrap, LAP's child; the
 * namespace's init; the supervisor) and a process sandbox is the supervisor plus whatever it runs,
 * so "kill the pid LAP spawned" is not enough: the descendants and anything that still names the
 * sandbox's run directory (bwrap's `LAP_SANDBOX_RUN_DIR=<run dir>`, the process provider's
 * `LAP_SUPERVISOR_SOCKET=<run dir>/…`) go too.
 */
import { readdirSync, readFileSync } from "node:fs";

interface ProcInfo {
  pid: number;
  ppid: number;
}

function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return null;
  }
}

function pids(): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Fields after the command name in /proc/<pid>/stat (the name may hold spaces and parentheses). */
function statFields(pid: number): string[] | null {
  const stat = readProc(pid, "stat");
  return stat ? stat.slice(stat.lastIndexOf(")") + 2).split(" ") : null;
}

/** Clock ticks since boot when the process started: with the pid, names one process across pid reuse. */
export function startTimeOf(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** `<pid>:<start time>` of a live process, the form owner files hold. */
export function processIdentity(pid = process.pid): string {
  return `${pid}:${startTimeOf(pid) ?? "?"}`;
}

/** Whether the process an identity names is still running (a reused pid is a different process). */
export function isAlive(identity: string): boolean {
  const [pid, start] = identity.trim().split(":");
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0 || !start) return false;
  const state = statFields(n)?.[0];
  return startTimeOf(n) === start && state !== "Z" && state !== "X";
}

function table(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const pid of pids()) {
    const f = statFields(pid);
    if (f) out.push({ pid, ppid: Number(f[1]) });
  }
  return out;
}

/** Every descendant of `root` (children first found, breadth first), from one /proc walk. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of table()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * Set (to the host run dir) in the environment of a bubblewrap sandbox's outer processes, whose argv
 * no longer names it (its directories are bound by descriptor); bwrap unsets it inside.
 */
export const RUN_DIR_MARK = "LAP_SANDBOX_RUN_DIR";

/** Environment variables a host sandbox's processes carry its run directory in (process provider; local provider's RUN_DIR_MARK). */
const MARKING_ENV = ["LAP_SUPERVISOR_SOCKET=", "LAP_SUPERVISOR_TOKEN_FILE=", `${RUN_DIR_MARK}=`];

/**
 * A process's argv and the values of MARKING_ENV ([] when not readable). Only those variables: a
 * shell that merely has PWD in a run directory is not the sandbox's.
 */
function markings(pid: number): string[] {
  const args = (readProc(pid, "cmdline") ?? "").split("\0");
  const env = (readProc(pid, "environ") ?? "").split("\0").filter((kv) => MARKING_ENV.some((m) => kv.startsWith(m)));
  return [...args, ...env.map((kv) => kv.slice(kv.indexOf("=") + 1))].filter(Boolean);
}

/** Processes (other than this one) whose argv or environment holds a string starting with `prefix`, with that string. */
export function processesNaming(prefix: string): Array<{ pid: number; hit: string }> {
  const out: Array<{ pid: number; hit: string }> = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    const hit = markings(pid).find((s) => s.startsWith(prefix));
    if (hit !== undefined) out.push({ pid, hit });
  }
  return out;
}

function kill(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
}

/**
 * SIGKILLs a sandbox: the process LAP spawned (if any), every process naming its run directory, and
 * all their descendants. Descendants are collected before anything dies, or they would be reparented
 * away from the tree first. Returns the pids signalled.
 */
export function killSandbox(runDir: string, spawnedPid?: number): number[] {
  const roots = processesNaming(runDir)
    .filter(({ hit }) => hit === runDir || hit.startsWith(`${runDir}/`))
    .map((p) => p.pid);
  if (spawnedPid) roots.push(spawnedPid);
  const targets = new Set<number>();
  for (const root of roots) for (const p of [root, ...descendantsOf(root)]) targets.add(p);
  targets.delete(process.pid);
  for (const p of targets) kill(p);
  return [...targets];
}
