// Where each harness CLI's real binary lives. npm installs a thin wrapper package plus a
// platform package (optionalDependencies) holding the native binary; we run the native binary
// directly so install scripts are not needed and one read-only copy serves every sandbox.
// LAP_HARNESS_BIN_DIR (e.g. /opt/lap/harness/bin, bound read-only into sandboxes) or a per-CLI
// LAP_<NAME>_BIN override wins over node_modules.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { HarnessName } from "./types.ts";

const os = process.platform === "darwin" ? "darwin" : "linux";
const arch = process.arch === "arm64" ? "arm64" : "x64";
const triple = `${arch === "arm64" ? "aarch64" : "x86_64"}-${os === "darwin" ? "apple-darwin" : "unknown-linux-musl"}`;

/**
 * Harnesses that are a JavaScript library rather than a CLI: LAP's own Bun runs them (DeepAgents is
 * a LangGraph library; its adapter's runner.ts is the program). Their "binary" is the package's entry.
 */
export const LIBRARY_HARNESSES: Partial<Record<HarnessName, string>> = { deepagents: "deepagents" };

/** Pinned by scripts/bootstrap.mjs, which installs both into `.tools/openclaw` (harness/adapters/README.md#openclaw). */
export const OPENCLAW_VERSION = "2026.9.6";
export const OPENCLAW_NODE_VERSION = "26.12.1";

/**
 * OpenClaw needs Node.js >= 24.16, which LAP does not otherwise use: it has an install of its own, the
 * `openclaw` package beside the npm registry's `node-<os>-<arch>` (a Node binary), outside LAP's
 * node_modules. LAP_OPENCLAW_DIR (bound read-only into sandboxes) or `.tools/openclaw` in the checkout.
 */
export function openclawDir(env: Record<string, string | undefined> = process.env): string {
  return env.LAP_OPENCLAW_DIR || resolve(import.meta.dir, "../../.tools/openclaw");
}

/** The Node binary of an OpenClaw install, next to its `openclaw` package. */
export function openclawNode(entry: string): string {
  return join(dirname(dirname(entry)), `node-${os}-${arch}`, "bin", "node");
}

function openclawEntry(env: Record<string, string | undefined>): string {
  const dir = openclawDir(env);
  const entry = join(dir, "node_modules", "openclaw", "openclaw.mjs");
  if (!existsSync(entry)) throw new Error(`openclaw: not installed in ${dir} (node scripts/bootstrap.mjs openclaw)`);
  if (!existsSync(openclawNode(entry)))
    throw new Error(`openclaw: ${openclawNode(entry)} is missing (node scripts/bootstrap.mjs openclaw)`);
  return entry;
}

const packages: Record<
  Exclude<HarnessName, "deepagents" | "openclaw">,
  { pkg: string; file: string; command: string; override: string }
> = {
  opencode: { pkg: `opencode-${os}-${arch}`, file: "bin/opencode", command: "opencode", override: "LAP_OPENCODE_BIN" },
  "claude-code": { pkg: `@anthropic-ai/claude-code-${os}-${arch}`, file: "claude", command: "claude", override: "LAP_CLAUDE_BIN" },
  codex: { pkg: `@openai/codex-${os}-${arch}`, file: `vendor/${triple}/bin/codex`, command: "codex", override: "LAP_CODEX_BIN" },
};

export function harnessBinary(name: HarnessName, env: Record<string, string | undefined> = process.env): string {
  if (name === "deepagents") {
    const pkg = LIBRARY_HARNESSES[name]!;
    try {
      return Bun.resolveSync(pkg, import.meta.dir);
    } catch {
      throw new Error(`${name}: package ${pkg} is not installed (bun add ${pkg})`);
    }
  }
  if (name === "openclaw") return openclawEntry(env);
  const entry = packages[name];
  const override = env[entry.override];
  if (override) return override;
  if (env.LAP_HARNESS_BIN_DIR) return join(env.LAP_HARNESS_BIN_DIR, entry.command);
  let packageDir: string;
  try {
    packageDir = dirname(Bun.resolveSync(`${entry.pkg}/package.json`, import.meta.dir));
  } catch {
    throw new Error(
      `${name}: package ${entry.pkg} is not installed (bun add ${name === "opencode" ? "opencode-ai" : name === "codex" ? "@openai/codex" : "@anthropic-ai/claude-code"})`,
    );
  }
  const binary = join(packageDir, entry.file);
  if (!existsSync(binary)) throw new Error(`${name}: ${binary} is missing`);
  return binary;
}

/** The environment every CLI gets: a minimal, explicit set, never the supervisor's own env. */
export function baseEnv(home: string, extra: Record<string, string> | undefined): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local/share"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_STATE_HOME: join(home, ".local/state"),
    LANG: "C.UTF-8",
    TERM: "dumb",
    NO_COLOR: "1",
    // Harness CLIs install packages on the fly (opencode adds @opencode-ai/plugin to its config
    // dir); a dead loopback registry makes any such attempt fail at once instead of reaching out.
    npm_config_registry: "http://127.0.0.1:9/",
    NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
    BUN_CONFIG_REGISTRY: "http://127.0.0.1:9/",
    // ...and fail without retries (npm's default backoff cost opencode ~4 s per first turn).
    npm_config_offline: "true",
    npm_config_fetch_retries: "0",
    ...extra,
  };
}
