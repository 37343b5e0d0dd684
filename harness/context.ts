/**
 * The agent's rules and skills, written where each harness's CLI reads them (docs/skills.md):
 * Claude Code `~/.claude/skills/<name>/` and `~/.claude/CLAUDE.md`; Codex `$CODEX_HOME/skills/<name>/`
 * and `$CODEX_HOME/AGENTS.md`; opencode `~/.config/opencode/skills/<name>/` and
 * `~/.config/opencode/AGENTS.md`; DeepAgents `~/.deepagents/` given as its `memory` and `skills`;
 * OpenClaw its agent workspace `~/.openclaw/workspace/` (`AGENTS.md`, `skills/<name>/`), which its Gateway
 * injects into its system prompt (HOME is the session's harness home, never the workspace). The
 * built-in agent puts rules and the skills' descriptions in its system prompt and writes a skill's
 * files when it loads the skill (harness/agent/skills.ts).
 *
 * Names and paths were checked by LAP; they are checked again here (this runs in the sandbox, and a
 * folder the agent could have replaced with a symlink is removed, not followed).
 */
import { lstatSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, isAbsolute } from "node:path";
import type { HarnessContext } from "./protocol";

const SKILL_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SAFE_PART = /^[A-Za-z0-9_][A-Za-z0-9_. -]*$/;

/** Where a harness's CLI reads skills and rules, under its home. null: the harness takes them another way. */
export function contextLayout(harness: string, home: string): { skillsDir: string; rulesFile: string } | null {
  switch (harness) {
    case "claude-code":
      return { skillsDir: join(home, ".claude", "skills"), rulesFile: join(home, ".claude", "CLAUDE.md") };
    case "codex":
      return { skillsDir: join(home, ".codex", "skills"), rulesFile: join(home, ".codex", "AGENTS.md") };
    case "opencode":
      return { skillsDir: join(home, ".config", "opencode", "skills"), rulesFile: join(home, ".config", "opencode", "AGENTS.md") };
    // DeepAgents takes both as paths (`memory`, `skills` of createDeepAgent; adapters/deepagents).
    case "deepagents":
      return { skillsDir: join(home, ".deepagents", "skills"), rulesFile: join(home, ".deepagents", "AGENTS.md") };
    // OpenClaw's agent workspace (`agents.defaults.workspace`, adapters/openclaw/config.ts): its bootstrap
    // AGENTS.md and its highest-precedence skills folder.
    case "openclaw":
      return { skillsDir: join(home, ".openclaw", "workspace", "skills"), rulesFile: join(home, ".openclaw", "workspace", "AGENTS.md") };
    default:
      return null;
  }
}

/** The rules as one markdown document, in the agent's order. */
export function rulesMarkdown(rules: HarnessContext["rules"]): string {
  return rules.map((r) => `## ${r.name.replace(/\s+/g, " ")}\n\n${r.body.trim()}\n`).join("\n");
}

/** A relative path that stays inside its folder, or null. */
export function safeRelative(path: string): string | null {
  if (!path || isAbsolute(path) || path.includes("\\")) return null;
  const parts = path.split("/");
  return parts.every((p) => SAFE_PART.test(p) && p !== "." && p !== "..") ? parts.join("/") : null;
}

/** Writes one skill folder (SKILL.md and files) fresh under `root`; returns its folder, or null for a bad name. */
export function writeSkill(root: string, skill: HarnessContext["skills"][number]): string | null {
  if (!SKILL_NAME.test(skill.name)) return null;
  const dir = join(root, skill.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "SKILL.md"), skill.skillMd, { mode: 0o644 });
  for (const file of skill.files) {
    const rel = safeRelative(file.path);
    if (!rel) continue;
    const target = resolve(dir, rel);
    const inside = relative(dir, target);
    if (inside.startsWith("..") || isAbsolute(inside)) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, Buffer.from(file.content_base64, "base64"), { mode: 0o644 });
  }
  return dir;
}

/** Removes `path` if it is a symlink (never follows one the agent may have left), then makes it a folder. */
function freshDir(path: string) {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) rmSync(path, { force: true });
  mkdirSync(path, { recursive: true });
}

/** Writes rules and skills where `harness`'s CLI reads them; false when it takes them another way. */
export function writeHarnessContext(harness: string, home: string, context: HarnessContext | undefined): boolean {
  const layout = contextLayout(harness, home);
  if (!layout || !context) return false;
  for (const d of [dirname(layout.rulesFile), layout.skillsDir]) freshDir(d);
  if (context.rules.length) {
    const st = lstatSync(layout.rulesFile, { throwIfNoEntry: false });
    if (st && !st.isFile()) rmSync(layout.rulesFile, { recursive: true, force: true });
    writeFileSync(layout.rulesFile, `# Rules from LAP\n\n${rulesMarkdown(context.rules)}`, { mode: 0o644 });
  }
  for (const skill of context.skills) writeSkill(layout.skillsDir, skill);
  return true;
}
