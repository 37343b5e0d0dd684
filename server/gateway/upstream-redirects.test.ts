/**
 * A deployment's api_base is the admin's choice; where the provider redirects is not (docs/security.md,
 * "User-supplied URLs and hosts"). Before this, the gateway's fetch followed any redirect: a provider
 * (or whoever controls its address) answering 307 got the caller's prompt and the provider key re-sent
 * to any origin it named. Now a redirect within the api_base's origin is followed and one to another
 * origin is not: nothing reaches it, and the caller gets a 5xx saying why. Real OpenAI SDK client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { FAKE_OPENAI_KEY, startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";

let env: GatewayTestEnv;
let openai: OpenAI;
/** Another origin (127.0.0.2): whatever reaches it has left the admin's api_base. */
const elsewhereHits: Array<{ path: string; authorization: string | null; apiKey: string | null; body: string }> = [];
const elsewhere = Bun.serve({
  hostname: "127.0.0.2",
  port: 0,
  fetch: async (req) => {
    elsewhereHits.push({
      path: new URL(req.url).pathname,
      authorization: req.headers.get("authorization"),
      apiKey: req.headers.get("x-api-key"),
      body: await req.text(),
    });
    return Response.json({ error: { message: "not here" } }, { status: 500 });
  },
});
/** The admin's provider: `/away/...` redirects to the other origin, `/hop/...` within its own, `/ok/...` answers. */
const providerHits: string[] = [];
const provider = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (req) => {
    const url = new URL(req.url);
    providerHits.push(`${req.method} ${url.pathname} ${req.headers.get("authorization") ?? ""}`);
    if (url.pathname.startsWith("/away/"))
      return new Response(null, { status: 307, headers: { location: `http://127.0.0.2:${elsewhere.port}${url.pathname}` } });
    if (url.pathname.startsWith("/hop/"))
      return new Response(null, { status: 307, headers: { location: url.pathname.replace("/hop/", "/ok/") } });
    const body = (await req.json()) as { model: string };
    return Response.json({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content: "answered at the admin's origin" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
    });
  },
});

beforeAll(async () => {
  const base = `http://127.0.0.1:${provider.port}`;
  env = await startGatewayTestEnv({
    yaml: () => `
model_list:
  - { model_name: away, litellm_params: { model: openai/gpt-4o-mini, api_base: ${base}/away/v1, api_key: os.environ/FAKE_OPENAI_KEY } }
  - { model_name: hop, litellm_params: { model: openai/gpt-4o-mini, api_base: ${base}/hop/v1, api_key: os.environ/FAKE_OPENAI_KEY } }
  - { model_name: away-anthropic, litellm_params: { model: anthropic/claude-haiku-4-5, api_base: ${base}/away, api_key: os.environ/FAKE_ANTHROPIC_KEY } }
router_settings:
  num_retries: 0
`,
  });
  openai = new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: env.masterKey, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await env?.close();
  elsewhere.stop(true);
  provider.stop(true);
});

describe("redirects from a deployment's api_base", () => {
  test("to another origin: not followed; the prompt and the provider key reach nothing there; the caller gets a 502 saying why", async () => {
    elsewhereHits.length = 0;
    const err = await openai.chat.completions
      .create({ model: "away", messages: [{ role: "user", content: "secret prompt" }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(String((err as Error).message)).toContain("redirected to another origin");
    expect(providerHits.some((h) => h.startsWith("POST /away/v1/chat/completions"))).toBe(true);
    expect(elsewhereHits).toEqual([]);
  });

  test("an Anthropic deployment's x-api-key (which fetch would carry across origins) reaches nothing there either", async () => {
    elsewhereHits.length = 0;
    const res = await fetch(`${env.baseUrl}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": env.masterKey, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "away-anthropic", max_tokens: 16, messages: [{ role: "user", content: "secret prompt" }] }),
    });
    expect(res.status).toBe(502);
    expect(elsewhereHits).toEqual([]);
    expect(providerHits.some((h) => h.startsWith("POST /away/v1/messages"))).toBe(true);
  });

  test("within the admin's origin: followed (the request re-sent with its key), the answer comes back", async () => {
    elsewhereHits.length = 0;
    const res = await openai.chat.completions.create({ model: "hop", messages: [{ role: "user", content: "hi" }] });
    expect(res.choices[0]!.message.content).toBe("answered at the admin's origin");
    expect(providerHits).toContain(`POST /ok/v1/chat/completions Bearer ${FAKE_OPENAI_KEY}`);
    expect(elsewhereHits).toEqual([]);
  });
});
