import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Logger } from "../../server/lib/logger";
import { parentBoundCommand } from "../../server/lib/parent-bound";
import { bwrapFeatures, jailCommand, type Mount } from "../../server/sandboxes/host/bwrap";
import { sandboxingProblem } from "../../server/sandboxes/host/preflight";
import { type HostUser, SandboxUsers, type UidRange } from "../../server/sandboxes/host/sandbox-user";
import { DestinationGuard } from "../../server/net/destinations";
import { openStdioEgress, type StdioEgressOptions } from "./egress";

/** What a registered stdio server asks to run. */
export interface StdioSpec {
  /** The registered server's name (egress records are kept under `mcp:<name>`). */
  name?: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  bindPaths: Array<{ path: string; writable: boolean }>;
  network: boolean;
}

/** The process the stdio client transport actually spawns. */
export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** Closes what the launch opened for the process (its egress proxy); call once it is gone. Idempotent. */
  release?(): Promise<void>;
}

/**
 * How stdio MCP servers are started. They must not run loose on LAP's host: the default wraps them in
 * bubblewrap; the sandbox provider (a later issue) will plug in behind this same interface.
 */
export interface StdioLauncher {
  readonly name: string;
  plan(spec: StdioSpec): Promise<LaunchPlan>;
}

const PROJECT_NODE_MODULES = fileURLToPath(new URL("../../node_modules", import.meta.url));
const BASE_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * bubblewrap, hardened like a local sandbox (server/sandboxes/host/bwrap.ts, docs/security.md
 * "Stdio MCP servers"): a non-root host uid in its own user namespace (the first of
 * LAP_SANDBOX_UIDS when LAP is root), no capabilities, the seccomp filter, system directories and
 * a short list of /etc files read-only (no /etc/shadow, no host accounts), the project's
 * node_modules read-only (so npm-installed servers run), a private /tmp, every namespace unshared
 * (the network namespace too: with `network: true` the only way out is LAP's egress proxy, see
 * egress.ts), no inherited environment, and the process dies with LAP.
 * Bound paths keep their host path inside; a writable one must be writable by that uid.
 * `egress`: the destination check and record sink of that proxy (default: public addresses only,
 * records to the log).
 */
export function bubblewrapLauncher(
  opts: { bwrap?: string; nodeModules?: string; users?: SandboxUsers; logger?: Logger; egress?: Partial<StdioEgressOptions> } = {},
): StdioLauncher {
  const bwrap = opts.bwrap ?? "/usr/bin/bwrap";
  const nodeModules = opts.nodeModules ?? PROJECT_NODE_MODULES;
  const users = opts.users ?? new SandboxUsers();
  const egressOptions: StdioEgressOptions = { destinations: new DestinationGuard(), logger: opts.logger, ...opts.egress };
  let checked = false;
  return {
    name: "bubblewrap",
    async plan(spec) {
      const user = users.mcpUser();
      if (!checked) {
        // Once: no stdio server starts unless it can start as a non-root user (never as root).
        const problem = sandboxingProblem({ bwrap, user });
        if (problem) throw new Error(`stdio MCP servers cannot be sandboxed: ${problem}`);
        checked = true;
      }
      const mounts: Mount[] = [];
      if (existsSync(nodeModules)) mounts.push({ host: nodeModules, sandbox: nodeModules });
      for (const b of spec.bindPaths) mounts.push({ host: b.path, sandbox: b.path, writable: b.writable });
      if (user) warnUnreachable(spec.bindPaths, user, opts.logger);
      // Never the host's network: the jail's own namespace, and with `network` a proxy out of it.
      const egress = spec.network ? await openStdioEgress(spec.name ?? "stdio", user, egressOptions) : null;
      try {
        if (egress) mounts.push(...egress.mounts);
        const env = { PATH: BASE_PATH, HOME: "/tmp", ...spec.env, ...egress?.env };
        const server = [spec.command, ...spec.args];
        const command = jailCommand(
          { bwrap, user, mounts, home: "/tmp", chdir: "/tmp", env, disableUserns: bwrapFeatures(bwrap).disableUserns },
          egress ? egress.wrap(server) : server,
        );
        // bwrap itself gets a minimal environment; the server's own comes from --setenv. The
        // parent-death signal is armed before bwrap runs (bwrap's own --die-with-parent comes too late
        // for a LAP killed while it starts; see server/lib/parent-bound.ts).
        const [first, ...wrapped] = parentBoundCommand(command);
        return { command: first!, args: wrapped, env: { PATH: BASE_PATH }, ...(egress ? { release: egress.close } : {}) };
      } catch (err) {
        await egress?.close();
        throw err;
      }
    },
  };
}

/**
 * The server runs as `user`, not root: say so in the log when a bound path is closed to that uid
 * (a 0700 directory, a file only root may read), rather than leave the server to fail on EACCES.
 */
function warnUnreachable(binds: StdioSpec["bindPaths"], user: HostUser, logger?: Logger) {
  for (const b of binds) {
    const test = b.writable ? `test -r "$1" && test -w "$1"` : `test -r "$1"`;
    const ok =
      Bun.spawnSync(["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--", "/bin/sh", "-c", test, "sh", b.path])
        .exitCode === 0;
    if (!ok)
      logger?.warn(
        { path: b.path, uid: user.uid, writable: b.writable },
        `stdio MCP servers run as uid ${user.uid} (LAP_SANDBOX_UIDS), which cannot ${b.writable ? "read and write" : "read"} this bound path; give that uid access (chown/chmod/setfacl)`,
      );
  }
}

/** Runs the server directly on LAP's host. Development only: it sees LAP's files and network. */
export function processLauncher(logger?: Logger): StdioLauncher {
  let warned = false;
  return {
    name: "process",
    async plan(spec) {
      if (!warned) {
        logger?.warn(
          { launcher: "process" },
          "stdio MCP servers run unsandboxed on this host (LAP_MCP_STDIO_LAUNCHER=process); use bubblewrap in production",
        );
        warned = true;
      }
      return {
        command: spec.command,
        args: spec.args,
        env: { PATH: process.env.PATH ?? BASE_PATH, HOME: process.env.HOME ?? "/tmp", ...spec.env },
      };
    },
  };
}

/**
 * `uids`: LAP_SANDBOX_UIDS (a LAP running as root starts stdio servers as its first uid);
 * `egress`: the destination check (LAP_ALLOW_PRIVATE_HOSTS) and record sink for `network: true` servers.
 */
export function createLauncher(
  kind: "bubblewrap" | "process",
  logger?: Logger,
  uids?: UidRange,
  egress?: Partial<StdioEgressOptions>,
): StdioLauncher {
  return kind === "process" ? processLauncher(logger) : bubblewrapLauncher({ users: new SandboxUsers(uids), logger, egress });
}
