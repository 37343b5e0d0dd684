// What the dashboard and the agent form need to know about harnesses: name, one-line description,
// and whether the CLI is installed here (package version, native binary path).
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_HARNESSES, openclawDir } from "../../harness/adapters/binaries.ts";
import { harnessBinary, HARNESS_DESCRIPTIONS } from "../../harness/adapters/index.ts";
import { HARNESS_NAMES, type HarnessName } from "../../harness/adapters/types.ts";
import type { HarnessInfo } from "./model";

const PACKAGES: Record<HarnessName, { pkg: string; label: string }> = {
  opencode: { pkg: "opencode-ai", label: "opencode" },
  "claude-code": { pkg: "@anthropic-ai/claude-code", label: "Claude Code" },
  codex: { pkg: "@openai/codex", label: "Codex" },
  deepagents: { pkg: "deepagents", label: "DeepAgents" },
  openclaw: { pkg: "openclaw", label: "OpenClaw" },
};

export type HarnessProbe = {
  binary(name: HarnessName): string;
  version(pkg: string): string;
};

const REPO_ROOT = join(import.meta.dir, "..", "..");

export const defaultProbe: HarnessProbe = {
  binary: (name) => harnessBinary(name),
  version: (pkg) => {
    // OpenClaw has an install of its own, apart from LAP's node_modules (harness/adapters/binaries.ts).
    const manifest =
      pkg === "openclaw"
        ? join(openclawDir(), "node_modules", "openclaw", "package.json")
        : Bun.resolveSync(`${pkg}/package.json`, REPO_ROOT);
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  },
};

export function listHarnesses(probe: HarnessProbe = defaultProbe): HarnessInfo[] {
  const builtin: HarnessInfo = {
    id: "builtin",
    label: "Built-in agent",
    description: "LAP's own agent loop (read, edit, grep, bash); no extra CLI to install.",
    package: null,
    version: null,
    binary: null,
    installed: true,
    problem: null,
  };
  return [
    builtin,
    ...HARNESS_NAMES.map((name): HarnessInfo => {
      const { pkg, label } = PACKAGES[name];
      const base = { id: name, label, description: HARNESS_DESCRIPTIONS[name], package: pkg };
      try {
        const binary = probe.binary(name);
        const stat = statSync(binary);
        // A library harness (DeepAgents) is run by LAP's Bun, OpenClaw by its own Node: the entry must exist, not be executable.
        if (!stat.isFile() || (!LIBRARY_HARNESSES[name] && name !== "openclaw" && (stat.mode & 0o111) === 0))
          throw new Error(`${name}: ${binary} is not an executable file`);
        return { ...base, version: probe.version(pkg), binary, installed: true, problem: null };
      } catch (error) {
        return { ...base, version: null, binary: null, installed: false, problem: (error as Error).message.split("\n")[0]! };
      }
    }),
  ];
}
