import { describe, expect, test } from "bun:test";
import { anthropicRequestToChat, ChatToAnthropicStream, chatResponseToAnthropic } from "./anthropic-to-chat";
import { AnthropicToChatStream, anthropicResponseToChat, chatRequestToAnthropic } from "./chat-to-anthropic";
import { responsesRequestToChat } from "./responses";
import { SseParser } from "./sse";

/** Edge cases of each translation, without HTTP. */
describe("Anthropic -> chat request", () => {
  test("system blocks, parallel tool results with an error, thinking dropped, tool_choice any", () => {
    const chat = anthropicRequestToChat(
      {
        model: "x",
        max_tokens: 10,
        system: [
          { type: "text", text: "A" },
          { type: "text", text: "B" },
        ],
        tool_choice: { type: "any", disable_parallel_tool_use: true },
        messages: [
          { role: "user", content: "go" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "hmm", signature: "s" },
              { type: "text", text: "calling" },
              { type: "tool_use", id: "t1", name: "a", input: { x: 1 } },
              { type: "tool_use", id: "t2", name: "b", input: {} },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "one" }] },
              { type: "tool_result", tool_use_id: "t2", content: "boom", is_error: true },
              { type: "text", text: "and?" },
            ],
          },
        ],
      },
      "up",
    );
    expect(chat.messages[0]).toEqual({ role: "system", content: "AB" });
    expect(chat.messages[2].content).toBe("calling");
    expect(chat.messages[2].tool_calls.map((t: { id: string }) => t.id)).toEqual(["t1", "t2"]);
    expect(chat.messages[3]).toEqual({ role: "tool", tool_call_id: "t1", content: "one" });
    expect(chat.messages[4]).toEqual({ role: "tool", tool_call_id: "t2", content: "Error: boom" });
    expect(chat.messages[5]).toEqual({ role: "user", content: "and?" });
    expect(chat.tool_choice).toBe("required");
    expect(chat.parallel_tool_calls).toBe(false);
  });
});

describe("chat -> Anthropic request", () => {
  test("consecutive tool messages merge into one user turn; stop and defaults", () => {
    const a = chatRequestToAnthropic(
      {
        model: "x",
        stop: "END",
        temperature: 1.7,
        messages: [
          { role: "developer", content: "sys" },
          { role: "user", content: "q" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "c1", function: { name: "f", arguments: '{"a":1}' } },
              { id: "c2", function: { name: "g", arguments: "not json" } },
            ],
          },
          { role: "tool", tool_call_id: "c1", content: "r1" },
          { role: "tool", tool_call_id: "c2", content: [{ type: "text", text: "r2" }] },
        ],
      },
      "claude",
    );
    expect(a.system).toBe("sys");
    expect(a.max_tokens).toBe(4096);
    expect(a.temperature).toBe(1);
    expect(a.stop_sequences).toEqual(["END"]);
    expect(a.messages).toHaveLength(3);
    expect(a.messages[1].content[1]).toEqual({ type: "tool_use", id: "c2", name: "g", input: {} });
    expect(a.messages[2].content).toEqual([
      { type: "tool_result", tool_use_id: "c1", content: "r1" },
      { type: "tool_result", tool_use_id: "c2", content: "r2" },
    ]);
  });

  test("stop reasons and cache tokens map back", () => {
    const chat = anthropicResponseToChat(
      {
        id: "msg_1",
        content: [{ type: "text", text: "hi" }],
        stop_reason: "stop_sequence",
        usage: { input_tokens: 3, cache_read_input_tokens: 7, output_tokens: 2 },
      },
      "m",
    );
    expect(chat.choices[0].finish_reason).toBe("stop");
    expect(chat.usage).toEqual({ prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 });
    expect(anthropicResponseToChat({ content: [], stop_reason: "max_tokens" }, "m").choices[0].finish_reason).toBe("length");
    expect(chatResponseToAnthropic({ choices: [{ message: { content: "x" }, finish_reason: "length" }] }, "m").stop_reason).toBe(
      "max_tokens",
    );
  });
});

const events = (text: string) => new SseParser().push(text);

describe("stream translators", () => {
  test("chat chunks with two parallel tool calls become two tool_use blocks", () => {
    let usage: number[] = [];
    const t = new ChatToAnthropicStream("m", (i, o) => (usage = [i, o]));
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: "chatcmpl-1", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const input = [
      chunk({ role: "assistant", content: "" }),
      chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: '{"x"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ":1}" } }] }),
      chunk({ tool_calls: [{ index: 1, id: "b", function: { name: "g", arguments: "{}" } }] }),
      chunk({}, "tool_calls"),
      `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 6 } })}\n\n`,
      "data: [DONE]\n\n",
    ].join("");
    const out = events(
      events(input)
        .flatMap((e) => t.onEvent(e))
        .concat(t.onEnd())
        .join(""),
    ).map((e) => JSON.parse(e.data));
    const starts = out.filter((e) => e.type === "content_block_start");
    expect(starts.map((s) => [s.index, s.content_block.id, s.content_block.name])).toEqual([
      [0, "a", "f"],
      [1, "b", "g"],
    ]);
    const json = out
      .filter((e) => e.type === "content_block_delta" && e.index === 0)
      .map((e) => e.delta.partial_json)
      .join("");
    expect(JSON.parse(json)).toEqual({ x: 1 });
    expect(out.find((e) => e.type === "message_delta").delta.stop_reason).toBe("tool_use");
    expect(out.at(-1).type).toBe("message_stop");
    expect(out.filter((e) => e.type === "message_stop")).toHaveLength(1);
    expect(usage).toEqual([5, 6]);
  });

  test("Anthropic events become chat chunks with a usage chunk and [DONE] exactly once", () => {
    const t = new AnthropicToChatStream("m", true, () => {});
    const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const input = [
      ev("message_start", { message: { id: "msg_9", usage: { input_tokens: 4, output_tokens: 1 } } }),
      ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: "hi" } }),
      ev("message_delta", { delta: { stop_reason: "pause_turn" }, usage: { output_tokens: 3 } }),
      ev("message_stop", {}),
    ].join("");
    const text = events(input)
      .flatMap((e) => t.onEvent(e))
      .concat(t.onEnd())
      .join("");
    expect(text.match(/\[DONE\]/g)).toHaveLength(1);
    const chunks = events(text)
      .filter((e) => e.data !== "[DONE]")
      .map((e) => JSON.parse(e.data));
    expect(chunks[0].id).toBe("chatcmpl-9");
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1).usage).toEqual({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
  });

  test("the SSE parser handles CRLF and events split across chunks", () => {
    const p = new SseParser();
    expect(p.push("event: a\r\nda")).toEqual([]);
    expect(p.push('ta: {"x":1}\r\n\r\ndata: [DONE]\n\n')).toEqual([
      { event: "a", data: '{"x":1}' },
      { event: undefined, data: "[DONE]" },
    ]);
  });

  test("the SSE parser can return only the events that mention a string, still across chunk splits", () => {
    const p = new SseParser();
    expect(p.push('data: {"a":1}\n\ndata: {"us', '"usage"')).toEqual([]);
    expect(p.push('age":{"prompt_tokens":3}}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n', '"usage"')).toEqual([
      { event: undefined, data: '{"usage":{"prompt_tokens":3}}' },
    ]);
    expect(p.push('data: {"c":3}\n\n')).toEqual([{ event: undefined, data: '{"c":3}' }]);
  });
});

describe("Responses -> chat request", () => {
  test("parallel function calls share one assistant message; developer role is system; images pass", () => {
    const chat = responsesRequestToChat(
      {
        model: "x",
        max_output_tokens: 9,
        input: [
          { type: "message", role: "developer", content: "rules" },
          {
            role: "user",
            content: [
              { type: "input_text", text: "see" },
              { type: "input_image", image_url: "data:image/png;base64,AA" },
            ],
          },
          { type: "reasoning", summary: [] },
          { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
          { type: "function_call", call_id: "c2", name: "g", arguments: "{}" },
          { type: "function_call_output", call_id: "c1", output: "o1" },
          { type: "function_call_output", call_id: "c2", output: { ok: true } },
        ],
        tools: [{ type: "function", name: "f", parameters: { type: "object" } }, { type: "web_search" }],
        tool_choice: { type: "function", name: "f" },
      },
      "up",
    );
    expect(chat.messages[0]).toEqual({ role: "system", content: "rules" });
    expect(chat.messages[1].content[1]).toEqual({ type: "image_url", image_url: { url: "data:image/png;base64,AA" } });
    expect(chat.messages[2].tool_calls.map((c: { id: string }) => c.id)).toEqual(["c1", "c2"]);
    expect(chat.messages[4]).toEqual({ role: "tool", tool_call_id: "c2", content: '{"ok":true}' });
    expect(chat.tools).toHaveLength(1);
    expect(chat.tool_choice).toEqual({ type: "function", function: { name: "f" } });
    expect(chat.max_tokens).toBe(9);
  });
});

import { hoistSystemMessages } from "./anthropic-system";
describe("system-role messages on /v1/messages (as Claude Code sends them)", () => {
  test("are moved into the top-level system, after the existing one, and removed from messages", () => {
    const out = hoistSystemMessages({
      model: "m",
      system: "base",
      messages: [
        { role: "user", content: "hi" },
        { role: "system", content: [{ type: "text", text: "reminder" }] },
        { role: "assistant", content: "ok" },
      ],
    } as never) as { system: { text: string }[]; messages: { role: string }[] };
    expect(out.system.map((b) => b.text)).toEqual(["base", "reminder"]);
    expect(out.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
  });
  test("a body without them is returned unchanged", () => {
    const body = { model: "m", messages: [{ role: "user", content: "hi" }] };
    expect(hoistSystemMessages(body as never)).toBe(body as never);
  });
});
