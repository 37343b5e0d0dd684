import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";

/** Every caller format against every provider format, through the official SDKs. */
let env: GatewayTestEnv;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  env = await startGatewayTestEnv();
  openai = new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: env.masterKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: env.baseUrl, apiKey: env.masterKey, maxRetries: 0 });
}, 60_000);
afterAll(() => env?.close());
beforeEach(() => {
  env.openai.script.reset();
  env.anthropic.script.reset();
});

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

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
  // The fakes pace their chunks 80 ms apart: a buffering gateway would deliver the first chunk at the end.
  const timeline = async (model: string) => {
    const started = performance.now();
    const stream = await openai.chat.completions.create({
      model,
      messages: [{ role: "user", content: "one two three four five six" }],
      stream: true,
    });
    let first = 0;
    for await (const c of stream) if (!first && c.choices[0]?.delta?.content) first = performance.now() - started;
    return { first, total: performance.now() - started };
  };

  test("pass-through (OpenAI-compatible) and translated (Anthropic) streams reach the caller chunk by chunk", async () => {
    env.openai.script.chunkDelayMs = 80;
    env.anthropic.script.chunkDelayMs = 80;
    for (const model of ["gpt-fake", "claude-fake"]) {
      const t = await timeline(model);
      expect(t.total).toBeGreaterThan(600);
      expect(t.first).toBeLessThan(t.total - 400);
    }
  });
});

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

describe("Responses API caller", () => {
  test("to an OpenAI-compatible provider: instructions, output_text and usage", async () => {
    const res = await openai.responses.create({ model: "gpt-fake", instructions: "Be nice.", input: "hello codex" });
    expect(res.output_text).toBe("Hello! You said: hello codex");
    expect(res.status).toBe("completed");
    expect(res.usage!.output_tokens).toBeGreaterThan(0);
    expect(env.openai.script.requests[0]!.body.messages[0]).toEqual({ role: "system", content: "Be nice." });
  });

  test("streams from Anthropic as Responses events", async () => {
    const stream = await openai.responses.create({ model: "claude-fake", input: [{ role: "user", content: "stream it" }], stream: true });
    const types: string[] = [];
    let text = "";
    let completed: OpenAI.Responses.Response | undefined;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === "response.output_text.delta") text += ev.delta;
      if (ev.type === "response.completed") completed = ev.response;
    }
    expect(types[0]).toBe("response.created");
    expect(types).toContain("response.output_item.added");
    expect(text).toBe("Hello! You said: stream it");
    expect(completed!.output[0]!.type).toBe("message");
    expect(completed!.usage!.output_tokens).toBeGreaterThan(0);
  });

  test("function calls to Anthropic and back with function_call_output", async () => {
    const tools = [
      {
        type: "function" as const,
        name: "get_weather",
        description: "Weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
        strict: false,
      },
    ];
    const res = await openai.responses.create({ model: "claude-fake", input: "weather?", tools });
    const call = res.output.find((o) => o.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.name).toBe("get_weather");
    expect(JSON.parse(call.arguments)).toEqual({ city: "Paris", unit: "celsius" });
    const next = await openai.responses.create({
      model: "claude-fake",
      tools,
      input: [
        { role: "user", content: "weather?" },
        { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: "function_call_output", call_id: call.call_id, output: "cloudy" },
      ],
    });
    expect(next.output_text).toBe("The tool said: cloudy");
    const sent = env.anthropic.script.requests[1]!.body.messages;
    expect(sent[2].content[0]).toEqual({ type: "tool_result", tool_use_id: call.call_id, content: "cloudy" });
  });

  test("previous_response_id is refused with a 400 naming it, since responses are not stored", async () => {
    const err = await openai.responses.create({ model: "gpt-fake", input: "more", previous_response_id: "resp_123" }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe("previous_response_id");
    expect(env.openai.script.requests).toHaveLength(0);
  });

  test("streamed function call arguments from an OpenAI-compatible provider", async () => {
    const stream = await openai.responses.create({
      model: "gpt-fake",
      input: "weather?",
      stream: true,
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object", properties: {} }, strict: false }],
    });
    let args = "";
    let final: OpenAI.Responses.Response | undefined;
    for await (const ev of stream) {
      if (ev.type === "response.function_call_arguments.delta") args += ev.delta;
      if (ev.type === "response.completed") final = ev.response;
    }
    expect(JSON.parse(args)).toEqual({ city: "Paris", unit: "celsius" });
    expect(final!.output[0]!.type).toBe("function_call");
  });
});

describe("other routes and errors", () => {
  test("a body without messages is a 400 naming the field, in OpenAI format, and nothing goes upstream", async () => {
    const res = await fetch(`${env.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.masterKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-fake" }),
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.param).toBe("messages");
    expect(body.error.type).toBe("invalid_request_error");
    expect(res.headers.get("x-litellm-response-cost")).toBe("0");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(env.openai.script.requests).toHaveLength(0);
  });

  test("count_tokens: real from an Anthropic deployment, estimated for an OpenAI-compatible one", async () => {
    const real = await anthropic.messages.countTokens({ model: "claude-fake", messages: [{ role: "user", content: "count these words" }] });
    expect(real.input_tokens).toBeGreaterThan(0);
    expect(env.anthropic.script.requests[0]!.path).toBe("/v1/messages/count_tokens");
    expect(env.anthropic.script.requests[0]!.body.model).toBe("claude-haiku-4-5");
    const est = (await anthropic.messages.countTokens({
      model: "gpt-fake",
      messages: [{ role: "user", content: "count these words" }],
    })) as { input_tokens: number; estimated?: boolean };
    expect(est.input_tokens).toBeGreaterThan(0);
    expect(est.estimated).toBe(true);
  });

  test("Anthropic SDK sees a 400 naming max_tokens; OpenAI SDK sees a 400 for an unknown model", async () => {
    const err = await anthropic.messages
      .create({ model: "claude-fake", messages: [{ role: "user", content: "x" }] } as never)
      .catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String(err.message)).toContain("max_tokens");
    const err2 = await openai.chat.completions
      .create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(err2).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err2.param).toBe("model");
    expect(env.anthropic.script.requests).toHaveLength(0);
  });

  test("a provider's 400 reaches the caller with its message", async () => {
    env.anthropic.script.failures.push({ status: 400, message: "prompt is too long" });
    const err = await openai.chat.completions.create({ model: "claude-fake", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.message).toContain("prompt is too long");
  });

  test("models list, model info without provider keys, embeddings, completions and wildcard routes", async () => {
    const models = await openai.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toContain("gpt-fake");
    expect(ids).toContain("claude-fake");
    const info = await (await fetch(`${env.baseUrl}/v1/model/info`, { headers: { authorization: `Bearer ${env.masterKey}` } })).text();
    expect(info).toContain("claude-haiku-4-5");
    expect(info).not.toContain(FAKE_ANTHROPIC_KEY);
    expect(info).not.toContain(FAKE_OPENAI_KEY);
    const emb = await openai.embeddings.create({ model: "embed-fake", input: ["a", "bb"] });
    expect(emb.data).toHaveLength(2);
    const cmp = await openai.completions.create({ model: "gpt-fake", prompt: "Say hi" });
    expect(cmp.choices[0]!.text).toBe("completed: Say hi");
    const wild = await openai.chat.completions.create({ model: "openai/gpt-4.1", messages: [{ role: "user", content: "w" }] });
    expect(wild.choices[0]!.message.content).toBe("Hello! You said: w");
    expect(env.openai.script.requests.at(-1)!.body.model).toBe("gpt-4.1");
  });
});
