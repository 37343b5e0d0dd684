// Rules and skills reach the model the way each harness takes them (docs/skills.md): the real
// programs the supervisor runs (the built-in agent, and the stdio adapters over the real Claude Code
// and Codex CLIs), configured with a `context` over their JSON-lines wire, against the scripted model
// (which stands for the LLM provider and records what each request carried).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ScriptedModel, startScriptedModel } from "../test/support/scripted-model/index.ts";
import { OPENCLAW_MISSING, requires } from "../test/support/skip.ts";
import { writeHarnessContext } from "./context.ts";
import type { HarnessContext } from "./protocol.ts";

const MODEL = "scripted-coder-1";
const KEY = "lap-sk-context";
let model: ScriptedModel;
let root: string;

const RULE = "Always sign replies with the word TANGERINE-RULE.";
const BODY = "SKILL-BODY-MARKER: fill forms with the helper script.";
const context: HarnessContext = {
  rules: [{ name: "Sign-off", version: 2, body: RULE }],
  skills: [
    {
      name: "form-filler",
      version: 3,
      description: "Fills in PDF forms; use when the user mentions a form",
      skillMd: `---\nname: form-filler\ndescription: Fills in PDF forms; use when the user mentions a form\n---\n\n${BODY}\n`,
      files: [
        { path: "scripts/fill.sh", content_base64: Buffer.from("echo filled\n").toString("base64") },
        // Checked by LAP already; the harness side drops it too.
        { path: "../../escaped.txt", content_base64: Buffer.from("no").toString("base64") },
      ],
    },
  ],
};

beforeAll(() => {
  model = startScriptedModel({ models: [MODEL], apiKey: KEY });
  root = mkdtempSync(join(tmpdir(), "lap-context-"));
}, 60_000);

afterAll(async () => {
  await model.stop();
  rmSync(root, { recursive: true, force: true });
});

type Line = { type: string; [field: string]: unknown };

/** Runs a harness program (`entry`), configures it with the context, sends one turn, returns its events. */
async function oneTurn(entry: string, name: string, text: string): Promise<{ lines: Line[]; home: string; workspace: string }> {
  const home = join(root, `home-${name}`);
  const workspace = join(root, `ws-${name}`);
  mkdirSync(workspace, { recursive: true });
  const proc = Bun.spawn([process.execPath, entry], {
    env: { PATH: process.env.PATH ?? "", LAP_HARNESS_HOME: home },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const config = {
    sessionId: `ses_${name}`,
    agentId: "agt",
    model: MODEL,
    gatewayBaseUrl: `${model.url}/v1`,
    gatewayKey: KEY,
    workspace,
    maxSteps: 10,
    context,
  };
  proc.stdin.write(
    `${JSON.stringify({ type: "configure", config })}\n${JSON.stringify({ type: "turn", turnId: "t1", content: [{ type: "text", text }] })}\n`,
  );
  proc.stdin.flush();
  const lines: Line[] = [];
  let buffer = "";
  const decoder = new TextDecoder();
  outer: for await (const chunk of proc.stdout) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = JSON.parse(buffer.slice(0, nl)) as Line;
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      if (line.type === "session.status_idle" || line.type === "session.error") break outer;
    }
  }
  proc.kill("SIGTERM");
  await proc.exited;
  return { lines, home, workspace };
}

test("the built-in agent: rules in the system prompt, skills listed there, load_skill gives the body and writes the files", async () => {
  model.setScript([
    {
      when: "fill the form",
      steps: [
        { kind: "call_tool", tool: "^load_skill$", arguments: { name: "form-filler" } },
        { kind: "text", text: "Filled." },
      ],
    },
  ]);
  const before = model.requests.length;
  const { lines, home } = await oneTurn(join(import.meta.dir, "agent", "main.ts"), "builtin", "please fill the form");
  expect(lines.at(-1)).toMatchObject({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
  const calls = model.requests.slice(before);
  expect(calls[0]!.system).toContain(RULE);
  expect(calls[0]!.system).toContain("- form-filler: Fills in PDF forms; use when the user mentions a form");
  expect(calls[0]!.system).not.toContain(BODY);
  expect(calls[0]!.tools).toContain("load_skill");
  // The body reaches the model only after the agent loads it.
  expect(calls[1]!.transcript).toContain(BODY);
  expect(readFileSync(join(home, "skills", "form-filler", "scripts", "fill.sh"), "utf8")).toBe("echo filled\n");
  expect(existsSync(join(home, "escaped.txt"))).toBe(false);
  expect(existsSync(join(root, "escaped.txt"))).toBe(false);
}, 60_000);

test("Claude Code: CLAUDE.md and ~/.claude/skills are read by the real CLI; its Skill tool loads the body", async () => {
  model.setScript([
    {
      when: "fill the form",
      steps: [
        { kind: "call_tool", tool: "^Skill$", arguments: { skill: "form-filler" } },
        { kind: "text", text: "Filled." },
      ],
    },
  ]);
  const before = model.requests.length;
  const { lines, home } = await oneTurn(join(import.meta.dir, "adapters", "claude-code", "main.ts"), "claude", "please fill the form");
  expect(lines.at(-1)).toMatchObject({ type: "session.status_idle" });
  expect(readFileSync(join(home, ".claude", "CLAUDE.md"), "utf8")).toContain(RULE);
  const calls = model.requests.slice(before).filter((c) => c.tools.length > 0);
  expect(calls[0]!.everything).toContain(RULE);
  expect(calls[0]!.everything).toContain("form-filler");
  expect(calls[0]!.everything).toContain("Fills in PDF forms");
  // Listed, not given: the body arrives once the model called Claude Code's Skill tool.
  expect(calls[0]!.everything).not.toContain(BODY);
  expect(lines.some((l) => l.type === "agent.tool_use" && l.name === "Skill")).toBe(true);
  expect(calls.at(-1)!.everything).toContain(BODY);
}, 120_000);

test("Codex: $CODEX_HOME/AGENTS.md and $CODEX_HOME/skills are read by the real CLI; the listing names the skill and its SKILL.md", async () => {
  const codexHome = join(root, "home-codex", ".codex");
  model.setScript([
    {
      when: "fill the form",
      steps: [
        { kind: "run", command: `cat ${join(codexHome, "skills", "form-filler", "SKILL.md")}` },
        { kind: "text", text: "Filled." },
      ],
    },
  ]);
  const before = model.requests.length;
  const { lines } = await oneTurn(join(import.meta.dir, "adapters", "codex", "main.ts"), "codex", "please fill the form");
  expect(lines.at(-1)).toMatchObject({ type: "session.status_idle" });
  const calls = model.requests.slice(before).filter((c) => c.tools.length > 0);
  expect(calls[0]!.everything).toContain(RULE);
  expect(calls[0]!.everything).toContain("form-filler");
  expect(calls[0]!.everything).toContain("Fills in PDF forms");
  // Codex's own skills listing (<skills_instructions>): name, description and where its SKILL.md is.
  expect(calls[0]!.everything).toMatch(
    /<skills_instructions>[\s\S]*- form-filler: Fills in PDF forms; use when the user mentions a form \(file: [^)]*form-filler\/SKILL\.md\)/,
  );
  expect(calls.at(-1)!.transcript).toContain(BODY);
}, 120_000);

// opencode's skill tool lists a skill's files with ripgrep, which this machine lacks ("ripgrep execution
// failed"), so the load itself is not driven here: the rules and opencode's own listing are.
test("opencode: ~/.config/opencode/AGENTS.md and ~/.config/opencode/skills are read by the real CLI (its skill tool lists the skill)", async () => {
  model.setScript([{ when: "fill the form", steps: [{ kind: "text", text: "Filled." }] }]);
  const before = model.requests.length;
  const { lines } = await oneTurn(join(import.meta.dir, "adapters", "opencode", "main.ts"), "opencode", "please fill the form");
  expect(lines.at(-1)).toMatchObject({ type: "session.status_idle" });
  const calls = model.requests.slice(before).filter((c) => c.tools.length > 0);
  expect(calls[0]!.system).toContain(RULE);
  expect(calls[0]!.everything).toContain("form-filler");
  expect(calls[0]!.everything).toContain("Fills in PDF forms");
  expect(calls[0]!.everything).not.toContain(BODY);
  expect(calls[0]!.tools).toContain("skill");
}, 120_000);

test("DeepAgents: ~/.deepagents/AGENTS.md as its memory and ~/.deepagents/skills as its skills reach the model; it reads the body with its own tools", async () => {
  const skillMd = join(root, "home-deepagents", ".deepagents", "skills", "form-filler", "SKILL.md");
  model.setScript([
    {
      when: "fill the form",
      steps: [
        { kind: "call_tool", tool: "^read_file$", arguments: { file_path: skillMd } },
        { kind: "text", text: "Filled." },
      ],
    },
  ]);
  const before = model.requests.length;
  const { lines } = await oneTurn(join(import.meta.dir, "adapters", "deepagents", "main.ts"), "deepagents", "please fill the form");
  expect(lines.at(-1)).toMatchObject({ type: "session.status_idle" });
  const calls = model.requests.slice(before).filter((c) => c.tools.length > 0);
  expect(calls[0]!.system).toContain(RULE);
  expect(calls[0]!.system).toContain("form-filler");
  expect(calls[0]!.system).toContain("Fills in PDF forms");
  expect(calls[0]!.everything).not.toContain(BODY);
  expect(calls.at(-1)!.transcript).toContain(BODY);
}, 120_000);

// OpenClaw has an install of its own (node scripts/bootstrap.mjs openclaw); its Gateway is slow to start.
requires(OPENCLAW_MISSING).test(
  "OpenClaw: AGENTS.md and skills/ in its agent workspace (~/.openclaw/workspace) reach its system prompt; the listing names the skill and its SKILL.md, which it reads on demand",
  async () => {
    const skillMd = join(root, "home-openclaw", ".openclaw", "workspace", "skills", "form-filler", "SKILL.md");
    model.setScript([
      {
        when: "fill the form",
        steps: [
          { kind: "run", command: `cat ${skillMd}` },
          { kind: "text", text: "Filled." },
        ],
      },
    ]);
    const before = model.requests.length;
    const { lines } = await oneTurn(join(import.meta.dir, "adapters", "openclaw", "main.ts"), "openclaw", "please fill the form");
    expect(lines.at(-1)).toMatchObject({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
    const calls = model.requests.slice(before).filter((c) => c.tools.length > 0);
    expect(calls[0]!.system).toContain(RULE);
    // OpenClaw's <available_skills>: name, description and where its SKILL.md is; the body only once read.
    expect(calls[0]!.system).toContain("form-filler");
    expect(calls[0]!.system).toContain("Fills in PDF forms");
    // The path as OpenClaw shows it: under its HOME (the harness home), as `~/…`.
    expect(calls[0]!.system).toContain("/.openclaw/workspace/skills/form-filler/SKILL.md");
    expect(calls[0]!.everything).not.toContain(BODY);
    expect(calls.at(-1)!.transcript).toContain(BODY);
  },
  400_000,
);

test("writing the context replaces a symlink the agent left where the skills go, and never follows it", () => {
  const home = join(root, "home-symlink");
  const outside = join(root, "outside");
  mkdirSync(join(home, ".claude"), { recursive: true });
  mkdirSync(outside, { recursive: true });
  symlinkSync(outside, join(home, ".claude", "skills"));
  expect(writeHarnessContext("claude-code", home, context)).toBe(true);
  expect(existsSync(join(outside, "form-filler"))).toBe(false);
  expect(readFileSync(join(home, ".claude", "skills", "form-filler", "SKILL.md"), "utf8")).toContain(BODY);
  expect(writeHarnessContext("builtin", home, context)).toBe(false);
});
