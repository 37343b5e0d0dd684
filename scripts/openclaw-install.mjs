#!/usr/bin/env node
// Plain Node, no dependencies (scripts/bootstrap.mjs runs it before Bun exists).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

// OpenClaw (the openclaw harness) needs Node >= 24.16 and refuses Bun at install: it gets an install of
// its own in .tools/openclaw, npm's `node-<os>-<arch>` (a Node binary) first, then `openclaw` with that
// Node first on PATH so its install scripts pass (harness/adapters/README.md#openclaw). ~850 MB, so
// only for `test` and `openclaw`, never `start`. Versions as in harness/adapters/binaries.ts.
const OPENCLAW_VERSION = "2026.9.6";
const OPENCLAW_NODE_VERSION = "26.12.1";

function openclawWorks(dir, node) {
  const entry = join(dir, "node_modules", "openclaw", "openclaw.mjs");
  if (!existsSync(node) || !existsSync(entry)) return false;
  const res = spawnSync(node, [entry, "--version"], { encoding: "utf8", env: { ...process.env, OPENCLAW_NO_RESPAWN: "1" } });
  return res.status === 0 && res.stdout.includes(OPENCLAW_VERSION);
}

/** Installs OpenClaw into `<tools>/openclaw` unless a working one is there; false (or exit 1 when required) if it cannot. */
export function ensureOpenclaw(tools, { required, log }) {
  const dir = join(tools, "openclaw");
  const platform = `node-${process.platform}-${process.arch === "arm64" ? "arm64" : "x64"}`;
  const nodeBin = join(dir, "node_modules", platform, "bin", "node");
  if (openclawWorks(dir, nodeBin)) return true;
  log(`installing OpenClaw ${OPENCLAW_VERSION} and Node ${OPENCLAW_NODE_VERSION} from the npm registry into .tools/openclaw (~850 MB)`);
  mkdirSync(dir, { recursive: true });
  // npm 11 runs a dependency's install scripts only when allowed: openclaw's completes its lifecycle.
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ private: true, allowScripts: { openclaw: true } }, null, 2)}\n`);
  const npm = (args, env = process.env) =>
    spawnSync("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", ...args], { stdio: "inherit", cwd: dir, env }).status === 0;
  const ok =
    npm([`${platform}@${OPENCLAW_NODE_VERSION}`]) &&
    npm([`openclaw@${OPENCLAW_VERSION}`], { ...process.env, PATH: `${dirname(nodeBin)}:${process.env.PATH ?? ""}` }) &&
    openclawWorks(dir, nodeBin);
  if (ok) return true;
  const message = "[lap setup] OpenClaw could not be installed; the openclaw harness and its tests are unavailable.";
  if (required) {
    console.error(message);
    process.exit(1);
  }
  log(message);
  return false;
}
