// The translators on records the real CLIs were seen to print (see the contract tests for the
// live runs), including the failure shapes that are hard to provoke end to end.
import { expect, test } from "bun:test";
import { translateClaudeLine } from "./claude-code/translate.ts";
import { CodexTranslator } from "./codex/translate.ts";
import { OpencodeTranslator } from "./opencode/translate.ts";

const claude = (record: unknown, interrupted = false) => translateClaudeLine(JSON.stringify(record), { interrupted, model: "m1" });

test("claude-code: deltas, tool calls, results, and how the turn ends", () => {
  expect(translateClaudeLine("not json", { interrupted: false, model: "m1" })).toEqual({ events: [] });
  expect(
    claude({ type: "stream_event", event: { type: "content_block_delta", delta: { type: "text_delta", text: "Hi" } } }).events,
  ).toEqual([{ type: "agent.message", content: [{ type: "text", text: "Hi" }] }]);
  expect(
    claude({ type: "stream_event", event: { type: "content_block_delta", delta: { type: "input_json_delta", partial_json: "{" } } }).events,
  ).toEqual([]);
  expect(
    claude({
      type: "assistant",
      session_id: "s1",
      message: { content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } }] },
    }),
  ).toEqual({
    sessionId: "s1",
    events: [{ type: "agent.tool_use", id: "t1", name: "Bash", input: { command: "ls" } }],
  });
  // Claude Code's synthetic error text is not the agent speaking.
  expect(
    claude({
      type: "assistant",
      error: "model_not_found",
      message: { model: "<synthetic>", content: [{ type: "text", text: "There's an issue" }] },
    }).events,
  ).toEqual([]);
  expect(
    claude({
      type: "user",
      message: { content: [{ type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "a.txt" }], is_error: true }] },
    }).events,
  ).toEqual([{ type: "agent.tool_result", tool_use_id: "t1", content: [{ type: "text", text: "a.txt" }], is_error: true }]);
  expect(claude({ type: "result", subtype: "success", is_error: false }).events).toEqual([
    { type: "session.status_idle", stop_reason: { type: "end_turn" } },
  ]);
  expect(claude({ type: "result", subtype: "error_during_execution", is_error: true }, true).events).toEqual([
    { type: "session.status_idle", stop_reason: { type: "interrupted" } },
  ]);
  expect(
    claude({ type: "result", is_error: true, api_error_status: 404, result: "There's an issue with the selected model" }).events[0],
  ).toMatchObject({
    type: "session.error",
    error: { code: "model_error", message: expect.stringContaining('model "m1" was rejected by the gateway (HTTP 404)') },
  });
  expect(
    claude({ type: "result", subtype: "error_max_turns", is_error: true, terminal_reason: "max_turns", result: "stopped" }).events[0],
  ).toMatchObject({
    type: "session.error",
    error: { code: "harness_failed" },
  });
});

test("codex app-server: deltas stream, items become tool calls with diffs, retries are quiet, failures are classified", () => {
  const codex = new CodexTranslator("m1");
  const note = (method: string, params: Record<string, unknown>) => codex.translate({ method, params });
  expect(note("turn/started", { threadId: "th1", turn: { id: "t1" } })).toEqual({ turnId: "t1", events: [] });
  expect(note("warning", { message: "Model metadata for `m1` not found." }).events).toEqual([]);
  expect(note("error", { error: { message: "Reconnecting... 1/5" }, willRetry: true }).events).toEqual([]);
  expect(note("item/reasoning/summaryTextDelta", { itemId: "r1", delta: "Plan" }).events).toEqual([
    { type: "agent.thinking", thinking: "Plan" },
  ]);
  // The completed reasoning item is not repeated after its deltas.
  expect(note("item/completed", { item: { id: "r1", type: "reasoning", summary: ["Plan"], content: [] } }).events).toEqual([]);
  expect(note("item/started", { item: { id: "i1", type: "commandExecution", command: "ls" } }).events).toEqual([
    { type: "agent.tool_use", id: "i1", name: "command_execution", input: { command: "ls" } },
  ]);
  expect(
    note("item/completed", { item: { id: "i1", type: "commandExecution", aggregatedOutput: "boom", exitCode: 2, status: "failed" } })
      .events,
  ).toEqual([{ type: "agent.tool_result", tool_use_id: "i1", content: [{ type: "text", text: "boom" }], is_error: true }]);
  // The provider reuses the id i1 for a later call that completes unannounced: it still gets its tool_use.
  expect(
    note("item/completed", {
      item: { id: "i1", type: "commandExecution", command: "pwd", aggregatedOutput: "/w", exitCode: 0, status: "completed" },
    }).events,
  ).toEqual([
    { type: "agent.tool_use", id: "i1", name: "command_execution", input: { command: "pwd" } },
    { type: "agent.tool_result", tool_use_id: "i1", content: [{ type: "text", text: "/w" }], is_error: false },
  ]);
  // A file change reported only on completion still gets its tool_use first, with each file's diff.
  expect(
    note("item/completed", {
      item: { id: "i2", type: "fileChange", changes: [{ path: "/w/a", kind: { type: "add" }, diff: "one\n" }], status: "completed" },
    }).events,
  ).toEqual([
    { type: "agent.tool_use", id: "i2", name: "file_change", input: { changes: [{ path: "/w/a", kind: "add", diff: "one\n" }] } },
    { type: "agent.tool_result", tool_use_id: "i2", content: [{ type: "text", text: "add /w/a" }], is_error: false },
  ]);
  expect(note("item/agentMessage/delta", { itemId: "m1", delta: "Hel" }).events).toEqual([
    { type: "agent.message", content: [{ type: "text", text: "Hel" }] },
  ]);
  expect(note("item/agentMessage/delta", { itemId: "m1", delta: "lo" }).events).toEqual([
    { type: "agent.message", content: [{ type: "text", text: "lo" }] },
  ]);
  expect(note("item/completed", { item: { id: "m1", type: "agentMessage", text: "Hello" } }).events).toEqual([]);
  // A message that streamed nothing arrives whole.
  expect(note("item/completed", { item: { id: "m2", type: "agentMessage", text: "Whole" } }).events).toEqual([
    { type: "agent.message", content: [{ type: "text", text: "Whole" }] },
  ]);
  expect(note("turn/completed", { turn: { id: "t1", status: "completed" } }).events).toEqual([
    { type: "session.status_idle", stop_reason: { type: "end_turn" } },
  ]);
  expect(note("turn/completed", { turn: { id: "t1", status: "interrupted" } }).events).toEqual([
    { type: "session.status_idle", stop_reason: { type: "interrupted" } },
  ]);
  expect(
    note("turn/completed", { turn: { status: "failed", error: { message: "The model `m1` does not exist" } } }).events[0],
  ).toMatchObject({ error: { code: "model_error" } });
  expect(note("turn/completed", { turn: { status: "failed", error: { message: "stream disconnected" } } }).events[0]).toMatchObject({
    error: { code: "harness_failed", message: "codex turn failed: stream disconnected" },
  });
});

test("opencode: only this session's assistant parts; deltas and late text are not doubled; aborts are not errors", () => {
  const opencode = new OpencodeTranslator(() => "ses_1", "m1");
  const ev = (type: string, properties: Record<string, unknown>) => opencode.translate({ type, properties });
  expect(ev("message.updated", { info: { id: "msg_u", sessionID: "ses_1", role: "user" } })).toEqual([]);
  expect(ev("message.part.updated", { part: { id: "p_u", messageID: "msg_u", sessionID: "ses_1", type: "text", text: "prompt" } })).toEqual(
    [],
  );
  expect(ev("message.updated", { info: { id: "msg_a", sessionID: "ses_1", role: "assistant" } })).toEqual([]);
  expect(ev("message.part.updated", { part: { id: "p1", messageID: "msg_a", sessionID: "ses_1", type: "text", text: "" } })).toEqual([]);
  expect(ev("message.part.delta", { sessionID: "ses_1", messageID: "msg_a", partID: "p1", field: "text", delta: "Hel" })).toEqual([
    { type: "agent.message", content: [{ type: "text", text: "Hel" }] },
  ]);
  expect(ev("message.part.updated", { part: { id: "p1", messageID: "msg_a", sessionID: "ses_1", type: "text", text: "Hello" } })).toEqual([
    { type: "agent.message", content: [{ type: "text", text: "lo" }] },
  ]);
  expect(ev("message.part.delta", { sessionID: "ses_other", messageID: "msg_a", partID: "p1", field: "text", delta: "x" })).toEqual([]);
  const tool = (status: string, extra: Record<string, unknown> = {}) =>
    ev("message.part.updated", {
      part: {
        id: "p2",
        messageID: "msg_a",
        sessionID: "ses_1",
        type: "tool",
        tool: "bash",
        callID: "c1",
        state: { status, input: { command: "ls" }, ...extra },
      },
    });
  expect(tool("pending")).toEqual([]);
  expect(tool("running").map((e) => e.type)).toEqual(["agent.tool_use"]);
  expect(tool("running")).toEqual([]);
  expect(tool("error", { error: "denied" })).toEqual([
    { type: "agent.tool_result", tool_use_id: "c1", content: [{ type: "text", text: "denied" }], is_error: true },
  ]);
  // A later response whose provider numbers its calls again (callID c1 once more) is a new call: reported too.
  const again = (status: string) =>
    ev("message.part.updated", {
      part: {
        id: "p3",
        messageID: "msg_a",
        sessionID: "ses_1",
        type: "tool",
        tool: "bash",
        callID: "c1",
        state: { status, input: { command: "pwd" }, output: "/w" },
      },
    });
  expect(again("running")).toEqual([{ type: "agent.tool_use", id: "c1", name: "bash", input: { command: "pwd" } }]);
  expect(again("completed")).toEqual([
    { type: "agent.tool_result", tool_use_id: "c1", content: [{ type: "text", text: "/w" }], is_error: false },
  ]);
  expect(
    ev("session.error", { sessionID: "ses_1", error: { name: "APIError", data: { message: "Not Found", statusCode: 404 } } })[0],
  ).toMatchObject({ error: { code: "model_error" } });
  expect(ev("session.error", { sessionID: "ses_1", error: { name: "MessageAbortedError" } })).toEqual([]);
  opencode.interrupted = true;
  expect(ev("session.idle", { sessionID: "ses_1" })).toEqual([{ type: "session.status_idle", stop_reason: { type: "interrupted" } }]);
});
