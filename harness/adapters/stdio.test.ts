// The stdio program the supervisor runs (harness/adapters/<name>/main.ts), driven over its real
// JSON-lines wire with the real claude CLI behind it: configure + turn, then a restart of the
// program that resumes the CLI's own conversation, and history replay for a fresh home.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ScriptedModel, startScriptedModel } from "../../test/support/scripted-model/index.ts";
import { historyAttachments, historyFromEvents } from "./stdio.ts";

const MODEL = "scripted-coder-1";
const KEY = "lap-sk-stdio";
let model: ScriptedModel;
let root: string;

beforeAll(() => {
  model = startScriptedModel({ models: [MODEL], apiKey: KEY });
  root = mkdtempSync(join(tmpdir(), "lap-stdio-"));
}, 60_000);

afterAll(async () => {
  await model.stop();
  rmSync(root, { recursive: true, force: true });
});

type Line = { type: string; [field: string]: unknown };

/** Starts main.ts, sends commands, collects events until `turns` terminal events arrived. */
async function runProgram(name: string, home: string, commands: unknown[], turns: number): Promise<Line[]> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, name, "main.ts")], {
    env: { PATH: process.env.PATH ?? "", LAP_HARNESS_HOME: home },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: Line[] = [];
  let terminal = 0;
  const decoder = new TextDecoder();
  let buffer = "";
  const sendNext = (index: number) => {
    proc.stdin.write(`${JSON.stringify(commands[index])}\n`);
    proc.stdin.flush();
  };
  // configure/history go at once; each turn waits for the previous one to end.
  let next = 0;
  while (next < commands.length && (commands[next] as Line).type !== "turn") sendNext(next++);
  if (next < commands.length) sendNext(next++);
  for await (const chunk of proc.stdout) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = JSON.parse(buffer.slice(0, newline)) as Line;
      buffer = buffer.slice(newline + 1);
      lines.push(line);
      if (line.type === "session.status_idle" || line.type === "session.error") {
        terminal += 1;
        if (next < commands.length) sendNext(next++);
      }
      newline = buffer.indexOf("\n");
    }
    if (terminal >= turns) break;
  }
  proc.kill("SIGTERM");
  await proc.exited;
  return lines;
}

test("historyFromEvents keeps user prompts and joins the agent's deltas", () => {
  expect(
    historyFromEvents([
      { type: "user.message", content: [{ type: "text", text: "hi" }] },
      { type: "agent.message", content: [{ type: "text", text: "Hel" }] },
      { type: "agent.tool_use", name: "bash" },
      { type: "agent.message", content: [{ type: "text", text: "lo" }] },
      { type: "user.message", content: [{ type: "text", text: "again" }] },
    ]),
  ).toEqual([
    { role: "user", text: "hi" },
    { role: "assistant", text: "Hello" },
    { role: "user", text: "again" },
  ]);
});

test("after a recovery the history names each message's attachments, and historyAttachments gives their bytes back, oldest first", () => {
  const png = { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } };
  const pdf = { type: "document", title: "spec.pdf", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } };
  const stored = [
    { type: "user.message", content: [{ type: "text", text: "what is this?" }, png] },
    { type: "agent.message", content: [{ type: "text", text: "A pixel." }] },
    { type: "user.message", content: [pdf] },
  ];
  expect(historyFromEvents(stored)).toEqual([
    { role: "user", text: "what is this? [attached image: image/png]" },
    { role: "assistant", text: "A pixel." },
    { role: "user", text: "[attached document: spec.pdf]" },
  ]);
  expect(historyAttachments(stored)).toEqual([
    { kind: "image", mediaType: "image/png", data: "iVBORw0KGgo=" },
    { kind: "document", mediaType: "application/pdf", data: "JVBERi0=", title: "spec.pdf" },
  ]);
});

test("claude-code main.ts: a turn over stdio, then a restarted program resumes the same conversation", async () => {
  model.setScript([
    { when: "remember mango", steps: [{ kind: "text", text: "Remembered mango." }] },
    { when: "which fruit", steps: [{ kind: "text", text: "It was mango." }] },
  ]);
  const home = join(root, "home-a");
  const workspace = join(root, "ws-a");
  mkdirSync(workspace, { recursive: true });
  const configure = {
    type: "configure",
    config: {
      sessionId: "ses_a",
      agentId: "agt",
      model: MODEL,
      gatewayBaseUrl: `${model.url}/v1`,
      gatewayKey: KEY,
      workspace,
      maxSteps: 10,
    },
  };
  const first = await runProgram(
    "claude-code",
    home,
    [configure, { type: "turn", turnId: "t1", content: [{ type: "text", text: "please remember mango" }] }],
    1,
  );
  expect(first.map((line) => line.type)).toEqual(
    expect.arrayContaining(["session.status_running", "agent.message", "session.status_idle"]),
  );
  expect(first.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "end_turn" } });

  const before = model.requests.length;
  // A new program (as after a harness restart), told nothing about history: the CLI resumes.
  const second = await runProgram(
    "claude-code",
    home,
    [configure, { type: "turn", turnId: "t2", content: [{ type: "text", text: "which fruit was it?" }] }],
    1,
  );
  expect(second.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
  const calls = model.requests.slice(before).filter((call) => call.tools.length > 0);
  expect(calls[0]!.transcript).toContain("please remember mango");
  expect(calls[0]!.transcript).not.toContain("previous_session_history");
}, 120_000);

test("claude-code main.ts: a fresh home is given the stored history; a turn before configure is an error", async () => {
  model.setScript([{ when: "my name", steps: [{ kind: "text", text: "Ada." }] }]);
  const workspace = join(root, "ws-b");
  mkdirSync(workspace, { recursive: true });
  const unbound = await runProgram("claude-code", join(root, "home-b0"), [{ type: "turn", content: [{ type: "text", text: "hi" }] }], 1);
  expect(unbound.at(-1)).toMatchObject({ type: "session.error", error: { message: "harness is not bound to a session yet" } });

  const before = model.requests.length;
  const lines = await runProgram(
    "claude-code",
    join(root, "home-b"),
    [
      {
        type: "configure",
        config: {
          sessionId: "ses_b",
          agentId: "agt",
          model: MODEL,
          gatewayBaseUrl: `${model.url}/v1`,
          gatewayKey: KEY,
          workspace,
          maxSteps: 10,
        },
      },
      {
        type: "history",
        events: [
          { type: "user.message", content: [{ type: "text", text: "I am Ada Lovelace" }] },
          { type: "agent.message", content: [{ type: "text", text: "Noted" }] },
        ],
      },
      { type: "turn", content: [{ type: "text", text: "what is my name?" }] },
    ],
    1,
  );
  expect(lines.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
  const calls = model.requests.slice(before).filter((call) => call.tools.length > 0);
  expect(calls[0]!.transcript).toContain("I am Ada Lovelace");
}, 120_000);
