/**
 * The bubblewrap command lines of local sandboxes and stdio MCP servers (docs/security.md,
 * "Sandboxes"): a new user namespace as a non-root host uid (sandbox-user.ts), every capability
 * dropped, no further user namespaces, a seccomp filter (seccomp.ts), own pid/ipc/uts/net/cgroup
 * namespaces, a read-only root with only the listed writable places, kernel files in /proc masked
 * or (/proc/sys) owned by a uid the sandbox does not map, a private /etc/passwd, killed with LAP
 * (or, adoptable, left to outlive it for the grace period: docs/sandboxes.md).
 *
 * Host paths LAP chooses (the workspace, the run dir, the Bun binary, harness/, node_modules, the
 * bundle) may lie where the sandbox's uid cannot walk (LAP_DATA_DIR under /root, a 0700 temp dir).
 * A LAP running as root therefore stages those: in a private mount namespace of its own it
 * bind-mounts each onto an empty mount point under /tmp, then drops to the sandbox's uid, and
 * bubblewrap binds them from there. Nothing of this is visible on the host, and the rest of the data
 * dir stays out of the sandbox user's reach. (`bwrap --bind-fd` does not help: bubblewrap 0.8
 * resolves the descriptor's path again as the unprivileged user.)
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { PARENT_GONE_EXIT } from "../../lib/parent-bound";
import { droppedCommand, type HostUser, INSIDE_USER, insideAccounts } from "./sandbox-user";
import { nativeSeccompArch, sandboxSeccompFilter } from "./seccomp";

export const IN_SANDBOX = {
  bun: "/opt/lap/bin/bun",
  harnessRoot: "/opt/lap/harness",
  bundle: "/opt/lap/bundle",
  nodeModules: "/opt/lap/node_modules",
  harnessBin: "/opt/lap/harness-bin",
  openclaw: "/opt/lap/openclaw",
  workspace: "/workspace",
  runDir: "/run/lap",
} as const;

/** Only what programs need from /etc: no shadow, no host keys, no LAP config, no host accounts. */
export const ETC_FILES = [
  "alternatives",
  "ca-certificates",
  "ssl",
  "pki",
  "hosts",
  "nsswitch.conf",
  "localtime",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "mime.types",
  "gitconfig",
  "bash.bashrc",
  "profile",
  "inputrc",
];

/**
 * /proc files covered with an empty read-only file. The rest of /proc/sys, irq, bus belongs to a uid
 * the sandbox's user namespace does not map, so nothing there is writable (docs/security.md).
 */
const PROC_MASKED = ["kcore", "keys", "timer_list", "sched_debug", "kallsyms", "sysrq-trigger"];

export interface Mount {
  host: string;
  sandbox: string;
  writable?: boolean;
}

export interface JailOptions {
  /** The bwrap binary (default `bwrap` on PATH). */
  bwrap?: string;
  /** Host user to drop to before bwrap (LAP is root); null: LAP's own uid (LAP is not root). */
  user: HostUser | null;
  /** Host paths LAP chooses, bound in this order (staged first when LAP is root). */
  mounts: Mount[];
  /** Home of the sandbox user in /etc/passwd. */
  home: string;
  chdir: string;
  /** Environment inside (`--clearenv` + `--setenv`); null keeps the spawner's. */
  env?: Record<string, string> | null;
  /** bubblewrap >= 0.8 understands --disable-userns (bwrapFeatures). */
  disableUserns: boolean;
  /** The process that spawns the jail, checked again after the uid drop (null: not spawned by LAP, no check). */
  parentPid?: number | null;
  /** Variables the spawner set for LAP's own use (process markers) that the sandbox must not see. */
  unsetEnv?: string[];
  /**
   * false: the jail outlives LAP (an adoptable local sandbox, docs/sandboxes.md "Lifetime of host
   * sandboxes"): no `--die-with-parent`; pass `parentPid: null` too, so no death signal is armed.
   */
  dieWithParent?: boolean;
}

/** What this machine's bubblewrap supports, read once from `bwrap --help`. */
const features = new Map<string, { disableUserns: boolean }>();
export function bwrapFeatures(bwrap = "bwrap"): { disableUserns: boolean } {
  let f = features.get(bwrap);
  if (!f) {
    const help = Bun.spawnSync([bwrap, "--help"], { stdout: "pipe", stderr: "pipe" });
    const text = `${help.stdout?.toString() ?? ""}${help.stderr?.toString() ?? ""}`;
    f = { disableUserns: text.includes("--disable-userns") };
    features.set(bwrap, f);
  }
  return f;
}

/**
 * This process's jail directory under /tmp (which every uid may walk): the files every jail reads
 * through a descriptor (seccomp filter, passwd, group; nothing secret, readable by the sandbox's uid,
 * writable only by LAP's) and the stage's empty mount points. Made again when something (a /tmp
 * cleaner) removed it; removed when this process exits.
 */
let jailDir: string | null = null;
function ownJailDir(): string {
  if (!jailDir || !existsSync(jailDir)) {
    jailDir = mkdtempSync("/tmp/lap-jail-");
    chmodSync(jailDir, 0o755);
    const dir = jailDir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return jailDir;
}

/**
 * A fresh directory in this process's jail dir for one jail's sockets (a stdio MCP server's egress
 * proxy), 0700 and owned by the jail's host user (`user`; null: LAP's own uid), so no other uid
 * connects to what LAP serves there. The caller removes it.
 */
export function jailRunDir(user: HostUser | null): string {
  const dir = mkdtempSync(join(ownJailDir(), "run-"));
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

function jailAssets(home: string): { seccomp: string; passwd: string; group: string } {
  const dir = ownJailDir();
  const files = {
    seccomp: join(dir, `seccomp-${nativeSeccompArch()}.bpf`),
    passwd: join(dir, `passwd-${Buffer.from(home).toString("hex")}`),
    group: join(dir, "group"),
  };
  const accounts = insideAccounts(home);
  if (!existsSync(files.seccomp)) writeFileSync(files.seccomp, sandboxSeccompFilter(), { mode: 0o644 });
  if (!existsSync(files.passwd)) writeFileSync(files.passwd, accounts.passwd, { mode: 0o644 });
  if (!existsSync(files.group)) writeFileSync(files.group, accounts.group, { mode: 0o644 });
  return files;
}

/** /usr, the merged-/usr symlinks or real /bin, /lib…, and the /etc files every program needs. */
function systemArgs(): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const top of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
    const host = `/${top}`;
    if (!existsSync(host)) continue;
    // Merged-/usr systems: /bin -> usr/bin is a symlink; keep it one.
    if (lstatSync(host).isSymbolicLink()) args.push("--symlink", `usr/${top}`, host);
    else args.push("--ro-bind", host, host);
  }
  for (const f of ETC_FILES) args.push("--ro-bind-try", `/etc/${f}`, `/etc/${f}`);
  return args;
}

/** An empty mount point in the jail dir: `d<n>` a directory, `f<n>` a file, reused by every staged sandbox (each binds onto it in its own mount namespace). */
function stageMountPoint(kind: "d" | "f", n: number): string {
  const point = join(ownJailDir(), `${kind}${n}`);
  if (!existsSync(point)) {
    if (kind === "d") mkdirSync(point, { mode: 0o755 });
    else writeFileSync(point, "", { mode: 0o644 });
  }
  return point;
}

/** Whether `user` may walk down to `path` (search permission on each directory above it). */
function walkable(path: string, user: HostUser): boolean {
  let dir = dirname(path);
  for (;;) {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch {
      return false;
    }
    const x = st.uid === user.uid ? st.mode & 0o100 : st.gid === user.gid ? st.mode & 0o010 : st.mode & 0o001;
    if (!x) return false;
    if (dir === "/") return true;
    dir = dirname(dir);
  }
}

/**
 * Staging for a LAP running as root: mounts whose host path the sandbox's uid cannot walk to are
 * re-pointed at a stage mount point, and a wrapper (a new mount namespace with private propagation)
 * binds each such host path there before it execs the command. Mounts the uid can reach stay as they
 * are, and with none to stage there is no wrapper.
 */
function staging(mounts: Mount[], user: HostUser): { mounts: Mount[]; wrap(command: string[]): string[] } {
  const pairs: string[] = [];
  let n = 0;
  const out = mounts.map((m) => {
    // bubblewrap resolves links in the source as the sandbox's uid: judge the real path.
    if (walkable(realpathSync(m.host), user)) return m;
    const point = stageMountPoint(lstatSync(m.host).isDirectory() ? "d" : "f", n++);
    pairs.push(m.host, point);
    return { ...m, host: point };
  });
  if (!pairs.length) return { mounts, wrap: (c) => c };
  const script = 'while [ "$1" != "--" ]; do mount --bind "$1" "$2" || exit 126; shift 2; done; shift; exec "$@"';
  return {
    mounts: out,
    wrap: (command) => [
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "--",
      "/bin/sh",
      "-c",
      script,
      "lap-stage",
      ...pairs,
      "--",
      ...command,
    ],
  };
}

/**
 * The whole command. LAP as root: stage the paths the sandbox's uid cannot reach (as root, in a
 * private mount namespace), drop to that uid (setpriv, parent-death signal armed again), check the
 * parent once more and open the files the jail reads by descriptor (sh), exec bubblewrap. LAP as
 * another user: sh opens the files and execs bubblewrap.
 */
export function jailCommand(opts: JailOptions, command: string[]): string[] {
  const assets = jailAssets(opts.home);
  const opened: string[] = [];
  const fd = (path: string) => {
    opened.push(path);
    return String(2 + opened.length);
  };
  const stage = opts.user ? staging(opts.mounts, opts.user) : { mounts: opts.mounts, wrap: (c: string[]) => c };
  // Never --share-net: a jail's network namespace has only loopback; its ways out are Unix sockets
  // LAP serves (the LAP bridge, the egress proxy), bridged to loopback ports inside.
  const args = ["--unshare-all", "--unshare-user"];
  if (opts.disableUserns) args.push("--disable-userns");
  args.push("--uid", String(INSIDE_USER.uid), "--gid", String(INSIDE_USER.gid), "--cap-drop", "ALL");
  if (opts.dieWithParent !== false) args.push("--die-with-parent");
  args.push("--new-session", "--hostname", "lap-sandbox");
  args.push(...systemArgs());
  args.push("--ro-bind-data", fd(assets.passwd), "/etc/passwd", "--ro-bind-data", fd(assets.group), "/etc/group");
  args.push("--proc", "/proc", "--dev", "/dev");
  // Same kernel inside and out: mask what exists here (bubblewrap cannot create files in /proc).
  for (const p of PROC_MASKED) if (existsSync(`/proc/${p}`)) args.push("--ro-bind", "/dev/null", `/proc/${p}`);
  // The private /tmp and /run come before the binds: LAP itself may live under /tmp (a CI checkout).
  args.push("--tmpfs", "/tmp", "--tmpfs", "/run");
  for (const m of stage.mounts) args.push(m.writable ? "--bind" : "--ro-bind", m.host, m.sandbox);
  args.push("--chdir", opts.chdir);
  if (opts.env) {
    args.push("--clearenv");
    for (const [k, v] of Object.entries(opts.env)) args.push("--setenv", k, v);
  }
  for (const k of opts.unsetEnv ?? []) args.push("--unsetenv", k);
  args.push("--seccomp", fd(assets.seccomp));
  // The root bwrap builds is a tmpfs: read-only, so only the writable binds, /tmp and /run take writes.
  args.push("--remount-ro", "/");
  const bwrap = [opts.bwrap ?? "bwrap", ...args, "--", ...command];
  // After a uid change the parent is checked again (sandbox-user.ts, droppedCommand).
  const parent = opts.user && opts.parentPid !== null ? (opts.parentPid ?? process.pid) : null;
  return stage.wrap(droppedCommand(opts.user, openingFiles(opened, bwrap, parent), parent !== null));
}

/**
 * `sh -c 'exec 3<"$2" 4<"$3" …; shift N+1; exec "$@"'`: the files open as descriptors 3, 4, … for
 * the command (bubblewrap closes each one it consumes); with `parentPid`, the shell first exits
 * (125) unless its parent is that process. At most 7 files (sh's descriptors stop at 9).
 */
export function openingFiles(files: string[], command: string[], parentPid: number | null = null): string[] {
  if (files.length > 7) throw new Error("openingFiles: at most 7 files");
  const check = parentPid === null ? "" : `[ "$PPID" = "$1" ] || exit ${PARENT_GONE_EXIT}; `;
  const redirects = files.map((_, i) => `${i + 3}<"$${i + 2}"`).join(" ");
  const open = files.length ? `exec ${redirects} || exit 126; ` : "";
  return [
    "/bin/sh",
    "-c",
    `${check}${open}shift ${files.length + 1}; exec "$@"`,
    "lap-jail",
    String(parentPid ?? ""),
    ...files,
    ...command,
  ];
}

export interface BwrapPaths {
  bunPath: string;
  harnessRoot: string;
  nodeModules?: string;
  workspace: string;
  runDir: string;
  extraReadOnly?: Array<{ host: string; sandbox: string }>;
}

/** A local sandbox: the Bun binary, harness/, node_modules and the bundle read-only under /opt/lap, the workspace and run dir writable. */
export function localSandboxCommand(
  paths: BwrapPaths,
  command: string[],
  opts: {
    user: HostUser | null;
    bwrap?: string;
    disableUserns: boolean;
    unsetEnv?: string[];
    parentPid?: number | null;
    dieWithParent?: boolean;
  },
): string[] {
  const mounts: Mount[] = [
    { host: paths.bunPath, sandbox: IN_SANDBOX.bun },
    { host: paths.harnessRoot, sandbox: IN_SANDBOX.harnessRoot },
    ...(paths.nodeModules ? [{ host: paths.nodeModules, sandbox: IN_SANDBOX.nodeModules }] : []),
    ...(paths.extraReadOnly ?? []),
    { host: paths.workspace, sandbox: IN_SANDBOX.workspace, writable: true },
    { host: paths.runDir, sandbox: IN_SANDBOX.runDir, writable: true },
  ];
  return jailCommand({ ...opts, mounts, home: IN_SANDBOX.workspace, chdir: IN_SANDBOX.workspace }, command);
}
