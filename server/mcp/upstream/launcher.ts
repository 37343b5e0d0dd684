import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Logger } from "../../lib/logger";
import { parentBoundCommand } from "../../lib/parent-bound";

/** What a registered stdio server asks to run. */
export interface StdioSpec {
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
}

/**
 * How stdio MCP servers are started. They must not run loose on LAP's host: the default wraps them in
 * bubblewrap; the sandbox provider (a later issue) will plug in behind this same interface.
 */
export interface StdioLauncher {
  readonly name: string;
  plan(spec: StdioSpec): LaunchPlan;
}

const PROJECT_NODE_MODULES = fileURLToPath(new URL("../../../node_modules", import.meta.url));
const BASE_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * bubblewrap: system directories read-only, the project's node_modules read-only (so npm-installed
 * servers run), a private /tmp, every namespace unshared (network only if the server asks), no
 * inherited environment, and the process dies with LAP.
 */
export function bubblewrapLauncher(opts: { bwrap?: string; nodeModules?: string } = {}): StdioLauncher {
  const bwrap = opts.bwrap ?? "/usr/bin/bwrap";
  const nodeModules = opts.nodeModules ?? PROJECT_NODE_MODULES;
  return {
    name: "bubblewrap",
    plan(spec) {
      const args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/bin", "/bin", "--ro-bind", "/etc", "/etc"];
      for (const dir of ["/lib", "/lib64", "/lib32", "/sbin"]) if (existsSync(dir)) args.push("--ro-bind", dir, dir);
      // The private /tmp comes before the binds: LAP itself may live under /tmp (a CI checkout), and a
      // tmpfs mounted after them would hide node_modules and the bound paths.
      args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
      if (existsSync(nodeModules)) args.push("--ro-bind", nodeModules, nodeModules);
      for (const b of spec.bindPaths) args.push(b.writable ? "--bind" : "--ro-bind", b.path, b.path);
      args.push("--unshare-all");
      if (spec.network) args.push("--share-net");
      args.push("--die-with-parent", "--new-session", "--clearenv", "--chdir", "/tmp");
      const env = { PATH: BASE_PATH, HOME: "/tmp", ...spec.env };
      for (const [k, v] of Object.entries(env)) args.push("--setenv", k, v);
      args.push("--", spec.command, ...spec.args);
      // bwrap itself gets a minimal environment; the server's own comes from --setenv above. The
      // parent-death signal is armed before bwrap runs (bwrap's own --die-with-parent comes too late
      // for a LAP killed while it starts; see server/lib/parent-bound.ts).
      const [command, ...wrapped] = parentBoundCommand([bwrap, ...args]);
      return { command: command!, args: wrapped, env: { PATH: BASE_PATH } };
    },
  };
}

/** Runs the server directly on LAP's host. Development only: it sees LAP's files and network. */
export function processLauncher(logger?: Logger): StdioLauncher {
  let warned = false;
  return {
    name: "process",
    plan(spec) {
      if (!warned) {
        logger?.warn({ launcher: "process" }, "stdio MCP servers run unsandboxed on this host (LAP_MCP_STDIO_LAUNCHER=process); use bubblewrap in production");
        warned = true;
      }
      return { command: spec.command, args: spec.args, env: { PATH: process.env.PATH ?? BASE_PATH, HOME: process.env.HOME ?? "/tmp", ...spec.env } };
    },
  };
}

export function createLauncher(kind: "bubblewrap" | "process", logger?: Logger): StdioLauncher {
  return kind === "process" ? processLauncher(logger) : bubblewrapLauncher();
}
