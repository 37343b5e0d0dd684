/**
 * Whether this machine can run a sandbox the only way LAP allows: bubblewrap in a new user
 * namespace as a non-root host uid (docs/security.md, "Sandboxes"). Asked once before the first
 * sandbox (local provider, stdio MCP launcher) and by `lap doctor`. There is no fallback to root.
 */
import { bwrapFeatures, jailCommand } from "./bwrap";
import { type HostUser, runningAsRoot } from "./sandbox-user";

export const USERNS_FIX =
  "Allow unprivileged user namespaces: `sysctl -w user.max_user_namespaces=15000` (and on older Debian kernels `sysctl -w kernel.unprivileged_userns_clone=1`; " +
  "on Ubuntu 23.10+ `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile allowing bwrap's user namespaces). " +
  "In a container, start LAP's container with a seccomp and AppArmor profile that allow creating user namespaces " +
  "(e.g. docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined). Check with `lap doctor`.";

export const SETPRIV_MISSING =
  "LAP runs as root and needs setpriv (util-linux) to start sandboxes as an unprivileged user: apt-get install -y util-linux. Check with `lap doctor`.";

type Probe = { problem: string } | { command: string[]; explain(exitCode: number, stderr: string): string | null };

function probe(opts: { bwrap?: string; user: HostUser | null }): Probe {
  const bwrap = opts.bwrap ?? "bwrap";
  if (!Bun.which(bwrap)) return { problem: `bubblewrap (${bwrap}) is not installed: apt-get install -y bubblewrap` };
  if (runningAsRoot() && !opts.user) return { problem: "LAP runs as root but no unprivileged uid was chosen for the sandbox; LAP never runs a sandbox as root" };
  if (opts.user && !Bun.which("setpriv")) return { problem: SETPRIV_MISSING };
  const command = jailCommand(
    { bwrap, user: opts.user, mounts: [], home: "/tmp", chdir: "/tmp", env: { PATH: "/usr/bin:/bin" }, disableUserns: bwrapFeatures(bwrap).disableUserns },
    ["/bin/sh", "-c", "test \"$(id -u)\" != 0"],
  );
  return {
    command,
    explain(exitCode, stderr) {
      if (exitCode === 0) return null;
      const why = stderr.trim().split("\n").slice(-2).join(" ") || `exit code ${exitCode}`;
      const as = opts.user ? `uid ${opts.user.uid}` : `LAP's uid ${process.getuid?.()}`;
      return `bubblewrap could not start a sandbox in a user namespace as ${as} (${why}). LAP never runs sandboxes as root. ${USERNS_FIX}`;
    },
  };
}

const probeEnv = () => ({ PATH: process.env.PATH ?? "/usr/bin:/bin" });

/** null when a sandbox can start as `user`; otherwise what failed and how to fix it. Blocks (the stdio launcher plans synchronously). */
export function sandboxingProblem(opts: { bwrap?: string; user: HostUser | null }): string | null {
  const p = probe(opts);
  if ("problem" in p) return p.problem;
  const out = Bun.spawnSync(p.command, { stdout: "ignore", stderr: "pipe", env: probeEnv() });
  return p.explain(out.exitCode ?? 1, out.stderr?.toString() ?? "");
}

/** sandboxingProblem without blocking the event loop (the local provider, `lap doctor`). */
export async function checkSandboxing(opts: { bwrap?: string; user: HostUser | null }): Promise<string | null> {
  const p = probe(opts);
  if ("problem" in p) return p.problem;
  const proc = Bun.spawn(p.command, { stdout: "ignore", stderr: "pipe", env: probeEnv() });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return p.explain(code, stderr);
}
