#!/usr/bin/env node
// The README's two commands land here (`npm start`, `npm test`). Plain Node, no dependencies:
// it installs Bun from the npm registry into .tools/, the project's packages, the dashboard build,
// and (for tests, as root) Debian's chromium, bubblewrap, podman and debootstrap (the image suite
// builds and runs the Dockerfile with them); then hands over to Bun.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureOpenclaw } from "./openclaw-install.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BUN_VERSION = "1.4.5";
const TOOLS = join(ROOT, ".tools");
const log = (msg) => console.error(`\x1b[2m[lap setup]\x1b[0m ${msg}`);

function sh(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: "inherit", cwd: ROOT, ...opts });
  if (res.status !== 0) {
    console.error(`\n[lap setup] failed: ${cmd} ${args.join(" ")}`);
    process.exit(res.status ?? 1);
  }
}

function works(bin) {
  if (!existsSync(bin)) return false;
  const res = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return res.status === 0 && res.stdout.trim() === BUN_VERSION;
}

function bunCandidates() {
  const nm = join(TOOLS, "node_modules");
  const list = [join(nm, "bun", "bin", "bun.exe")];
  // When npm blocks install scripts, the platform package still carries the real binary.
  const oven = join(nm, "@oven");
  if (existsSync(oven)) for (const d of readdirSync(oven)) list.push(join(oven, d, "bin", "bun"));
  return list;
}

export function ensureBun() {
  let bun = bunCandidates().find(works);
  if (bun) return bun;
  log(`installing Bun ${BUN_VERSION} from the npm registry into .tools/`);
  sh("npm", ["install", "--prefix", TOOLS, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `bun@${BUN_VERSION}`]);
  bun = bunCandidates().find(works);
  if (!bun) {
    console.error("[lap setup] Bun was installed but does not run on this machine (Linux x64/arm64 with glibc is required).");
    process.exit(1);
  }
  return bun;
}

const newest = (dir) => {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
};

function ensureDeps(bun) {
  const stamp = join(ROOT, "node_modules", ".lap-installed");
  const inputs = ["package.json", "bun.lock"].map((f) => statSync(join(ROOT, f)).mtimeMs);
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= Math.max(...inputs)) return;
  log("installing dependencies (bun install)");
  sh(bun, ["install", "--frozen-lockfile"]);
  writeFileSync(stamp, new Date().toISOString());
}

function ensureUi() {
  const index = join(ROOT, "ui", "dist", "index.html");
  const src = join(ROOT, "ui");
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const changed = Math.max(
    newest(join(src, "src")),
    statSync(join(src, "index.html")).mtimeMs,
    statSync(join(src, "vite.config.ts")).mtimeMs,
  );
  if (built >= changed) return;
  log("building the dashboard (vite build)");
  sh(process.execPath, [join(ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "--logLevel", "warn"], { cwd: join(ROOT, "ui") });
}

function ensureTestPackages() {
  const need = [];
  if (!existsSync("/usr/bin/chromium")) need.push("chromium");
  if (spawnSync("sh", ["-c", "command -v bwrap"]).status !== 0) need.push("bubblewrap");
  if (spawnSync("sh", ["-c", "command -v podman"]).status !== 0) need.push("podman");
  if (spawnSync("sh", ["-c", "command -v debootstrap"]).status !== 0) need.push("debootstrap");
  // git and gh for agents that push branches and open pull requests (docs/github.md); the sandbox sees the host's /usr.
  if (spawnSync("sh", ["-c", "command -v git"]).status !== 0) need.push("git");
  if (spawnSync("sh", ["-c", "command -v gh"]).status !== 0) need.push("gh");
  // opencode's grep, glob and skill tools run ripgrep (the images install it too).
  if (spawnSync("sh", ["-c", "command -v rg"]).status !== 0) need.push("ripgrep");
  if (need.length === 0) return;
  if (process.getuid?.() !== 0) {
    log(`missing ${need.join(", ")}; not root, so not installing (sudo apt-get install -y ${need.join(" ")})`);
    return;
  }
  log(`installing ${need.join(", ")} from Debian's packages`);
  sh("apt-get", ["update", "-qq"]);
  sh("apt-get", ["install", "-y", "-qq", ...need], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

function handOver(bun, args) {
  const child = spawn(bun, args, { stdio: "inherit", cwd: ROOT });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const [command = "start", ...rest] = process.argv.slice(2);
const bun = ensureBun();
ensureDeps(bun);
if (command === "setup") {
  ensureUi();
} else if (command === "start") {
  ensureUi();
  handOver(bun, ["bin/lap.ts", "up", ...rest]);
} else if (command === "openclaw") {
  ensureOpenclaw(TOOLS, { required: true, log });
  log(`OpenClaw is in ${join(TOOLS, "openclaw")}: agents may use the openclaw harness.`);
} else if (command === "test") {
  ensureUi();
  ensureTestPackages();
  ensureOpenclaw(TOOLS, { required: false, log });
  handOver(bun, ["scripts/test-all.ts", ...rest]);
} else {
  console.error(`usage: node scripts/bootstrap.mjs start|test|setup|openclaw`);
  process.exit(2);
}
