/**
 * The seccomp filter every local sandbox and stdio MCP server runs under (`bwrap --seccomp FD`):
 * a classic-BPF program that checks the architecture, then answers EPERM to the system calls below.
 * There is no seccomp package on npm, and the program is small enough to assemble here.
 *
 * Why these calls (docs/security.md, "Sandboxes"): the sandbox already has no capabilities and a
 * non-root uid, so most of them fail anyway; the filter is the second lock, so that one kernel bug or
 * one forgotten capability is not enough, and it closes the paths that need no capability at all
 * (user namespaces, io_uring, kernel keyrings, reading another process's memory).
 */
import { arch as hostArch } from "node:os";

export type SeccompArch = "x86_64" | "aarch64";

interface Blocked {
  name: string;
  x86_64: number;
  aarch64: number;
  why: string;
}

/** Syscall numbers: x86_64 from asm/unistd_64.h, aarch64 from asm-generic/unistd.h. */
export const BLOCKED_SYSCALLS: readonly Blocked[] = [
  {
    name: "mount",
    x86_64: 165,
    aarch64: 40,
    why: "remounting a read-only bind writable (the bundle, /usr, harness/) or mounting over /proc",
  },
  { name: "umount2", x86_64: 166, aarch64: 39, why: "unmounting a mask (a read-only /proc/sys) to reach what is under it" },
  { name: "open_tree", x86_64: 428, aarch64: 428, why: "new mount API: detached copies of mounts" },
  { name: "move_mount", x86_64: 429, aarch64: 429, why: "new mount API: attaching mounts" },
  { name: "fsopen", x86_64: 430, aarch64: 430, why: "new mount API: new filesystems" },
  { name: "fsconfig", x86_64: 431, aarch64: 431, why: "new mount API" },
  { name: "fsmount", x86_64: 432, aarch64: 432, why: "new mount API" },
  { name: "fspick", x86_64: 433, aarch64: 433, why: "new mount API: reconfiguring an existing mount (read-only → read-write)" },
  { name: "mount_setattr", x86_64: 442, aarch64: 442, why: "changing mount flags (MOUNT_ATTR_RDONLY off)" },
  { name: "pivot_root", x86_64: 155, aarch64: 41, why: "changing the root to reach the host's" },
  { name: "chroot", x86_64: 161, aarch64: 51, why: "chroot tricks with fds kept open" },
  {
    name: "unshare",
    x86_64: 272,
    aarch64: 97,
    why: "new user namespaces give a full capability set inside them, the usual first step of kernel exploits",
  },
  { name: "setns", x86_64: 308, aarch64: 268, why: "joining another namespace" },
  { name: "ptrace", x86_64: 101, aarch64: 117, why: "reading or steering the supervisor (its memory holds the supervisor token)" },
  { name: "process_vm_readv", x86_64: 310, aarch64: 270, why: "reading another process's memory" },
  { name: "process_vm_writev", x86_64: 311, aarch64: 271, why: "writing another process's memory" },
  { name: "pidfd_getfd", x86_64: 438, aarch64: 438, why: "stealing another process's file descriptors (the supervisor's sockets)" },
  { name: "process_madvise", x86_64: 440, aarch64: 440, why: "acting on another process's memory" },
  { name: "keyctl", x86_64: 250, aarch64: 219, why: "kernel keyrings are not namespaced: a shared keyring could leak between sandboxes" },
  { name: "add_key", x86_64: 248, aarch64: 217, why: "kernel keyrings (see keyctl)" },
  { name: "request_key", x86_64: 249, aarch64: 218, why: "kernel keyrings (see keyctl)" },
  { name: "bpf", x86_64: 321, aarch64: 280, why: "eBPF programs: a large kernel attack surface" },
  { name: "perf_event_open", x86_64: 298, aarch64: 241, why: "performance counters: kernel attack surface and side channels" },
  { name: "userfaultfd", x86_64: 323, aarch64: 282, why: "used to win kernel races in exploits" },
  {
    name: "io_uring_setup",
    x86_64: 425,
    aarch64: 425,
    why: "io_uring runs work this filter never sees, and is a large kernel attack surface",
  },
  { name: "io_uring_enter", x86_64: 426, aarch64: 426, why: "io_uring (see io_uring_setup)" },
  { name: "io_uring_register", x86_64: 427, aarch64: 427, why: "io_uring (see io_uring_setup)" },
  { name: "kexec_load", x86_64: 246, aarch64: 104, why: "loading a new kernel" },
  { name: "kexec_file_load", x86_64: 320, aarch64: 294, why: "loading a new kernel" },
  { name: "init_module", x86_64: 175, aarch64: 105, why: "loading kernel modules" },
  { name: "finit_module", x86_64: 313, aarch64: 273, why: "loading kernel modules" },
  { name: "delete_module", x86_64: 176, aarch64: 106, why: "unloading kernel modules" },
  {
    name: "open_by_handle_at",
    x86_64: 304,
    aarch64: 265,
    why: "opening host files by handle, around every mount (the 'shocker' container escape)",
  },
  { name: "swapon", x86_64: 167, aarch64: 224, why: "host swap configuration" },
  { name: "swapoff", x86_64: 168, aarch64: 225, why: "host swap configuration" },
  { name: "reboot", x86_64: 169, aarch64: 142, why: "rebooting the host" },
  { name: "acct", x86_64: 163, aarch64: 89, why: "process accounting writes to a host file" },
  { name: "quotactl", x86_64: 179, aarch64: 60, why: "host disk quotas" },
  { name: "quotactl_fd", x86_64: 443, aarch64: 443, why: "host disk quotas" },
  { name: "syslog", x86_64: 103, aarch64: 116, why: "the kernel log (kernel addresses, other tenants' messages)" },
];

/** clone() flags that make namespaces: EPERM (unshare's job, see above). */
const CLONE_NAMESPACE_FLAGS =
  0x00020000 /* NEWNS */ |
  0x04000000 /* NEWUTS */ |
  0x08000000 /* NEWIPC */ |
  0x10000000 /* NEWUSER */ |
  0x20000000 /* NEWPID */ |
  0x40000000 /* NEWNET */ |
  0x02000000 /* NEWCGROUP */;
const CLONE = { x86_64: 56, aarch64: 220 };
/** clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone(). */
const CLONE3 = 435;
const AUDIT_ARCH = { x86_64: 0xc000003e, aarch64: 0xc00000b7 };
/** x86_64: syscall numbers with this bit are the x32 ABI, another table with the same calls. */
const X32_SYSCALL_BIT = 0x40000000;

const EPERM = 1;
const ENOSYS = 38;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = (errno: number) => 0x00050000 | errno;
/** Any other architecture (i386 through int 0x80 on x86_64) is a different syscall table: no calls at all. */
const RET_KILL_PROCESS = 0x80000000;

// struct seccomp_data: nr (u32 @0), arch (u32 @4), instruction_pointer (u64 @8), args[6] (u64 @16).
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16; // little-endian on both architectures

// Classic BPF opcodes (linux/filter.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

type Insn = { code: number; k: number; jt?: string; jf?: string } | { label: string };

/** Assembles instructions whose jump targets are labels (all jumps go forward, at most 255 apart). */
function assemble(program: Insn[]): Buffer {
  const code = program.filter((i): i is Exclude<Insn, { label: string }> => !("label" in i));
  const at = new Map<string, number>();
  let n = 0;
  for (const i of program) {
    if ("label" in i) at.set(i.label, n);
    else n++;
  }
  const out = Buffer.alloc(code.length * 8);
  code.forEach((insn, index) => {
    const rel = (label?: string) => {
      if (label === undefined) return 0;
      const target = at.get(label);
      if (target === undefined) throw new Error(`seccomp: no label ${label}`);
      const d = target - index - 1;
      if (d < 0 || d > 255) throw new Error(`seccomp: jump to ${label} out of range`);
      return d;
    };
    out.writeUInt16LE(insn.code, index * 8);
    out.writeUInt8(rel(insn.jt), index * 8 + 2);
    out.writeUInt8(rel(insn.jf), index * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, index * 8 + 4);
  });
  return out;
}

/** The filter as `struct sock_filter[]` bytes, the format `bwrap --seccomp FD` reads. */
export function sandboxSeccompFilter(arch: SeccompArch = nativeSeccompArch()): Buffer {
  const p: Insn[] = [
    { code: LD_W_ABS, k: OFFSET_ARCH },
    { code: JEQ_K, k: AUDIT_ARCH[arch], jt: "native", jf: "kill" },
    { label: "native" },
    { code: LD_W_ABS, k: OFFSET_NR },
  ];
  if (arch === "x86_64") p.push({ code: JGE_K, k: X32_SYSCALL_BIT, jt: "deny", jf: "next_x32" }, { label: "next_x32" });
  p.push({ code: JEQ_K, k: CLONE[arch], jt: "clone", jf: "not_clone" }, { label: "not_clone" });
  p.push({ code: JEQ_K, k: CLONE3, jt: "enosys", jf: "not_clone3" }, { label: "not_clone3" });
  BLOCKED_SYSCALLS.forEach((s, i) => p.push({ code: JEQ_K, k: s[arch], jt: "deny", jf: `n${i}` }, { label: `n${i}` }));
  p.push({ code: RET_K, k: RET_ALLOW });
  p.push({ label: "clone" }, { code: LD_W_ABS, k: OFFSET_ARG0_LOW }, { code: JSET_K, k: CLONE_NAMESPACE_FLAGS, jt: "deny", jf: "allow" });
  p.push({ label: "allow" }, { code: RET_K, k: RET_ALLOW });
  p.push({ label: "deny" }, { code: RET_K, k: RET_ERRNO(EPERM) });
  p.push({ label: "enosys" }, { code: RET_K, k: RET_ERRNO(ENOSYS) });
  p.push({ label: "kill" }, { code: RET_K, k: RET_KILL_PROCESS });
  return assemble(p);
}

/** This machine's architecture as the filter names it; throws where LAP has no filter (no sandbox without one). */
export function nativeSeccompArch(): SeccompArch {
  const a = hostArch();
  if (a === "x64") return "x86_64";
  if (a === "arm64") return "aarch64";
  throw new Error(`no seccomp filter for ${a}: local sandboxes need x86_64 or aarch64`);
}
