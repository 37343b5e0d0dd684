/**
 * Rules and skills for the built-in agent (docs/skills.md): rules go into the system prompt; each
 * skill is listed there by name and description, and the `load_skill` tool gives the model a skill's
 * SKILL.md on demand, writing its files to the session's harness home so the model can read them.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rulesMarkdown, writeSkill } from "../context";
import type { HarnessContext } from "../protocol";
import type { ToolResult } from "./tools";

export const LOAD_SKILL = "load_skill";

/** The system prompt with the agent's rules and the list of its skills after it. */
export function systemWithContext(base: string, context: HarnessContext | undefined): string {
  if (!context || (!context.rules.length && !context.skills.length)) return base;
  const parts = [base];
  if (context.rules.length) parts.push(`# Rules\n\nFollow these rules.\n\n${rulesMarkdown(context.rules)}`);
  if (context.skills.length) {
    const list = context.skills.map((s) => `- ${s.name}: ${s.description.replace(/\s+/g, " ")}`).join("\n");
    parts.push(
      `# Skills\n\nWhen a task matches one of these skills, call ${LOAD_SKILL} with its name first and follow its instructions.\n\n${list}`,
    );
  }
  return parts.join("\n\n");
}

/** The tool's function spec (only offered when the agent has skills). */
export function loadSkillSpec(context: HarnessContext | undefined) {
  if (!context?.skills.length) return [];
  return [
    {
      type: "function",
      function: {
        name: LOAD_SKILL,
        description: "Load one of your skills: returns its SKILL.md instructions and where its files are.",
        parameters: {
          type: "object",
          properties: { name: { type: "string", enum: context.skills.map((s) => s.name) } },
          required: ["name"],
        },
      },
    },
  ];
}

/** Runs load_skill: the skill's SKILL.md, and its files written under the harness home. */
export function loadSkill(context: HarnessContext | undefined, sessionId: string, rawArgs: string): ToolResult {
  let name: unknown;
  try {
    name = (JSON.parse(rawArgs || "{}") as { name?: unknown }).name;
  } catch {
    return { output: "tool arguments must be a JSON object with name", isError: true };
  }
  const skill = context?.skills.find((s) => s.name === name);
  if (!skill)
    return {
      output: `no skill ${JSON.stringify(name)}; you have: ${(context?.skills ?? []).map((s) => s.name).join(", ") || "none"}`,
      isError: true,
    };
  let files = "";
  if (skill.files.length) {
    const home = process.env.LAP_HARNESS_HOME ?? join(tmpdir(), "lap-harness-home", sessionId.replace(/[^\w-]/g, "_"));
    const dir = writeSkill(join(home, "skills"), skill);
    files = `\n\n---\nThe skill's files are in ${dir}:\n${skill.files.map((f) => `- ${join(dir!, f.path)}`).join("\n")}`;
  }
  return { output: `${skill.skillMd}${files}`, isError: false };
}
