/**
 * Makes this process undumpable (PR_SET_DUMPABLE 0) and unable to gain privileges
 * (PR_SET_NO_NEW_PRIVS). The supervisor holds its token and the session key, the built-in agent the
 * session key; the programs the agent runs have the same uid. An undumpable process's
 * /proc/<pid>/mem, environ, fd/ and maps belong to root and ptrace needs CAP_SYS_PTRACE, so those
 * programs cannot read it (docs/security.md, "Sandboxes"). Children get the flag reset when they
 * exec, so the agent's own programs are unaffected.
 */
import { dlopen, FFIType } from "bun:ffi";

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

const open = (name: string) =>
  dlopen(name, { prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 } });
