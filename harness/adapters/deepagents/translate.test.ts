// DeepAgents' LangGraph stream chunks (in the shapes @langchain/core 1.x produces) as LAP's events, and
// how a failed model call is reported. The real stream is covered by deepagents.test.ts.
import { expect, test } from "bun:test";
import { AIMessage, AIMessageChunk, ToolMessage } from "@langchain/core/messages";
import { modelFailure } from "./runner-protocol.ts";
import { DeepAgentsTranslator } from "./translate.ts";

const node = (name: string, ns = `${name}:1`) => ({ langgraph_node: name, langgraph_checkpoint_ns: ns });

test("the agent's own model tokens become text and thinking deltas; a sub-agent's or a tool's do not", () => {
  const t = new DeepAgentsTranslator();
  expect(t.translate("messages", [new AIMessageChunk({ content: "Hel" }), node("model_request")]).events).toEqual([
    { type: "agent.message", content: [{ type: "text", text: "Hel" }] },
  ]);
  expect(
    t.translate("messages", [new AIMessageChunk({ content: "", additional_kwargs: { reasoning_content: "hmm" } }), node("model_request")])
      .events,
  ).toEqual([{ type: "agent.thinking", thinking: "hmm" }]);
  expect(
    t.translate("messages", [new AIMessageChunk({ content: [{ type: "text", text: "blocks" }] }), node("model_request")]).events,
  ).toEqual([{ type: "agent.message", content: [{ type: "text", text: "blocks" }] }]);
  // Inside the `task` tool a sub-agent streams through a nested namespace.
  expect(
    t.translate("messages", [new AIMessageChunk({ content: "sub" }), node("model_request", "tools:1|model_request:2")]).events,
  ).toEqual([]);
  expect(t.translate("messages", [new ToolMessage({ content: "out", tool_call_id: "c1" }), node("tools")]).events).toEqual([]);
});

test("a finished response's tool calls and each tool result once, whichever node produced it", () => {
  const t = new DeepAgentsTranslator((name) => name === "execute");
  const response = new AIMessage({
    content: "",
    tool_calls: [
      { id: "c1", name: "write_file", args: { file_path: "/w/a", content: "x" } },
      { id: "c2", name: "execute", args: { command: "ls" } },
    ],
  });
  expect(t.translate("updates", { model_request: { messages: [response] } }).events).toEqual([
    { type: "agent.tool_use", id: "c1", name: "write_file", input: { file_path: "/w/a", content: "x" }, evaluated_permission: "allow" },
    { type: "agent.tool_use", id: "c2", name: "execute", input: { command: "ls" }, evaluated_permission: "ask" },
  ]);
  const result = new ToolMessage({ content: "ok", tool_call_id: "c1", name: "write_file" });
  expect(t.translate("updates", { tools: [{ messages: [result] }] }).events).toEqual([
    { type: "agent.tool_result", tool_use_id: "c1", content: [{ type: "text", text: "ok" }], is_error: false },
  ]);
  expect(t.translate("updates", { "SomeMiddleware.after_model": { messages: [result] } }).events).toEqual([]);
  const interrupted = t.translate("updates", {
    __interrupt__: [{ id: "i1", value: { actionRequests: [{ name: "execute", args: { command: "ls" } }] } }],
  });
  expect(interrupted).toEqual({ events: [], interrupt: [{ name: "execute", args: { command: "ls" } }] });
  expect(t.idsFor(interrupted.interrupt!)).toEqual(["c2"]);
  const refused = new ToolMessage({ content: "denied", tool_call_id: "c2", status: "error" });
  expect(t.translate("updates", { "HumanInTheLoopMiddleware.after_model": { messages: [refused] } }).events).toEqual([
    { type: "agent.tool_result", tool_use_id: "c2", content: [{ type: "text", text: "denied" }], is_error: true },
  ]);
  // The next response reuses c2 (some providers number calls per response): a new call, asked about and reported again.
  const reused = new AIMessage({ content: "", tool_calls: [{ id: "c2", name: "execute", args: { command: "pwd" } }] });
  expect(t.translate("updates", { model_request: { messages: [reused] } }).events).toEqual([
    { type: "agent.tool_use", id: "c2", name: "execute", input: { command: "pwd" }, evaluated_permission: "ask" },
  ]);
  expect(t.idsFor([{ name: "execute", args: { command: "pwd" } }])).toEqual(["c2"]);
  expect(t.translate("updates", { tools: [{ messages: [new ToolMessage({ content: "/w", tool_call_id: "c2" })] }] }).events).toEqual([
    { type: "agent.tool_result", tool_use_id: "c2", content: [{ type: "text", text: "/w" }], is_error: false },
  ]);
  // Without approval-required tools no call carries evaluated_permission.
  const plain = new DeepAgentsTranslator().translate("updates", { model_request: { messages: [response] } }).events;
  expect(plain.every((e) => e.type === "agent.tool_use" && !("evaluated_permission" in e))).toBe(true);
});

test("a call the gateway refused is model_error naming the model, with or without the client's status field", () => {
  expect(modelFailure(Object.assign(new Error("The model `m` does not exist"), { status: 404 }), "m")).toEqual({
    type: "session.error",
    error: { code: "model_error", message: 'model "m" was rejected by the gateway (HTTP 404): The model `m` does not exist' },
  });
  // As it arrives through LangGraph: the OpenAI client's "404 …" text with LangChain's troubleshooting link.
  expect(
    modelFailure(
      new Error("404 The model `m` does not exist\n\nTroubleshooting URL: https://docs.langchain.com/x/MODEL_NOT_FOUND/\n"),
      "m",
    ),
  ).toEqual({
    type: "session.error",
    error: { code: "model_error", message: 'model "m" was rejected by the gateway (HTTP 404): The model `m` does not exist' },
  });
  expect(modelFailure(new Error("socket hang up"), "m")).toEqual({
    type: "session.error",
    error: { code: "harness_failed", message: "deepagents: socket hang up" },
  });
});
