import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";
import { SpendWriter } from "./spend/writer";
import { waitFor } from "../../test/support/api-client";

/** Spend rows, their reports, the bounded queue, and the external-LiteLLM key mode. */
let env: GatewayTestEnv;
let openai: OpenAI;
beforeAll(async () => {
  env = await startGatewayTestEnv();
  openai = new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: env.masterKey, maxRetries: 0 });
}, 60_000);
afterAll(() => env?.close());

const row = (id: string) => ({
  requestId: id,
  route: "/v1/chat/completions",
  status: "success",
  startTime: new Date(),
  endTime: new Date(),
});

describe("spend log", () => {
  test("one row per request with key, model, deployment, tokens, cost, latency and time to first token", async () => {
    const { body: k } = await env.t.json("POST", "/key/generate", { body: { key_alias: "spender" } });
    const client = new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: k.key, maxRetries: 0 });
    const { response } = await client.chat.completions
      .create({ model: "priced", messages: [{ role: "user", content: "count me" }] })
      .withResponse();
    const cost = Number(response.headers.get("x-litellm-response-cost"));
    expect(cost).toBeGreaterThan(0);
    env.openai.script.chunkDelayMs = 5;
    const stream = await client.chat.completions.create({
      model: "gpt-fake",
      messages: [{ role: "user", content: "stream" }],
      stream: true,
      user: "end-user-7",
    });
    for await (const _ of stream) void _;
    env.openai.script.chunkDelayMs = 0;
    await env.t.services.gateway.flush();

    const logs = await env.t.json("GET", `/spend/logs?api_key=${k.key}`);
    expect(logs.body).toHaveLength(2);
    const [streamed, plain] = logs.body;
    expect(plain).toMatchObject({
      key_alias: "spender",
      key_hash: k.token,
      model_group: "priced",
      provider: "openai",
      status: "success",
      stream: false,
    });
    expect(plain.spend).toBeCloseTo(cost, 10);
    expect(plain.prompt_tokens).toBeGreaterThan(0);
    expect(plain.total_tokens).toBe(plain.prompt_tokens + plain.completion_tokens);
    expect(plain.latency_ms).toBeGreaterThan(0);
    expect(streamed).toMatchObject({ model_group: "gpt-fake", stream: true, end_user: "end-user-7", status: "success", error: null });
    expect(streamed.ttft_ms).toBeGreaterThan(0);
    expect(streamed.ttft_ms).toBeLessThanOrEqual(streamed.latency_ms);
    expect(streamed.completion_tokens).toBeGreaterThan(0);
    expect(streamed.spend).toBeGreaterThan(0);

    const byModel = await env.t.json("GET", "/spend/logs?model=priced");
    expect(byModel.body.every((r: { model_group: string }) => r.model_group === "priced")).toBe(true);
    const future = await env.t.json("GET", `/spend/logs?start_date=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future.body).toHaveLength(0);
    const report = await env.t.json("GET", "/spend/report");
    const mine = report.body.data.filter((r: { key_alias: string }) => r.key_alias === "spender");
    expect(mine.map((r: { model_group: string }) => r.model_group).sort()).toEqual(["gpt-fake", "priced"]);
    expect(mine[0].day).toBe(new Date().toISOString().slice(0, 10));
    const bad = await env.t.json("GET", "/spend/logs?start_date=yesterday-ish");
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("start_date");
  });

  test("a call made with a dashboard session records no key hash, and the session's principal in key_id and key_alias", async () => {
    const { body: admin } = await env.t.json("POST", "/api/keys", { body: { label: "dash admin", role: "admin" } });
    const login = async (key: string) => {
      const res = await env.t.request("POST", "/api/auth/login", { key: null, body: { key } });
      expect(res.status).toBe(200);
      return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
    };
    const call = async (cookie: string, content: string) => {
      // As the dashboard's page sends it: same Origin (cookie calls without one are refused as CSRF).
      const res = await env.t.json("POST", "/v1/chat/completions", {
        key: null,
        headers: { cookie, origin: "http://localhost" },
        body: { model: "gpt-fake", messages: [{ role: "user", content }] },
      });
      expect(res.status).toBe(200);
      return res.headers.get("x-request-id");
    };
    const viaKeySession = await call(await login(admin.token), "from the dashboard");
    const viaMasterSession = await call(await login(env.masterKey), "from the master's dashboard");
    await env.t.services.gateway.flush();

    const [byKey] = (await env.t.json("GET", `/spend/logs?request_id=${viaKeySession}`)).body;
    expect(byKey).toMatchObject({ key_hash: null, key_id: admin.key.id, key_alias: `session:${admin.key.id}`, status: "success" });
    const [byMaster] = (await env.t.json("GET", `/spend/logs?request_id=${viaMasterSession}`)).body;
    expect(byMaster).toMatchObject({ key_hash: null, key_id: null, key_alias: "session:master", status: "success" });

    // The filters find the session's calls by its principal, and never by a hash of nothing.
    const byId = await env.t.json("GET", `/spend/logs?key_id=${admin.key.id}`);
    expect(byId.body.map((r: { request_id: string }) => r.request_id)).toEqual([viaKeySession]);
    const byAlias = await env.t.json("GET", "/spend/logs?key_alias=session:master");
    expect(byAlias.body.map((r: { request_id: string }) => r.request_id)).toEqual([viaMasterSession]);
    const emptyHash = new Bun.CryptoHasher("sha256").update("").digest("hex");
    expect((await env.t.json("GET", `/spend/logs?api_key=${emptyHash}`)).body).toHaveLength(0);
    expect((await env.t.json("GET", `/spend/logs?api_key=${admin.token}`)).body).toHaveLength(0);
  });

  test("a failed call is logged with its status and error", async () => {
    env.openai.script.failures.push({ status: 400, message: "bad things" });
    const err = await openai.chat.completions.create({ model: "gpt-fake", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(err.status).toBe(400);
    await env.t.services.gateway.flush();
    const logs = await env.t.json("GET", "/spend/logs?status=failure&model=gpt-fake");
    expect(logs.body[0]).toMatchObject({ status: "failure", http_status: 400 });
    expect(logs.body[0].error).toContain("bad things");
  });

  test("with the spend table unavailable, calls still succeed; rows wait and are written once it is back", async () => {
    const db = env.t.database;
    await db.query("alter table gateway_spend_logs rename to gateway_spend_logs_away");
    try {
      for (let i = 0; i < 3; i++) {
        const r = await openai.chat.completions.create({ model: "gpt-fake", messages: [{ role: "user", content: `offline ${i}` }] });
        expect(r.choices[0]!.message.content).toBe(`Hello! You said: offline ${i}`);
      }
      await env.t.services.gateway.flush();
      expect(env.t.services.gateway.spend.pending).toBeGreaterThanOrEqual(3);
      expect(env.t.services.gateway.spend.stats.failedFlushes).toBeGreaterThan(0);
    } finally {
      await db.query("alter table gateway_spend_logs_away rename to gateway_spend_logs");
    }
    await env.t.services.gateway.flush();
    expect(env.t.services.gateway.spend.pending).toBe(0);
    const logs = await env.t.json("GET", "/spend/logs?limit=50");
    expect(
      logs.body.filter((r: { end_user: string | null; model_group: string }) => r.model_group === "gpt-fake").length,
    ).toBeGreaterThanOrEqual(3);
  });

  test("the queue is bounded: overflow is dropped and counted, never blocking", async () => {
    const writer = new SpendWriter({ database: env.t.database, maxQueue: 3 });
    for (let i = 0; i < 5; i++) writer.push(row(`bounded-${i}`));
    expect(writer.pending).toBe(3);
    expect(writer.stats.dropped).toBe(2);
    expect(await writer.flush()).toBe(3);
    const rows = await env.t.database.query("select request_id from gateway_spend_logs where request_id like 'bounded-%'");
    expect(rows).toHaveLength(3);
  });
});

describe("stored prompts", () => {
  test("off by default; with LAP_GATEWAY_STORE_PROMPTS=true the request and response (streamed too) are kept", async () => {
    await openai.chat.completions.create({ model: "gpt-fake", messages: [{ role: "user", content: "not stored" }] });
    await env.t.services.gateway.flush();
    const plain = await env.t.json("GET", "/spend/logs?limit=1");
    expect(plain.body[0].request_body).toBeNull();
    expect(JSON.stringify(plain.body[0])).not.toContain("not stored");

    const other = await startGatewayTestEnv({ env: { LAP_GATEWAY_STORE_PROMPTS: "true" } });
    try {
      const c = new OpenAI({ baseURL: `${other.baseUrl}/v1`, apiKey: other.masterKey, maxRetries: 0 });
      await c.chat.completions.create({ model: "claude-fake", messages: [{ role: "user", content: "keep me" }] });
      const s = await c.chat.completions.create({
        model: "gpt-fake",
        messages: [{ role: "user", content: "keep the stream" }],
        stream: true,
      });
      for await (const _ of s) void _;
      await other.t.services.gateway.flush();
      const list = (await other.t.json("GET", "/spend/logs")).body;
      expect(list.every((r: { request_body: unknown }) => r.request_body === null)).toBe(true);
      const one = async (model: string) =>
        (
          await other.t.json(
            "GET",
            `/spend/logs?request_id=${list.find((r: { model_group: string }) => r.model_group === model).request_id}`,
          )
        ).body;
      const logs = [...(await one("claude-fake")), ...(await one("gpt-fake"))];
      const nonStream = logs.find((r: { model_group: string }) => r.model_group === "claude-fake");
      expect(nonStream.request_body.messages[0].content).toBe("keep me");
      expect(nonStream.response_body.choices[0].message.content).toBe("Hello! You said: keep me");
      const streamed = logs.find((r: { model_group: string }) => r.model_group === "gpt-fake");
      expect(streamed.response_body.text).toContain(`"content":"keep "`);
      expect(streamed.request_body.messages[0].content).toBe("keep the stream");
      expect(streamed.response_body.text).toContain("data: [DONE]");
    } finally {
      await other.close();
    }
  }, 60_000);
});

describe("LLM provider settings", () => {
  test("litellm mode without LITELLM_BASE_URL/LITELLM_MASTER_KEY answers 503 litellm_missing_config", async () => {
    const other = await startGatewayTestEnv({ env: { LLM_PROVIDER: "litellm" } });
    try {
      const res = await other.t.json("GET", "/api/gateway/settings");
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe("litellm_missing_config");
      expect(res.body.error.message).toContain("LITELLM_BASE_URL");
      const err = await other.t.services.gateway.mintSessionKey({ sessionId: "s" }).catch((e) => e);
      expect(err.code).toBe("litellm_missing_config");
    } finally {
      await other.close();
    }
  }, 60_000);

  test("litellm mode mints per-agent keys through a LiteLLM-compatible /key/generate (here: another LAP)", async () => {
    const other = await startGatewayTestEnv({
      env: {
        LLM_PROVIDER: "litellm",
        LITELLM_BASE_URL: env.baseUrl,
        LITELLM_MASTER_KEY: env.masterKey,
        LITELLM_MODELS: "gpt-fake",
        LITELLM_MAX_BUDGET: "2",
        LITELLM_KEY_ALIAS: "agents",
        LITELLM_KEY_DURATION: "1h",
      },
    });
    try {
      const settings = await other.t.json("GET", "/api/gateway/settings");
      expect(settings.body).toMatchObject({ mode: "litellm", base_url: env.baseUrl, master_key_set: true, models: ["gpt-fake"] });
      expect(JSON.stringify(settings.body)).not.toContain(env.masterKey);
      const minted = await other.t.services.gateway.mintSessionKey({ sessionId: "remote-1" });
      expect(minted.via).toBe("litellm");
      const info = await env.t.json("GET", `/key/info?key=${minted.key}`);
      expect(info.body.info).toMatchObject({ key_alias: "agents-remote-1", models: ["gpt-fake"], max_budget: 2 });
      const client = new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: minted.key, maxRetries: 0 });
      expect(
        (await client.chat.completions.create({ model: "gpt-fake", messages: [{ role: "user", content: "r" }] })).choices,
      ).toHaveLength(1);
    } finally {
      await other.close();
    }
  }, 60_000);
});

describe("the log tells the truth (issue 24)", () => {
  const logOf = async (requestId: string | null) => {
    await env.t.services.gateway.flush();
    return (await env.t.json("GET", `/spend/logs?request_id=${requestId}`)).body[0];
  };
  /** For a row written after the response ended (a stream the client left, a refusal): waits for it. */
  const loggedRow = async (requestId: string | null) => {
    let row: Awaited<ReturnType<typeof logOf>>;
    await waitFor(`the spend row of ${requestId}`, async () => (row = await logOf(requestId)), 4_000);
    return row;
  };
  const call = (key: string, body: Record<string, unknown>) =>
    fetch(`${env.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  test("a streamed reply the client read to its final event, then hung up on, is a success with its tokens", async () => {
    const controller = new AbortController();
    const res = await fetch(`${env.baseUrl}/v1/chat/completions`, {
      method: "POST",
      signal: controller.signal,
      headers: { authorization: `Bearer ${env.masterKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-fake",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "read me to the end" }],
      }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    // As SDKs do: stop at `data: [DONE]` and close the connection without reading on.
    while (!text.includes("data: [DONE]")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    await reader.cancel().catch(() => {});
    const row = await loggedRow(res.headers.get("x-request-id"));
    expect(row).toMatchObject({ status: "success", error: null, http_status: 200, priced: true });
    expect(row.completion_tokens).toBeGreaterThan(0);
  });

  test("calls refused before any provider is asked are logged with why: unknown model, a model the key may not use, a budget spent", async () => {
    const { body: k } = await env.t.json("POST", "/key/generate", { body: { key_alias: "refused-calls", models: ["gpt-fake"] } });
    const unknown = await call(k.key, { model: "no-such-model", messages: [{ role: "user", content: "x" }] });
    expect(unknown.status).toBe(403);
    expect(await logOf(unknown.headers.get("x-request-id"))).toMatchObject({
      status: "failure",
      http_status: 403,
      key_alias: "refused-calls",
      model_group: "no-such-model",
    });

    const missing = await call(env.masterKey, { model: "no-such-model", messages: [{ role: "user", content: "x" }] });
    expect(missing.status).toBe(400);
    const row = await logOf(missing.headers.get("x-request-id"));
    expect(row).toMatchObject({ status: "failure", http_status: 400, key_alias: "master key", model_group: "no-such-model", priced: null });
    expect(row.error).toContain("Invalid model name passed in model=no-such-model");

    const { body: broke } = await env.t.json("POST", "/key/generate", { body: { key_alias: "spent", max_budget: 0 } });
    const over = await call(broke.key, { model: "gpt-fake", messages: [{ role: "user", content: "x" }] });
    expect(over.status).toBe(429);
    const overRow = await logOf(over.headers.get("x-request-id"));
    expect(overRow).toMatchObject({ status: "failure", http_status: 429, key_alias: "spent", model_group: "gpt-fake" });
    expect(overRow.error).toContain("Budget has been exceeded");
  });

  test("a revoked key's call is logged as 401 with the key and why; an unknown token leaves no row", async () => {
    const { body: k } = await env.t.json("POST", "/key/generate", { body: { key_alias: "revoked-later" } });
    expect((await env.t.json("POST", "/key/delete", { body: { keys: [k.token_id] } })).status).toBe(200);
    const refused = await call(k.key, { model: "gpt-fake", messages: [{ role: "user", content: "x" }] });
    expect(refused.status).toBe(401);
    const row = await loggedRow(refused.headers.get("x-request-id"));
    expect(row).toMatchObject({
      status: "failure",
      http_status: 401,
      key_id: k.token_id,
      key_alias: "revoked-later",
      route: "/v1/chat/completions",
    });
    expect(row.error).toContain("The key revoked-later was revoked at");

    const anonymous = await call("sk-lap-not-a-real-key-0000000000", { model: "gpt-fake", messages: [{ role: "user", content: "x" }] });
    expect(anonymous.status).toBe(401);
    await Bun.sleep(200);
    expect(await logOf(anonymous.headers.get("x-request-id"))).toBeUndefined();
  });

  test("a model without a price is logged as unpriced (spend 0 is not a price), a priced one as priced", async () => {
    const unpriced = await call(env.masterKey, {
      model: "openai/mystery-model-9",
      messages: [{ role: "user", content: "what do I cost?" }],
    });
    expect(unpriced.status).toBe(200);
    expect(await logOf(unpriced.headers.get("x-request-id"))).toMatchObject({ status: "success", spend: 0, priced: false });
    const priced = await call(env.masterKey, { model: "priced", messages: [{ role: "user", content: "and I?" }] });
    const row = await logOf(priced.headers.get("x-request-id"));
    expect(row.priced).toBe(true);
    expect(row.spend).toBeGreaterThan(0);
  });
});
