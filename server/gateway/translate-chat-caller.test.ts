import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, type GatewayTestEnv } from "../../test/support/gateway";
import { PNG, resetFakeProviders, startGatewaySdks, weatherTool } from "../../test/support/gateway-sdks";

/** A chat completions caller against each provider format, through the official SDKs; its streams reach the caller chunk by chunk. */
let env: GatewayTestEnv;
let openai: OpenAI;
beforeAll(async () => {
  ({ env, openai } = await startGatewaySdks());
}, 60_000);
afterAll(() => env?.close());
beforeEach(() => resetFakeProviders(env));

describe("chat completions caller", () => {
  test("to an OpenAI-compatible provider: answer, usage, cost and request id headers", async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: "gpt-fake", messages: [{ role: "user", content: "hi there" }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe("Hello! You said: hi there");
    expect(data.usage!.total_tokens).toBeGreaterThan(0);
    expect(Number(response.headers.get("x-litellm-response-cost"))).toBeGreaterThan(0);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const sent = env.openai.script.requests[0]!;
    expect(sent.body.model).toBe("gpt-4o-mini");
    expect(sent.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
  });

  test("streams to an OpenAI-compatible provider chunk by chunk, asking for usage", async () => {
    const stream = await openai.chat.completions.create({
      model: "gpt-fake",
      messages: [{ role: "user", content: "stream me" }],
      stream: true,
    });
    let text = "";
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta?.content ?? "";
    }
    expect(text).toBe("Hello! You said: stream me");
    expect(chunks).toBeGreaterThan(4);
    expect(env.openai.script.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  test("to Anthropic: system prompt, tools and a tool call come back as OpenAI tool_calls", async () => {
    const res = await openai.chat.completions.create({
      model: "claude-fake",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "weather in Paris?" },
      ],
      tools: [weatherTool],
      tool_choice: "auto",
      max_tokens: 200,
    });
    const call = res.choices[0]!.message.tool_calls![0]! as { id: string; function: { name: string; arguments: string } };
    expect(res.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris", unit: "celsius" });
    const sent = env.anthropic.script.requests[0]!;
    expect(sent.headers["x-api-key"]).toBe(FAKE_ANTHROPIC_KEY);
    expect(sent.body.system).toBe("You are terse.");
    expect(sent.body.tools[0]).toEqual({
      name: "get_weather",
      description: "Weather for a city",
      input_schema: weatherTool.function.parameters,
    });
    expect(sent.body.tool_choice).toEqual({ type: "auto" });
    expect(sent.body.model).toBe("claude-haiku-4-5");
  });

  test("to Anthropic: a tool result round trip and an image become tool_result and image blocks", async () => {
    const res = await openai.chat.completions.create({
      model: "claude-fake",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny, 21C" },
      ],
      tools: [weatherTool],
    });
    expect(res.choices[0]!.message.content).toBe("The tool said: sunny, 21C");
    expect(res.choices[0]!.finish_reason).toBe("stop");
    const sent = env.anthropic.script.requests[0]!.body;
    expect(sent.messages[0].content[1]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: PNG } });
    expect(sent.messages[1].content[0]).toEqual({ type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } });
    expect(sent.messages[2].content[0]).toEqual({ type: "tool_result", tool_use_id: "call_1", content: "sunny, 21C" });
  });

  test("streams from Anthropic as chat chunks: text, tool call deltas, finish reason and usage", async () => {
    const textStream = await openai.chat.completions.create({
      model: "claude-fake",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const c of textStream) {
      text += c.choices[0]?.delta?.content ?? "";
      finish = c.choices[0]?.finish_reason ?? finish;
      usage = c.usage ?? usage;
    }
    expect(text).toBe("Hello! You said: hello");
    expect(finish).toBe("stop");
    expect(usage!.completion_tokens).toBeGreaterThan(0);

    const toolStream = await openai.chat.completions.create({
      model: "claude-fake",
      messages: [{ role: "user", content: "weather?" }],
      tools: [weatherTool],
      stream: true,
    });
    let args = "";
    let name = "";
    for await (const c of toolStream) {
      for (const tc of c.choices[0]?.delta?.tool_calls ?? []) {
        name ||= tc.function?.name ?? "";
        args += tc.function?.arguments ?? "";
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe("get_weather");
    expect(JSON.parse(args)).toEqual({ city: "Paris", unit: "celsius" });
    expect(finish).toBe("tool_calls");
  });
});

describe("streaming is incremental", () => {
  // The provider sends its first piece of text and then waits until the caller has seen it: a gateway
  // that buffered the stream would never deliver that piece, and the provider would never finish.
  test("pass-through (OpenAI-compatible) and translated (Anthropic) streams reach the caller chunk by chunk", async () => {
    for (const [model, script] of [
      ["gpt-fake", env.openai.script],
      ["claude-fake", env.anthropic.script],
    ] as const) {
      let seen!: () => void;
      script.holdAfterFirstPiece = new Promise<void>((resolve) => {
        seen = resolve;
      });
      // Bounded, so a buffering gateway fails this test instead of hanging it.
      let buffered = false;
      const guard = setTimeout(() => {
        buffered = true;
        seen();
      }, 15_000);
      const stream = await openai.chat.completions.create({ model, messages: [{ role: "user", content: "one two three" }], stream: true });
      let text = "";
      for await (const c of stream) {
        const piece = c.choices[0]?.delta?.content;
        if (piece && !text) seen();
        text += piece ?? "";
      }
      clearTimeout(guard);
      script.holdAfterFirstPiece = undefined;
      expect(buffered).toBe(false);
      expect(text).toBe("Hello! You said: one two three");
    }
  }, 40_000);
});
