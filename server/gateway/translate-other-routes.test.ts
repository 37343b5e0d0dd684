import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, type GatewayTestEnv } from "../../test/support/gateway";
import { resetFakeProviders, startGatewaySdks } from "../../test/support/gateway-sdks";

/** The gateway's other routes (count_tokens, models, model info, embeddings, completions, wildcard models) and its errors as each SDK sees them. */
let env: GatewayTestEnv;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  ({ env, openai, anthropic } = await startGatewaySdks());
}, 60_000);
afterAll(() => env?.close());
beforeEach(() => resetFakeProviders(env));

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
