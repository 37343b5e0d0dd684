import type Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { GatewayTestEnv } from "../../test/support/gateway";
import { PNG, resetFakeProviders, startGatewaySdks } from "../../test/support/gateway-sdks";

/** An Anthropic Messages caller against each provider format, through the official SDKs. */
let env: GatewayTestEnv;
let anthropic: Anthropic;
beforeAll(async () => {
  ({ env, anthropic } = await startGatewaySdks());
}, 60_000);
afterAll(() => env?.close());
beforeEach(() => resetFakeProviders(env));

describe("Anthropic messages caller", () => {
  test("to Anthropic: passed through, streaming and not", async () => {
    const msg = await anthropic.messages.create({ model: "claude-fake", max_tokens: 100, messages: [{ role: "user", content: "ping" }] });
    expect(msg.content[0]).toEqual({ type: "text", text: "Hello! You said: ping" } as never);
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    const stream = anthropic.messages.stream({ model: "claude-fake", max_tokens: 100, messages: [{ role: "user", content: "pong" }] });
    const final = await stream.finalMessage();
    expect((final.content[0] as { text: string }).text).toBe("Hello! You said: pong");
    expect(env.anthropic.script.requests[1]!.body.model).toBe("claude-haiku-4-5");
  });

  test("to an OpenAI-compatible provider: system prompt, text and usage", async () => {
    const msg = await anthropic.messages.create({
      model: "gpt-fake",
      max_tokens: 100,
      system: "Be brief.",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(msg.type).toBe("message");
    expect(msg.content).toEqual([{ type: "text", text: "Hello! You said: hi" }] as never);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    const sent = env.openai.script.requests[0]!.body;
    expect(sent.messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(sent.max_tokens).toBe(100);
  });

  test("to an OpenAI-compatible provider: tools as tool_use blocks, streaming and not, then a tool_result", async () => {
    const tools = [
      { name: "get_weather", description: "Weather", input_schema: { type: "object" as const, properties: { city: { type: "string" } } } },
    ];
    const msg = await anthropic.messages.create({
      model: "gpt-fake",
      max_tokens: 100,
      tools,
      messages: [{ role: "user", content: "weather?" }],
    });
    expect(msg.stop_reason).toBe("tool_use");
    const use = msg.content[0] as Anthropic.ToolUseBlock;
    expect(use.type).toBe("tool_use");
    expect(use.input).toEqual({ city: "Paris", unit: "celsius" });
    expect(env.openai.script.requests[0]!.body.tools[0].function.name).toBe("get_weather");

    const final = await anthropic.messages
      .stream({ model: "gpt-fake", max_tokens: 100, tools, messages: [{ role: "user", content: "weather?" }] })
      .finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect((final.content[0] as Anthropic.ToolUseBlock).input).toEqual({ city: "Paris", unit: "celsius" });

    const answer = await anthropic.messages.create({
      model: "gpt-fake",
      max_tokens: 100,
      tools,
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: [{ type: "tool_use", id: use.id, name: "get_weather", input: { city: "Paris" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "rainy" }] },
      ],
    });
    expect((answer.content[0] as Anthropic.TextBlock).text).toBe("The tool said: rainy");
    const sent = env.openai.script.requests[2]!.body.messages;
    expect(sent[1].tool_calls[0]).toEqual({
      id: use.id,
      type: "function",
      function: { name: "get_weather", arguments: '{"city":"Paris"}' },
    });
    expect(sent[2]).toEqual({ role: "tool", tool_call_id: use.id, content: "rainy" });
  });

  test("to an OpenAI-compatible provider: streamed text events and an image", async () => {
    const stream = anthropic.messages.stream({
      model: "gpt-fake",
      max_tokens: 100,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
          ],
        },
      ],
    });
    const deltas: string[] = [];
    stream.on("text", (t) => deltas.push(t));
    const final = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect((final.content[0] as Anthropic.TextBlock).text).toBe("Hello! You said: look");
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(final.stop_reason).toBe("end_turn");
    const parts = env.openai.script.requests[0]!.body.messages[0].content;
    expect(parts[1]).toEqual({ type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } });
  });
});
