/**
 * The built-in agent loop's tool approvals, driven against the scripted OpenAI-compatible model
 * (standing in for the LLM behind LAP's gateway) with real tools in a temporary workspace.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../test/support/scripted-openai";
import type { NormalizedEvent } from "../protocol";
import { AgentLoop, LOST_CALL_RESULT, messagesFromHistory } from "./loop";

let model: ScriptedOpenAI;
beforeAll(() => {
  model = startScriptedOpenAI();
});
afterAll(() => model?.stop());

function loop(events: NormalizedEvent[]) {
  const workspace = mkdtempSync(join(tmpdir(), "lap-loop-"));
  const config = {
    sessionId: "s",
    agentId: "a",
    model: "scripted-model",
    gatewayBaseUrl: model.url,
    gatewayKey: "k",
    workspace,
    maxSteps: 5,
    approvalRequiredTools: ["bash"],
  };
  return { workspace, config, agent: new AgentLoop(config, (e) => events.push(e)) };
}

test("a harness restarted while a call waits finds it in its history and runs it on allow", async () => {
  const first: NormalizedEvent[] = [];
  const a = loop(first);
  model.script([{ toolCalls: [{ name: "bash", arguments: { command: "touch made" } }] }]);
  await a.agent.turn([{ type: "text", text: "make it" }]);
  expect(first.at(-1)).toMatchObject({ type: "session.status_idle", stop_reason: { type: "requires_action" } });
  const ask = first.find((e) => e.type === "agent.tool_use")!;
  expect(ask.evaluated_permission).toBe("ask");

  // A new process: only the stored conversation survives.
  const second: NormalizedEvent[] = [];
  const restarted = new AgentLoop(a.config, (e) => second.push(e));
  restarted.loadHistory([{ type: "user.message", content: [{ type: "text", text: "make it" }] }, ...first]);
  expect(restarted.waiting.map((p) => p.id)).toEqual([String(ask.id)]);
  model.script([{ text: "made." }]);
  await restarted.confirm({ tool_use_id: String(ask.id), result: "allow" });
  expect(existsSync(join(a.workspace, "made"))).toBe(true);
  // (the reply streams as several agent.message deltas)
  expect(second.map((e) => e.type).filter((t, i, all) => t !== all[i - 1])).toEqual([
    "session.status_running",
    "agent.tool_result",
    "agent.message",
    "session.status_idle",
  ]);
  // The model saw its call and the result in order.
  const msgs = model.requests.at(-1)!.messages;
  expect(msgs.at(-1)).toMatchObject({ role: "tool", tool_call_id: String(ask.id) });
});

test("a new message instead of a decision refuses the waiting call; an unknown confirmation is an error", async () => {
  const events: NormalizedEvent[] = [];
  const a = loop(events);
  model.script([{ toolCalls: [{ name: "bash", arguments: { command: "touch never" } }] }, { text: "fine" }]);
  await a.agent.turn([{ type: "text", text: "go" }]);
  const ask = events.find((e) => e.type === "agent.tool_use")!;
  await a.agent.turn([{ type: "text", text: "never mind" }]);
  const refused = events.find((e) => e.type === "agent.tool_result")!;
  expect(refused).toMatchObject({ tool_use_id: ask.id, is_error: true });
  expect(existsSync(join(a.workspace, "never"))).toBe(false);
  expect(a.agent.waiting).toHaveLength(0);
  await a.agent.confirm({ tool_use_id: String(ask.id), result: "allow" });
  expect(events.at(-1)).toMatchObject({ type: "session.error" });
  expect(String((events.at(-1)!.error as { message: string }).message)).toContain("no tool call");
});

test("a provider that reuses tool-call ids: each ask waits on its own, and a restarted harness finds the second one", async () => {
  const events: NormalizedEvent[] = [];
  const a = loop(events);
  // Both responses number their call call_0, as some OpenAI-compatible servers do.
  model.script([
    { toolCalls: [{ id: "call_0", name: "bash", arguments: { command: "touch first" } }] },
    { toolCalls: [{ id: "call_0", name: "bash", arguments: { command: "touch second" } }] },
    { text: "both done" },
  ]);
  await a.agent.turn([{ type: "text", text: "two steps" }]);
  await a.agent.confirm({ tool_use_id: "call_0", result: "allow" });
  expect(existsSync(join(a.workspace, "first"))).toBe(true);
  // The second call asked again under the same id, and nothing ran it.
  expect(events.filter((e) => e.type === "agent.tool_use").map((e) => [e.id, e.evaluated_permission])).toEqual([
    ["call_0", "ask"],
    ["call_0", "ask"],
  ]);
  expect(events.at(-1)).toMatchObject({ type: "session.status_idle", stop_reason: { type: "requires_action", event_ids: ["call_0"] } });
  expect(existsSync(join(a.workspace, "second"))).toBe(false);

  // A new process rebuilt from the log: the answered call_0 does not hide the one still waiting.
  const restarted = new AgentLoop(a.config, () => {});
  restarted.loadHistory([{ type: "user.message", content: [{ type: "text", text: "two steps" }] }, ...events]);
  expect(restarted.waiting).toEqual([{ id: "call_0", name: "bash", arguments: JSON.stringify({ command: "touch second" }) }]);
  await restarted.confirm({ tool_use_id: "call_0", result: "allow" });
  expect(existsSync(join(a.workspace, "second"))).toBe(true);
});

test("a transcript rebuilt after a turn lost mid-tool answers the unfinished call, so the next request is one a provider accepts", () => {
  const messages = messagesFromHistory([
    { type: "user.message", content: [{ type: "text", text: "run it" }] },
    { type: "agent.message", content: [{ type: "text", text: "running" }] },
    { type: "agent.tool_use", id: "call_1", name: "bash", input: { command: "sleep 60" }, evaluated_permission: "allow" },
    { type: "session.error", error: { message: "sandbox lost" } },
    { type: "user.message", content: [{ type: "text", text: "again?" }] },
  ]);
  expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "user"]);
  expect(messages[2]).toEqual({ role: "tool", tool_call_id: "call_1", content: LOST_CALL_RESULT });
  // At the end of the history too: the next turn's user message follows it.
  expect(messagesFromHistory([{ type: "agent.tool_use", id: "c", name: "bash", input: {} }]).at(-1)).toEqual({
    role: "tool",
    tool_call_id: "c",
    content: LOST_CALL_RESULT,
  });
  // A call waiting for a decision is not answered here (the next turn decides or refuses it).
  expect(
    messagesFromHistory([{ type: "agent.tool_use", id: "c", name: "bash", input: {}, evaluated_permission: "ask" }]).map((m) => m.role),
  ).toEqual(["assistant"]);
});
