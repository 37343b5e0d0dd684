// Copies each harness CLI's native binary out of node_modules into one directory, to be shared
// read-only into every sandbox (LAP_HARNESS_BIN_DIR) or baked into a harness image.
//   bun harness/adapters/install-binaries.ts /opt/lap/harness/bin [opencode claude-code codex]
import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { harnessBinary, LIBRARY_HARNESSES } from "./binaries.ts";
import { HARNESS_NAMES, type HarnessName } from "./types.ts";

const COMMANDS: Record<HarnessName, string> = {
  opencode: "opencode",
  "claude-code": "claude",
  codex: "codex",
  deepagents: "",
  openclaw: "",
};

const [target, ...names] = process.argv.slice(2);
if (!target) {
  console.error("usage: bun harness/adapters/install-binaries.ts <dir> [harness...]");
  process.exit(2);
}
const wanted = (names.length ? names : [...HARNESS_NAMES]) as HarnessName[];
mkdirSync(target, { recursive: true });
for (const name of wanted) {
  if (!HARNESS_NAMES.includes(name)) throw new Error(`unknown harness ${name}`);
  // A library harness has no binary of its own: LAP's Bun runs it from the shared node_modules.
  if (LIBRARY_HARNESSES[name]) continue;
  // OpenClaw is a Node program with its own Node binary, installed as a directory (LAP_OPENCLAW_DIR).
  if (name === "openclaw") continue;
  // Resolve from node_modules even if LAP_HARNESS_BIN_DIR is set in this shell.
  const source = harnessBinary(name, {});
  const destination = join(target, COMMANDS[name]);
  copyFileSync(source, destination);
  chmodSync(destination, 0o555);
  console.log(`${name}: ${source} -> ${destination}`);
}
