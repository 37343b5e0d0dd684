import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { GatewayTestEnv } from "../../test/support/gateway";
import { resetFakeProviders, startGatewaySdks } from "../../test/support/gateway-sdks";

/** A Responses API caller against each provider format, through the official SDKs. */
let env: GatewayTestEnv;
let openai: OpenAI;
beforeAll(async () => {
  ({ env, openai } = await startGatewaySdks());
}, 60_000);
afterAll(() => env?.close());
beforeEach(() => resetFakeProviders(env));

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
