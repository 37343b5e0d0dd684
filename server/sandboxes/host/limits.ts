/**
 * Per-sandbox resource limits where the kernel allows: CPU seconds through RLIMIT_CPU (prlimit),
 * memory and process count through a cgroup (v2, or v1 memory + pids controllers) when LAP may
 * create one. Missing support is reported, never fatal: a laptop without cgroup delegation still
 * gets sandboxes, just without those two limits.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SandboxLimits } from "../provider";

export interface CgroupHandle {
  /** cgroup.procs files the launcher writes its pid into before exec'ing the sandbox. */
  procsFiles: string[];
  memoryUsageBytes(): number | null;
  /** Processes the kernel killed for going past the memory limit (memory.events / memory.oom_control `oom_kill`). */
  oomKills(): number | null;
  /** Forks refused at the process limit (pids.events `max`). */
  pidsRefused(): number | null;
  remove(): void;
  applied: string[];
}

function ownCgroupPath(controller: string): string {
  const lines = readFileSync("/proc/self/cgroup", "utf8").split("\n");
  for (const line of lines) {
    const [, ctrls, path] = line.split(":");
    if (ctrls?.split(",").includes(controller)) return path ?? "/";
  }
  return "/";
}

function tryMkdir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** Creates the sandbox's cgroup(s) and writes the limits; null when this machine does not allow it. */
export function createCgroup(name: string, limits: SandboxLimits): CgroupHandle | null {
  if (!limits.memoryMb && !limits.maxProcesses) return null;
  const applied: string[] = [];
  const dirs: string[] = [];
  try {
    if (existsSync("/sys/fs/cgroup/cgroup.controllers")) {
      const dir = join("/sys/fs/cgroup", ownCgroupPath(""), `lap-${name}`);
      if (!tryMkdir(dir)) return null;
      dirs.push(dir);
      if (limits.memoryMb) writeFileSync(join(dir, "memory.max"), String(limits.memoryMb * 1024 * 1024)), applied.push("memory");
      if (limits.maxProcesses) writeFileSync(join(dir, "pids.max"), String(limits.maxProcesses)), applied.push("pids");
      return {
        procsFiles: [join(dir, "cgroup.procs")],
        applied,
        memoryUsageBytes: () => readNumber(join(dir, "memory.current")),
        oomKills: () => (limits.memoryMb ? readKeyed(join(dir, "memory.events"), "oom_kill") : null),
        pidsRefused: () => (limits.maxProcesses ? readKeyed(join(dir, "pids.events"), "max") : null),
        remove: () => removeDirs(dirs),
      };
    }
    let memDir: string | null = null;
    if (limits.memoryMb && existsSync("/sys/fs/cgroup/memory")) {
      memDir = join("/sys/fs/cgroup/memory", ownCgroupPath("memory"), `lap-${name}`);
      if (tryMkdir(memDir)) {
        dirs.push(memDir);
        writeFileSync(join(memDir, "memory.limit_in_bytes"), String(limits.memoryMb * 1024 * 1024));
        applied.push("memory");
      } else memDir = null;
    }
    let pidsDir: string | null = null;
    if (limits.maxProcesses && existsSync("/sys/fs/cgroup/pids")) {
      pidsDir = join("/sys/fs/cgroup/pids", ownCgroupPath("pids"), `lap-${name}`);
      if (!tryMkdir(pidsDir)) pidsDir = null;
      else {
        dirs.push(pidsDir);
        writeFileSync(join(pidsDir, "pids.max"), String(limits.maxProcesses));
        applied.push("pids");
      }
    }
    if (!dirs.length) return null;
    const mem = memDir;
    const pids = pidsDir;
    return {
      procsFiles: dirs.map((d) => join(d, "cgroup.procs")),
      applied,
      memoryUsageBytes: () => (mem ? readNumber(join(mem, "memory.usage_in_bytes")) : null),
      oomKills: () => (mem ? readKeyed(join(mem, "memory.oom_control"), "oom_kill") : null),
      pidsRefused: () => (pids ? readKeyed(join(pids, "pids.events"), "max") : null),
      remove: () => removeDirs(dirs),
    };
  } catch {
    removeDirs(dirs);
    return null;
  }
}

/**
 * Removes empty `lap-sbx_*` cgroups older than a minute (rmdir fails on a cgroup that still has
 * processes; the age check spares one another LAP process just made and is about to join).
 */
export function removeStaleCgroups() {
  const parents = existsSync("/sys/fs/cgroup/cgroup.controllers")
    ? [join("/sys/fs/cgroup", ownCgroupPath(""))]
    : [join("/sys/fs/cgroup/memory", ownCgroupPath("memory")), join("/sys/fs/cgroup/pids", ownCgroupPath("pids"))];
  for (const parent of parents) {
    try {
      for (const name of readdirSync(parent)) {
        const dir = join(parent, name);
        if (name.startsWith("lap-sbx_") && Date.now() - statSync(dir).mtimeMs > 60_000) removeDirs([dir]);
      }
    } catch {}
  }
}

function readNumber(file: string): number | null {
  try {
    const n = Number(readFileSync(file, "utf8").trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** The number after `key` in a cgroup file of `key value` lines (memory.events, pids.events, memory.oom_control). */
function readKeyed(file: string, key: string): number | null {
  try {
    const line = readFileSync(file, "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${key} `));
    const n = Number(line?.slice(key.length + 1));
    return line && Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

function removeDirs(dirs: string[]) {
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch {}
  }
}

/**
 * Wraps a command so it joins the cgroup(s) and gets its rlimits before it execs:
 * `sh -c 'echo $$ > procs; exec prlimit --cpu=N -- cmd...'`. Joining before exec means every
 * process the sandbox later forks is counted.
 */
export function limitedCommand(cmd: string[], limits: SandboxLimits, cgroup: CgroupHandle | null): string[] {
  let out = cmd;
  if (limits.cpuSeconds) out = ["prlimit", `--cpu=${limits.cpuSeconds}`, "--", ...out];
  if (cgroup?.procsFiles.length) {
    const joins = cgroup.procsFiles.map((_, i) => `echo $$ > "$${i + 1}"`).join(" && ");
    out = ["/bin/sh", "-c", `${joins} && shift ${cgroup.procsFiles.length} && exec "$@"`, "sh", ...cgroup.procsFiles, ...out];
  }
  return out;
}

/** CPU seconds used so far by a process (user + system), from /proc; null once it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}
