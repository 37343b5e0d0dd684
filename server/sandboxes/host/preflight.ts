/**
 * Whether this machine can run a sandbox the only way LAP allows: bubblewrap in a new user
 * namespace as a non-root host uid (docs/security.md, "Sandboxes"). Asked once before the first
 * sandbox (local provider, stdio MCP launcher) and by `lap doctor`. There is no fallback to root.
 */
import { bwrapFeatures, jailCommand } from "./bwrap";
import { type BwrapCheck, classifyBwrapError, detectPlace, fixFor } from "./bwrap-check";
import { type HostUser, runningAsRoot } from "./sandbox-user";

export const SETPRIV_MISSING =
  "LAP runs as root and needs setpriv (util-linux) to start sandboxes as an unprivileged user: apt-get install -y util-linux. Check with `lap doctor`.";

type Failure = Exclude<BwrapCheck, { ok: true }>;
type Probe = { failure: Failure } | { command: string[]; explain(exitCode: number, stderr: string): Failure | null };
interface ProbeOptions {
  bwrap?: string;
  user: HostUser | null;
  /** Where LAP runs, for the fix (a host, a container, a pod); default: this process's environment. */
  env?: Record<string, string | undefined>;
}

function probe(opts: ProbeOptions): Probe {
  const bwrap = opts.bwrap ?? "bwrap";
  const place = detectPlace(opts.env);
  if (!Bun.which(bwrap))
    return { failure: { ok: false, problem: "missing", reason: `bubblewrap (${bwrap}) is not installed`, fix: fixFor("missing", place) } };
  if (runningAsRoot() && !opts.user) {
    return {
      failure: {
        ok: false,
        problem: "other",
        reason: "LAP runs as root but no unprivileged uid was chosen for the sandbox",
        fix: "Set LAP_SANDBOX_UIDS to a range of unused uids; LAP never runs a sandbox as root.",
      },
    };
  }
  if (opts.user && !Bun.which("setpriv"))
    return { failure: { ok: false, problem: "other", reason: "setpriv is missing", fix: SETPRIV_MISSING } };
  const command = jailCommand(
    {
      bwrap,
      user: opts.user,
      mounts: [],
      home: "/tmp",
      chdir: "/tmp",
      env: { PATH: "/usr/bin:/bin" },
      disableUserns: bwrapFeatures(bwrap).disableUserns,
    },
    ["/bin/sh", "-c", 'test "$(id -u)" != 0'],
  );
  return {
    command,
    explain(exitCode, stderr) {
      if (exitCode === 0) return null;
      const why = stderr.trim().split("\n").slice(-2).join(" ") || `exit code ${exitCode}`;
      const as = opts.user ? `uid ${opts.user.uid}` : `LAP's uid ${process.getuid?.()}`;
      const problem = classifyBwrapError(why);
      return {
        ok: false,
        problem,
        reason: `bubblewrap could not start a sandbox in a user namespace as ${as} (${why}); LAP never runs sandboxes as root`,
        fix: fixFor(problem, place),
      };
    },
  };
}

const probeEnv = () => ({ PATH: process.env.PATH ?? "/usr/bin:/bin" });
const version = (bwrap: string) =>
  Bun.spawnSync([Bun.which(bwrap) ?? bwrap, "--version"], { stdout: "pipe", stderr: "ignore" })
    .stdout.toString()
    .trim();
const message = (f: Failure) => `${f.reason}. ${f.fix}`;

/** The jail LAP starts, tried once: ok with bwrap's version, or what failed and the fix for where LAP runs. Blocks. */
export function checkBubblewrap(opts: ProbeOptions): BwrapCheck {
  const p = probe(opts);
  if ("failure" in p) return p.failure;
  const out = Bun.spawnSync(p.command, { stdout: "ignore", stderr: "pipe", env: probeEnv() });
  return p.explain(out.exitCode ?? 1, out.stderr?.toString() ?? "") ?? { ok: true, version: version(opts.bwrap ?? "bwrap") };
}

/** null when a sandbox can start as `user`; otherwise what failed and how to fix it. Blocks (the stdio launcher plans synchronously). */
export function sandboxingProblem(opts: ProbeOptions): string | null {
  const check = checkBubblewrap(opts);
  return check.ok ? null : message(check);
}

/** sandboxingProblem without blocking the event loop (the local provider, `lap doctor`). */
export async function checkSandboxing(opts: ProbeOptions): Promise<string | null> {
  const p = probe(opts);
  if ("failure" in p) return message(p.failure);
  const proc = Bun.spawn(p.command, { stdout: "ignore", stderr: "pipe", env: probeEnv() });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  const failure = p.explain(code, stderr);
  return failure ? message(failure) : null;
}
