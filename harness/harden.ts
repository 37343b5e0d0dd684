/**
 * Makes this process undumpable (PR_SET_DUMPABLE 0) and unable to gain privileges
 * (PR_SET_NO_NEW_PRIVS). The supervisor holds its token and the session key, the built-in agent the
 * session key; the programs the agent runs have the same uid. An undumpable process's
 * /proc/<pid>/mem, environ, fd/ and maps belong to root and ptrace needs CAP_SYS_PTRACE, so those
 * programs cannot read it (docs/security.md, "Sandboxes"). Children get the flag reset when they
 * exec, so the agent's own programs are unaffected.
 */
import { dlopen, FFIType } from "bun:ffi";
import { writeFileSync } from "node:fs";

const PR_SET_DUMPABLE = 4;
const PR_SET_NO_NEW_PRIVS = 38;
const LIBC = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

/** True when both flags are set; false (with the reason logged) where libc cannot be loaded. */
export function hardenProcess(log: (message: string) => void = () => {}): boolean {
  for (const name of LIBC) {
    let lib: ReturnType<typeof open> | null = null;
    try {
      lib = open(name);
    } catch {
      continue;
    }
    try {
      const dumpable = lib.symbols.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
      const nnp = lib.symbols.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (dumpable !== 0 || nnp !== 0) log(`prctl failed (dumpable ${dumpable}, no_new_privs ${nnp})`);
      return dumpable === 0 && nnp === 0;
    } finally {
      lib.close();
    }
  }
  log("could not load libc for prctl: this process stays dumpable");
  return false;
}

/**
 * Makes this process (and what it starts) the first the kernel kills past the sandbox's memory limit,
 * before the supervisor, which reports the kill and restarts the harness (docs/sandboxes.md, Limits).
 * A harness that hardens itself calls this first: once undumpable, its /proc/self/oom_score_adj belongs
 * to root, and the supervisor's own write (supervisor/harness-process.ts) fails if it comes that late.
 * Raising one's own score needs no privilege.
 */
export function preferForOomKill(log: (message: string) => void = () => {}): boolean {
  try {
    writeFileSync("/proc/self/oom_score_adj", "1000");
    return true;
  } catch (err) {
    log(`could not raise this process's oom_score_adj: ${(err as Error).message}`);
    return false;
  }
}

const open = (name: string) =>
  dlopen(name, { prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 } });
