/** opencode's warm-up model (warm-stub.ts): answers only while the warm-up runs, and is never the agent's model. */
import { expect, test } from "bun:test";
import { opencodeConfig } from "./config.ts";
import { startWarmUpStub, WARM_UP_PROVIDER, withWarmUpProvider } from "./warm-stub.ts";

test("the stub answers a streamed chat completion with 'ok', then refuses connections once stopped", async () => {
  const stub = startWarmUpStub();
  const res = await fetch(`${stub.url}/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model: "m", stream: true, messages: [] }),
  });
  const text = await res.text();
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  expect(text).toContain('"content":"ok"');
  expect(text.trim().endsWith("data: [DONE]")).toBe(true);
  expect((await fetch(`${stub.url}/embeddings`, { method: "POST", body: "{}" })).status).toBe(404);
  stub.stop();
  expect(fetch(`${stub.url}/chat/completions`, { method: "POST", body: "{}" })).rejects.toThrow();
});

test("the warm-up provider is one more provider; every model slot stays the agent's on LAP's gateway", () => {
  const base = opencodeConfig({ workspace: "/w", home: "/h", gatewayUrl: "http://127.0.0.1:4000", apiKey: "k", model: "m" });
  const config = withWarmUpProvider(base, "http://127.0.0.1:1/v1", "m") as Record<string, any>;
  expect(config.enabled_providers).toEqual(["lap", WARM_UP_PROVIDER]);
  expect(Object.keys(config.provider)).toEqual(["lap", WARM_UP_PROVIDER]);
  expect([config.model, config.small_model]).toEqual(["lap/m", "lap/m"]);
  for (const agent of Object.values(config.agent) as Array<{ model: string }>) expect(agent.model).toBe("lap/m");
});
