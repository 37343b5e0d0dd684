/**
 * The bubblewrap command lines of local sandboxes and stdio MCP servers (docs/security.md,
 * "Sandboxes"): a new user namespace as a non-root host uid (sandbox-user.ts), every capability
 * dropped, no further user namespaces, a seccomp filter (seccomp.ts), own pid/ipc/uts/net/cgroup
 * namespaces, a read-only root with only the listed writable places, /proc/sys and friends
 * read-only, a private /etc/passwd, killed with LAP.
 *
 * Host paths LAP chooses (the workspace, the run dir, the Bun binary, harness/, node_modules, the
 * bundle) may lie where the sandbox's uid cannot walk (LAP_DATA_DIR under /root, a 0700 temp dir).
 * A LAP running as root therefore stages them first: in a private mount namespace of its own it
 * mounts a small tmpfs on an empty directory and bind-mounts each path into it, then drops to the
 * sandbox's uid, and bubblewrap binds them from there. Nothing of this is visible on the host, and
 * the rest of the data dir stays out of the sandbox user's reach. (`bwrap --bind-fd` does not help:
 * bubblewrap 0.8 resolves the descriptor's path again as the unprivileged user.)
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { droppedCommand, type HostUser, INSIDE_USER, insideAccounts } from "./sandbox-user";
import { nativeSeccompArch, sandboxSeccompFilter } from "./seccomp";

export const IN_SANDBOX = {
  bun: "/opt/lap/bin/bun",
  harnessRoot: "/opt/lap/harness",
  bundle: "/opt/lap/bundle",
  nodeModules: "/opt/lap/node_modules",
  workspace: "/workspace",
  runDir: "/run/lap",
} as const;

/** Only what programs need from /etc: no shadow, no host keys, no LAP config, no host accounts. */
export const ETC_FILES = [
  "alternatives", "ca-certificates", "ssl", "pki", "hosts", "nsswitch.conf", "localtime",
  "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "mime.types", "gitconfig", "bash.bashrc", "profile", "inputrc",
];

/** /proc files hidden even from an unprivileged sandbox (bubblewrap already makes sys, sysrq-trigger, irq, bus read-only). */
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
  /** Host paths bound by path (system directories every uid may walk to). */
  pathMounts?: Mount[];
  /** Home of the sandbox user in /etc/passwd. */
  home: string;
  network?: boolean;
  chdir: string;
  /** Environment inside (`--clearenv` + `--setenv`); null keeps the spawner's. */
  env?: Record<string, string> | null;
  /** bubblewrap >= 0.8 understands --disable-userns (bwrapFeatures). */
  disableUserns: boolean;
  /** The process that spawns the jail, checked again after the uid drop (null: not spawned by LAP, no check). */
  parentPid?: number | null;
  /** Variables the spawner set for LAP's own use (process markers) that the sandbox must not see. */
  unsetEnv?: string[];
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
 * Files every jail reads through a descriptor (seccomp filter, passwd, group), in a directory only
 * LAP's user can open. Rewritten when something (a /tmp cleaner) removed them.
 */
let assetsDir: string | null = null;
function jailAssets(home: string): { seccomp: string; passwd: string; group: string } {
  if (!assetsDir || !existsSync(assetsDir)) assetsDir = mkdtempSync(join(tmpdir(), "lap-jail-"));
  const tag = Buffer.from(home).toString("hex");
  const files = { seccomp: join(assetsDir, `seccomp-${nativeSeccompArch()}.bpf`), passwd: join(assetsDir, `passwd-${tag}`), group: join(assetsDir, "group") };
  const accounts = insideAccounts(home);
  mkdirSync(assetsDir, { recursive: true, mode: 0o700 });
  if (!existsSync(files.seccomp)) writeFileSync(files.seccomp, sandboxSeccompFilter(), { mode: 0o600 });
  if (!existsSync(files.passwd)) writeFileSync(files.passwd, accounts.passwd, { mode: 0o600 });
  if (!existsSync(files.group)) writeFileSync(files.group, accounts.group, { mode: 0o600 });
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

/** An empty directory under /tmp (which every uid may walk) that a staging tmpfs covers; made again if a cleaner removed it. */
let stageDir: string | null = null;
function stageMountPoint(): string {
  if (!stageDir || !existsSync(stageDir)) {
    stageDir = mkdtempSync("/tmp/lap-stage-");
    chmodSync(stageDir, 0o755);
  }
  return stageDir;
}

/**
 * Staging for a LAP running as root: the mounts re-pointed at `<stage>/m<n>`, and a wrapper that
 * (in a new mount namespace with private propagation) mounts a tmpfs on the stage and binds each
 * host path there before it execs the command.
 */
function staging(mounts: Mount[]): { mounts: Mount[]; wrap(command: string[]): string[] } {
  if (!mounts.length) return { mounts, wrap: (c) => c };
  const dir = stageMountPoint();
  const script =
    'd=$1; shift; mount -t tmpfs -o mode=0755,nosuid,nodev,size=64k lap-stage "$d" || exit 126; ' +
    'while [ "$1" != "--" ]; do if [ -d "$1" ]; then mkdir "$d/$2"; else : > "$d/$2"; fi; mount --bind "$1" "$d/$2" || exit 126; shift 2; done; shift; exec "$@"';
  const pairs = mounts.flatMap((m, i) => [m.host, `m${i}`]);
  return {
    mounts: mounts.map((m, i) => ({ ...m, host: join(dir, `m${i}`) })),
    wrap: (command) => ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "lap-stage", dir, ...pairs, "--", ...command],
  };
}

/**
 * The whole command: a shell (as LAP's user) opens the files the jail reads by descriptor, LAP's
 * paths are staged (when LAP is root), the process drops to the sandbox user, and execs bubblewrap.
 */
export function jailCommand(opts: JailOptions, command: string[]): string[] {
  const assets = jailAssets(opts.home);
  const opened: string[] = [];
  const fd = (path: string) => {
    opened.push(path);
    return String(2 + opened.length);
  };
  const stage = opts.user ? staging(opts.mounts) : { mounts: opts.mounts, wrap: (c: string[]) => c };
  const args = ["--unshare-all", "--unshare-user"];
  if (opts.network) args.push("--share-net");
  if (opts.disableUserns) args.push("--disable-userns");
  args.push("--uid", String(INSIDE_USER.uid), "--gid", String(INSIDE_USER.gid), "--cap-drop", "ALL");
  args.push("--die-with-parent", "--new-session", "--hostname", "lap-sandbox");
  args.push(...systemArgs());
  args.push("--ro-bind-data", fd(assets.passwd), "/etc/passwd", "--ro-bind-data", fd(assets.group), "/etc/group");
  args.push("--proc", "/proc", "--dev", "/dev");
  // Same kernel inside and out: mask what exists here (bubblewrap cannot create files in /proc).
  for (const p of PROC_MASKED) if (existsSync(`/proc/${p}`)) args.push("--ro-bind", "/dev/null", `/proc/${p}`);
  // The private /tmp and /run come before the binds: LAP itself may live under /tmp (a CI checkout).
  args.push("--tmpfs", "/tmp", "--tmpfs", "/run");
  for (const m of opts.pathMounts ?? []) args.push(m.writable ? "--bind" : "--ro-bind", m.host, m.sandbox);
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
  const dropped = droppedCommand(opts.user, bwrap, opts.parentPid === undefined ? process.pid : opts.parentPid);
  return openingFiles(opened, stage.wrap(dropped));
}

/**
 * `sh -c 'exec 3<"$1" 4<"$2" …; shift N; exec "$@"'`: the files open as descriptors 3, 4, … for
 * the command (bubblewrap closes each one it consumes). At most 7 (sh's descriptors stop at 9).
 */
export function openingFiles(files: string[], command: string[]): string[] {
  if (!files.length) return command;
  if (files.length > 7) throw new Error("openingFiles: at most 7 files");
  const redirects = files.map((_, i) => `${i + 3}<"$${i + 1}"`).join(" ");
  return ["/bin/sh", "-c", `exec ${redirects} || exit 126; shift ${files.length}; exec "$@"`, "lap-jail", ...files, ...command];
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
  opts: { user: HostUser | null; bwrap?: string; disableUserns: boolean; unsetEnv?: string[]; parentPid?: number | null },
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
