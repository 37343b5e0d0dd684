import { describe, expect, test } from "bun:test";
import { ChatToResponsesStream, chatResponseToResponses, responsesRequestToChat } from "./responses";

/**
 * Codex sends an MCP server's tools as a Responses `namespace` tool and calls them with `namespace`
 * (recorded from codex 0.169 with LAP's `lap` server). Before this translation they were dropped on
 * the way to a chat completions provider, so Codex's model never saw an MCP tool.
 */
const request = {
  model: "gpt-scripted",
  tools: [
    { type: "function", name: "exec_command", parameters: { type: "object", properties: { cmd: { type: "string" } } } },
    {
      type: "namespace",
      name: "mcp__lap",
      description: "LAP's platform tools",
      tools: [
        {
          type: "function",
          name: "memory_write",
          description: "Remember",
          parameters: { type: "object", properties: { key: { type: "string" } } },
        },
        { type: "function", name: "memory_read", parameters: { type: "object", properties: {} } },
      ],
    },
    { type: "web_search" },
  ],
  input: [
    { type: "message", role: "user", content: [{ type: "input_text", text: "remember" }] },
    { type: "function_call", namespace: "mcp__lap", name: "memory_read", call_id: "call_1", arguments: "{}" },
    { type: "function_call_output", call_id: "call_1", output: "nothing yet" },
  ],
  tool_choice: { type: "function", namespace: "mcp__lap", name: "memory_write" },
};

describe("Responses namespace tools <-> chat functions", () => {
  test("the request: namespaced tools become `<namespace>__<name>` functions, replayed calls and tool_choice too; other tool types stay out", () => {
    const chat = responsesRequestToChat(request, "up");
    expect(chat.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual([
      "exec_command",
      "mcp__lap__memory_write",
      "mcp__lap__memory_read",
    ]);
    expect(chat.tools[1].function).toMatchObject({ description: "Remember", parameters: { properties: { key: { type: "string" } } } });
    expect(chat.messages[1].tool_calls[0]).toEqual({
      id: "call_1",
      type: "function",
      function: { name: "mcp__lap__memory_read", arguments: "{}" },
    });
    expect(chat.tool_choice).toEqual({ type: "function", function: { name: "mcp__lap__memory_write" } });
  });

  test("the answer: a call of a flattened name comes back with its namespace; a plain function and an undeclared name stay as they are", () => {
    const calls = [
      { id: "c1", type: "function", function: { name: "mcp__lap__memory_write", arguments: '{"key":"k"}' } },
      { id: "c2", type: "function", function: { name: "exec_command", arguments: "{}" } },
      { id: "c3", type: "function", function: { name: "mcp__other__thing", arguments: "{}" } },
    ];
    const out = chatResponseToResponses(
      { id: "chatcmpl-1", choices: [{ message: { tool_calls: calls }, finish_reason: "tool_calls" }] },
      "gpt-scripted",
      request,
    );
    expect(out.output.map((item: { namespace?: string; name: string }) => [item.namespace, item.name])).toEqual([
      ["mcp__lap", "memory_write"],
      [undefined, "exec_command"],
      [undefined, "mcp__other__thing"],
    ]);
  });

  test("the stream: the function_call item is announced and finished with its namespace", () => {
    const stream = new ChatToResponsesStream("gpt-scripted", request, () => {});
    const chunk = (delta: unknown, finish: string | null = null) => ({
      event: undefined,
      data: JSON.stringify({ id: "x", choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const text = [
      ...stream.onEvent(
        chunk({ tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "mcp__lap__memory_write", arguments: "" } }] }),
      ),
      ...stream.onEvent(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"key":"k"}' } }] }, "tool_calls")),
      ...stream.onEnd(),
    ].join("");
    const items = text
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)))
      .filter((e) => e.type === "response.output_item.added" || e.type === "response.output_item.done")
      .map((e) => e.item);
    expect(items).toEqual([
      expect.objectContaining({ type: "function_call", namespace: "mcp__lap", name: "memory_write" }),
      expect.objectContaining({ type: "function_call", namespace: "mcp__lap", name: "memory_write", arguments: '{"key":"k"}' }),
    ]);
  });
});
