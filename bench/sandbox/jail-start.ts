/**
 * What the hardened jail costs to start (server/sandboxes/host/bwrap.ts), as CPU time of the
 * launched command and its children (load-independent, unlike wall time on a shared machine):
 * the old command line (bubblewrap as root, no user switch), the jail with every path reachable by
 * the sandbox's uid, and the jail with the workspace staged (LAP_DATA_DIR in a 0700 directory).
 * Root only. `bun bench/sandbox/jail-start.ts [runs]`.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { bwrapFeatures, jailCommand } from "../../server/sandboxes/host/bwrap";

const RUNS = Number(process.argv[2] ?? 30);
if (process.getuid?.() !== 0) throw new Error("run as root");
const bun = realpathSync(process.execPath);
const user = { uid: 2_000_000_005, gid: 2_000_000_005 };
const workspaceIn = (mode: number) => {
  const parent = mkdtempSync("/tmp/lap-jail-bench-");
  chmodSync(parent, mode);
  const ws = join(parent, "ws");
  mkdirSync(ws);
  chownSync(ws, user.uid, user.gid);
  return ws;
};
const reachable = workspaceIn(0o755);
const closed = workspaceIn(0o700);
const cpu = (cmd: string[]) => {
  const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode) throw new Error(r.stderr.toString());
  const u = r.resourceUsage!;
  return Number(u.cpuTime.user + u.cpuTime.system) / 1000;
};
const old = [
  "bwrap",
  "--unshare-all",
  "--die-with-parent",
  "--ro-bind",
  "/usr",
  "/usr",
  "--symlink",
  "usr/bin",
  "/bin",
  "--symlink",
  "usr/lib",
  "/lib",
  "--symlink",
  "usr/lib64",
  "/lib64",
  "--proc",
  "/proc",
  "--dev",
  "/dev",
  "--tmpfs",
  "/tmp",
  "--ro-bind",
  bun,
  "/opt/bun",
  "--bind",
  reachable,
  "/workspace",
  "--",
  "/bin/true",
];
const jail = (ws: string) =>
  jailCommand(
    {
      user,
      mounts: [
        { host: bun, sandbox: "/opt/bun" },
        { host: ws, sandbox: "/workspace", writable: true },
      ],
      home: "/workspace",
      chdir: "/workspace",
      disableUserns: bwrapFeatures().disableUserns,
    },
    ["/bin/true"],
  );
const runs: Record<string, number[]> = { "old (bwrap as root)": [], "jail, paths reachable": [], "jail, workspace staged": [] };
for (let i = 0; i < RUNS; i++) {
  runs["old (bwrap as root)"]!.push(cpu(old));
  runs["jail, paths reachable"]!.push(cpu(jail(reachable)));
  runs["jail, workspace staged"]!.push(cpu(jail(closed)));
}
console.log("| command | CPU ms, median | p90 |\n|---|---|---|");
for (const [k, v] of Object.entries(runs)) {
  v.sort((a, b) => a - b);
  console.log(`| ${k} | ${v[Math.floor(v.length / 2)]!.toFixed(1)} | ${v[Math.floor(v.length * 0.9)]!.toFixed(1)} |`);
}
