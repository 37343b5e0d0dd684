/**
 * The bubblewrap command line of a local sandbox: system directories read-only, a private /tmp,
 * the workspace read-write at /workspace, the Bun binary and harness/ read-only under /opt/lap,
 * LAP's sockets at /run/lap, own pid/ipc/uts/net/user/cgroup namespaces, killed with LAP.
 */
import { existsSync, lstatSync } from "node:fs";

export const IN_SANDBOX = {
  bun: "/opt/lap/bin/bun",
  harnessRoot: "/opt/lap/harness",
  bundle: "/opt/lap/bundle",
  nodeModules: "/opt/lap/node_modules",
  harnessBin: "/opt/lap/harness-bin",
  workspace: "/workspace",
  runDir: "/run/lap",
} as const;

/** Only what programs need from /etc: no shadow, no host keys, no LAP config. */
const ETC_FILES = [
  "alternatives", "ca-certificates", "ssl", "pki", "hosts", "passwd", "group", "nsswitch.conf", "localtime",
  "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "mime.types", "gitconfig", "bash.bashrc", "profile", "inputrc",
];

export interface BwrapPaths {
  bunPath: string;
  harnessRoot: string;
  nodeModules?: string;
  workspace: string;
  runDir: string;
  extraReadOnly?: Array<{ host: string; sandbox: string }>;
}

export function bwrapArgs(paths: BwrapPaths, command: string[]): string[] {
  const args = ["--unshare-all", "--die-with-parent", "--new-session", "--hostname", "lap-sandbox", "--ro-bind", "/usr", "/usr"];
  for (const top of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
    const host = `/${top}`;
    if (!existsSync(host)) continue;
    const st = lstatSync(host);
    // Merged-/usr systems: /bin -> usr/bin is a symlink; keep it one.
    if (st.isSymbolicLink()) args.push("--symlink", `usr/${top}`, host);
    else args.push("--ro-bind", host, host);
  }
  for (const f of ETC_FILES) args.push("--ro-bind-try", `/etc/${f}`, `/etc/${f}`);
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run");
  args.push("--ro-bind", paths.bunPath, IN_SANDBOX.bun);
  args.push("--ro-bind", paths.harnessRoot, IN_SANDBOX.harnessRoot);
  if (paths.nodeModules) args.push("--ro-bind", paths.nodeModules, IN_SANDBOX.nodeModules);
  for (const extra of paths.extraReadOnly ?? []) args.push("--ro-bind", extra.host, extra.sandbox);
  args.push("--bind", paths.workspace, IN_SANDBOX.workspace);
  args.push("--bind", paths.runDir, IN_SANDBOX.runDir);
  args.push("--chdir", IN_SANDBOX.workspace);
  // The root bwrap builds is a tmpfs: make it read-only so only /workspace, /tmp and /run/lap take writes.
  args.push("--remount-ro", "/");
  return ["bwrap", ...args, "--", ...command];
}
