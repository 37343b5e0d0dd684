// ACP session/update → LAP events, with the shapes `openclaw acp` 2026.9.6 sent in a real run
// (harness/adapters/README.md#openclaw), and what the Gateway's console says when a run fails.
import { describe, expect, test } from "bun:test";
import { RunFailure } from "./gateway.ts";
import { OpenclawTranslator, toolName } from "./translate.ts";

const write = {
  sessionUpdate: "tool_call",
  toolCallId: "call_1",
  title: "write: path: hello.txt, content: hi there",
  status: "in_progress",
  rawInput: { path: "hello.txt", content: "hi there" },
  kind: "edit",
};
const written = {
  sessionUpdate: "tool_call_update",
  toolCallId: "call_1",
  status: "completed",
  rawOutput: { content: [{ type: "text", text: "Successfully wrote 8 bytes to hello.txt" }] },
  content: [{ type: "content", content: { type: "text", text: "Successfully wrote 8 bytes to hello.txt" } }],
};

describe("OpenclawTranslator", () => {
  test("text and thought chunks become message and thinking deltas; bookkeeping is dropped", () => {
    const t = new OpenclawTranslator();
    expect(t.translate({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: "Hello" } })).toEqual([
      { type: "agent.message", content: [{ type: "text", text: "Hello" }] },
    ]);
    expect(t.translate({ sessionUpdate: "agent_thought_chunk", content: { type: "text", text: "hmm" } })).toEqual([
      { type: "agent.thinking", thinking: "hmm" },
    ]);
    expect(t.translate({ sessionUpdate: "session_info_update", title: "agent:main:lap" })).toEqual([]);
    expect(t.translate({ sessionUpdate: "usage_update" })).toEqual([]);
    expect(t.translate({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: "" } })).toEqual([]);
  });

  test("a tool call is announced once with its arguments, and its result follows once", () => {
    const t = new OpenclawTranslator();
    expect(t.translate(write)).toEqual([
      { type: "agent.tool_use", id: "call_1", name: "write", input: { path: "hello.txt", content: "hi there" } },
    ]);
    expect(t.translate(write)).toEqual([]);
    // exec streams its output while running: only the finished update is the result.
    expect(t.translate({ ...written, status: "in_progress" })).toEqual([]);
    expect(t.translate(written)).toEqual([
      {
        type: "agent.tool_result",
        tool_use_id: "call_1",
        content: [{ type: "text", text: "Successfully wrote 8 bytes to hello.txt" }],
        is_error: false,
      },
    ]);
    expect(t.translate(written)).toEqual([]);
  });

  test("a failed call is an error result; a result with no announced call is announced first", () => {
    const t = new OpenclawTranslator();
    const failed = t.translate({
      sessionUpdate: "tool_call_update",
      toolCallId: "call_9",
      title: "exec: command: ls",
      status: "failed",
      rawOutput: { content: [{ type: "text", text: "Exec denied (user-denied): ls" }] },
    });
    expect(failed.map((e) => e.type)).toEqual(["agent.tool_use", "agent.tool_result"]);
    expect(failed[1]).toMatchObject({ is_error: true, content: [{ text: "Exec denied (user-denied): ls" }] });
  });

  test("a permission request announces the call marked ask, without OpenClaw's approval fields", () => {
    const t = new OpenclawTranslator();
    const call = {
      toolCallId: "call_2",
      title: "exec: command: echo hi",
      status: "pending",
      rawInput: { name: "exec", approvalId: "ap-1", command: "echo hi", host: "gateway" },
      _meta: { toolName: "exec", approvalId: "ap-1" },
    };
    expect(t.permission(call, "ask")).toEqual([
      { type: "agent.tool_use", id: "call_2", name: "exec", input: { command: "echo hi" }, evaluated_permission: "ask" },
    ]);
    // The call was announced already by its tool_call update: nothing twice.
    expect(t.permission(call, "ask")).toEqual([]);
    expect(t.translate({ sessionUpdate: "tool_call", ...call })).toEqual([]);
  });

  test("asking about exec: its tool_call is held until OpenClaw asks, or announced with its result when it never does", () => {
    const t = new OpenclawTranslator(new Set(["exec"]));
    const exec = {
      sessionUpdate: "tool_call",
      toolCallId: "call_3",
      title: "exec: command: ls",
      status: "in_progress",
      rawInput: { command: "ls" },
    };
    expect(t.translate(exec)).toEqual([]);
    expect(
      t.permission({ toolCallId: "call_3", title: "exec: command: ls", rawInput: { name: "exec", command: "ls", approvalId: "a" } }, "ask"),
    ).toEqual([{ type: "agent.tool_use", id: "call_3", name: "exec", input: { command: "ls" }, evaluated_permission: "ask" }]);
    // Refused by OpenClaw without asking (a command it cannot bind): call and result together.
    expect(t.translate({ ...exec, toolCallId: "call_4", rawInput: { command: "echo x > f" } })).toEqual([]);
    const refused = t.translate({
      sessionUpdate: "tool_call_update",
      toolCallId: "call_4",
      status: "failed",
      rawOutput: { content: [{ type: "text", text: "Exec denied" }] },
    });
    expect(refused).toEqual([
      { type: "agent.tool_use", id: "call_4", name: "exec", input: { command: "echo x > f" } },
      { type: "agent.tool_result", tool_use_id: "call_4", content: [{ type: "text", text: "Exec denied" }], is_error: true },
    ]);
    // Other tools are announced at once.
    expect(t.translate(write).map((e) => e.type)).toEqual(["agent.tool_use"]);
  });

  test("tool names come from _meta, else from the title's prefix", () => {
    expect(toolName({ _meta: { toolName: "apply_patch" }, title: "x: y" })).toBe("apply_patch");
    expect(toolName({ title: "exec: command: ls" })).toBe("exec");
    expect(toolName({})).toBe("tool");
  });
});

describe("RunFailure (the Gateway's console)", () => {
  test("a provider's HTTP error and OpenClaw's failure message are kept until reset", () => {
    const failure = new RunFailure();
    failure.read("[model-fetch] response provider=lap api=openai-completions model=no-such-model status=404 elapsedMs=348");
    failure.read("Embedded agent failed before reply: The selected model was not found by the provider.");
    expect(failure.status).toBe(404);
    expect(failure.message).toBe("The selected model was not found by the provider.");
    failure.reset();
    expect(failure.status).toBeUndefined();
    expect(failure.message).toBeUndefined();
  });

  test("a successful call or an unrelated line records nothing", () => {
    const failure = new RunFailure();
    failure.read("[model-fetch] response provider=lap api=openai-completions model=gpt status=200 elapsedMs=12");
    failure.read("[gateway] ready");
    expect(failure.status).toBeUndefined();
    expect(failure.message).toBeUndefined();
  });
});
