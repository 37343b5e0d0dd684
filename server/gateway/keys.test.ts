import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { waitFor } from "../../test/support/api-client";
import { startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";

/** Virtual keys: LiteLLM's admin API, and every limit enforced on real calls. */
let env: GatewayTestEnv;
beforeAll(async () => {
  env = await startGatewayTestEnv();
}, 60_000);
afterAll(() => env?.close());
beforeEach(() => {
  env.openai.script.reset();
  env.anthropic.script.reset();
});

const admin = (path: string, body?: unknown, key?: string) =>
  fetch(`${env.baseUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${key ?? env.masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const generate = async (body: Record<string, unknown>) => {
  const res = await admin("/key/generate", body);
  expect(res.status).toBe(200);
  return (await res.json()) as { key: string; token: string; token_id: string; expires: string | null; max_budget: number | null };
};
const client = (key: string) => new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: key, maxRetries: 0 });
const ask = (key: string, model = "gpt-fake", extra: Record<string, unknown> = {}) =>
  client(key).chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], ...extra } as never);

describe("key admin API", () => {
  test("generate, info, update, list and delete; the key is a LAP API key of kind gateway, refused on /api", async () => {
    const k = await generate({
      key_alias: "team-a",
      models: ["gpt-fake"],
      max_budget: 5,
      budget_duration: "30d",
      rpm_limit: 100,
      metadata: { team: "a" },
      user_id: "u1",
      team_id: "t1",
      duration: "1h",
    });
    expect(k.key.startsWith("sk-lap-")).toBe(true);
    expect(Date.parse(k.expires!)).toBeGreaterThan(Date.now() + 3_500_000);
    const info = await (await admin(`/key/info?key=${k.key}`)).json();
    expect(info.info).toMatchObject({
      key_alias: "team-a",
      models: ["gpt-fake"],
      max_budget: 5,
      rpm_limit: 100,
      user_id: "u1",
      team_id: "t1",
      spend: 0,
    });
    expect(info.info.budget_reset_at).toBeTruthy();
    const lapKeys = await env.t.json("GET", "/api/keys?kind=all");
    expect(lapKeys.body.data.find((r: { id: string }) => r.id === k.token_id)).toMatchObject({ role: "user", kind: "gateway" });
    // A virtual key is for the LLM gateway only (issue 15, item 2): the management API says so.
    const me = await env.t.json("GET", "/api/auth/me", { key: k.key });
    expect(me.status).toBe(403);
    expect(me.body.error.message).toContain("A gateway (virtual) key may not call GET /api/auth/me");

    const upd = await admin("/key/update", { key: k.token, max_budget: 7, models: ["gpt-fake", "claude-fake"] });
    expect((await upd.json()).max_budget).toBe(7);
    const list = await (await admin("/key/list?return_full_object=true&key_alias=team-a")).json();
    expect(list.keys[0].models).toEqual(["gpt-fake", "claude-fake"]);
    expect(list.total_count).toBe(1);

    expect((await admin("/key/delete", { keys: [k.key] })).status).toBe(200);
    const err = await ask(k.key).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test("bad bodies are 400s naming the field and create nothing; non-admin keys get 403", async () => {
    const before = (await (await admin("/key/list")).json()).total_count;
    const bad = await admin("/key/generate", { max_budget: -1 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe("max_budget");
    const badDuration = await admin("/key/generate", { duration: "forever" });
    expect((await badDuration.json()).error.param).toBe("duration");
    // A budget in words is not "no budget" (issue 24): refused, naming the field, as are fractional limits.
    const words = await admin("/key/generate", { key_alias: "ten-dollars", max_budget: "ten dollars" });
    expect(words.status).toBe(400);
    expect((await words.json()).error).toMatchObject({
      param: "max_budget",
      fields: [{ field: "max_budget", message: "must be a number" }],
    });
    expect((await (await admin("/key/generate", { rpm_limit: 1.5 })).json()).error.param).toBe("rpm_limit");
    expect((await (await admin("/key/list")).json()).total_count).toBe(before);
    const user = await generate({ key_alias: "plain-user" });
    expect((await admin("/key/generate", {}, user.key)).status).toBe(403);
    expect((await admin("/key/info", undefined, user.key)).status).toBe(200);
    expect((await admin("/spend/logs", undefined, user.key)).status).toBe(403);
  });

  test("generate is one transaction: a failure after the key row leaves no key behind (issue 15, item 10)", async () => {
    const count = async () => Number((await env.t.database.query<{ n: number }>("select count(*)::int as n from api_keys"))[0]!.n);
    const before = await count();
    // The second insert fails inside the database, after the api_keys row was written.
    await env.t.database.query(
      `create or replace function lap_test_fail() returns trigger as $$ begin raise exception 'injected failure'; end; $$ language plpgsql`,
    );
    await env.t.database.query("create trigger lap_test_fail before insert on gateway_keys for each row execute function lap_test_fail()");
    try {
      const res = await admin("/key/generate", { key_alias: "half-made" });
      expect(res.status).toBe(500);
      expect(await count()).toBe(before);
    } finally {
      await env.t.database.query("drop trigger lap_test_fail on gateway_keys");
    }
    expect((await admin("/key/generate", { key_alias: "whole" })).status).toBe(200);
    expect(await count()).toBe(before + 1);
  });

  test("a key minted for a session is of kind session; one without is of kind gateway", async () => {
    const session = await env.t.services.gateway.mintSessionKey({ sessionId: "ses-kind", agentId: "agt-kind", models: ["gpt-fake"] });
    const plain = await generate({ key_alias: "kind-check" });
    const rows = (await env.t.json("GET", "/api/keys?kind=all")).body.data as Array<{ id: string; kind: string }>;
    expect(rows.find((r) => r.id === session.info!.token_id)!.kind).toBe("session");
    expect(rows.find((r) => r.id === plain.token_id)!.kind).toBe("gateway");
    // The API keys list (the dashboard's API keys page) shows neither: they are the gateway's, on /key/list only.
    const management = (await env.t.json("GET", "/api/keys")).body.data as Array<{ id: string; kind: string }>;
    expect(management.some((r) => r.id === session.info!.token_id || r.id === plain.token_id)).toBe(false);
    expect(management.every((r) => r.kind === "admin" || r.kind === "user")).toBe(true);
    expect(((await env.t.json("GET", "/api/keys?kind=session")).body.data as Array<{ id: string }>).map((r) => r.id)).toContain(
      session.info!.token_id,
    );
    const gatewayList = (await (await admin("/key/list?return_full_object=true&size=500")).json()).keys as Array<{ token_id: string }>;
    expect(gatewayList.map((k) => k.token_id)).toEqual(expect.arrayContaining([session.info!.token_id, plain.token_id]));
    const bad = await env.t.json("GET", "/api/keys?kind=virtual");
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([{ field: "kind", message: "must be admin, user, gateway, session or all" }]);
    // Both still call models.
    env.openai.script.reply = "ok";
    expect((await ask(session.key)).choices[0]!.message.content).toBe("ok");
  });
});

describe("enforcement", () => {
  test("unknown key 401, disallowed model 403, both SDKs get typed errors", async () => {
    const unknown = await ask("sk-lap-not-a-real-key-000000000000").catch((e) => e);
    expect(unknown).toBeInstanceOf(OpenAI.AuthenticationError);
    const k = await generate({ models: ["gpt-fake"] });
    const denied = await ask(k.key, "claude-fake").catch((e) => e);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(denied.code).toBe("key_model_access_denied");
    const ant = new Anthropic({ baseURL: env.baseUrl, apiKey: k.key, maxRetries: 0 });
    const denied2 = await ant.messages
      .create({ model: "claude-fake", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(denied2).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const ok = await ant.messages.create({ model: "gpt-fake", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    expect(ok.type).toBe("message");
    expect(env.anthropic.script.requests).toHaveLength(0);
  });

  test("a key that has been calling is refused at once after /key/delete, its cached verification and limit state included", async () => {
    const k = await generate({ key_alias: "revoke-while-warm", max_budget: 10 });
    for (let i = 0; i < 3; i++) expect((await ask(k.key)).choices[0]!.message.content).toContain("Hello");
    expect((await admin("/key/delete", { keys: [k.key] })).status).toBe(200);
    const err = await ask(k.key).catch((e) => e);
    expect(err.status).toBe(401);
    // The three calls before it were logged with the key's hash; the refused one reached no provider and
    // is logged as refused, saying why (the log explains an agent whose key ended).
    const logged = async () => {
      await env.t.services.gateway.flush();
      return env.t.database.query<{ key_hash: string; http_status: number; deployment: string | null }>(
        "select key_hash, http_status, deployment from gateway_spend_logs where key_alias = 'revoke-while-warm' order by start_time",
      );
    };
    await waitFor("four spend rows", async () => (await logged()).length >= 4, 4_000);
    const rows = await logged();
    expect(rows.map((r) => [r.key_hash, r.http_status])).toEqual([
      [k.token, 200],
      [k.token, 200],
      [k.token, 200],
      [k.token, 401],
    ]);
    expect(rows[3]!.deployment).toBeNull();
  });

  test("an expired key is 401", async () => {
    const k = await generate({ duration: "1s" });
    expect((await ask(k.key)).choices[0]!.message.content).toContain("Hello");
    await Bun.sleep(1100);
    const err = await ask(k.key).catch((e) => e);
    expect(err.status).toBe(401);
  });

  test("rpm_limit: the extra call is a 429 with retry-after", async () => {
    const k = await generate({ rpm_limit: 2 });
    await ask(k.key);
    await ask(k.key);
    const res = await fetch(`${env.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-fake", messages: [{ role: "user", content: "x" }] }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await res.json()).error.type).toBe("rate_limit_error");
    expect(env.openai.script.requests).toHaveLength(2);
  });

  test("tpm_limit counts tokens used in the window", async () => {
    const k = await generate({ tpm_limit: 5 });
    await ask(k.key);
    const err = await ask(k.key).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toContain("tpm_limit");
  });

  test("max_parallel_requests holds under concurrency", async () => {
    const k = await generate({ max_parallel_requests: 2 });
    env.openai.script.delayMs = 500; // long enough that every call arrives while the first ones are in flight
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        ask(k.key).then(
          () => 200,
          (e) => e.status,
        ),
      ),
    );
    expect(results.filter((s) => s === 200)).toHaveLength(2);
    expect(results.filter((s) => s === 429)).toHaveLength(4);
    env.openai.script.delayMs = 0;
    expect((await ask(k.key)).choices).toHaveLength(1);
  });

  test("a budget crossed mid-stream: the stream finishes, its cost is counted, the next call is 429", async () => {
    // model `priced` costs 0.001/input token and 0.002/output token.
    const k = await generate({ max_budget: 0.01 });
    const stream = await client(k.key).chat.completions.create({
      model: "priced",
      messages: [{ role: "user", content: "tell me a long story please" }],
      stream: true,
    });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
    expect(text).toContain("long story");
    const info = await (await admin(`/key/info?key=${k.key}`)).json();
    expect(info.info.spend).toBeGreaterThan(0.01);
    const err = await ask(k.key, "priced").catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe("budget_exceeded");
  });

  test("a budget holds under concurrency: in-flight reservations stop a burst from overspending", async () => {
    const k = await generate({ max_budget: 0.02 });
    env.openai.script.delayMs = 100;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        ask(k.key, "priced", { max_tokens: 10 }).then(
          () => 200,
          (e) => e.status,
        ),
      ),
    );
    env.openai.script.delayMs = 0;
    const ok = results.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(20);
    expect(results.filter((s) => s === 429).length).toBe(20 - ok);
    const info = await (await admin(`/key/info?key=${k.key}`)).json();
    // At most one request's worth past the budget.
    expect(info.info.spend).toBeLessThan(0.02 + 0.05);
  });

  test("budgets reset on their duration", async () => {
    const k = await generate({ max_budget: 0.001, budget_duration: "1s" });
    await ask(k.key, "priced");
    expect((await ask(k.key, "priced").catch((e) => e)).status).toBe(429);
    await Bun.sleep(1100);
    expect((await ask(k.key, "priced")).choices).toHaveLength(1);
  });

  test("spend is persisted to the key row by the flush", async () => {
    const k = await generate({ key_alias: "persisted" });
    await ask(k.key, "priced");
    await env.t.services.gateway.flush();
    const [row] = await env.t.database.query<{ spend: number }>("select spend from gateway_keys where key_id = $1", [k.token_id]);
    expect(Number(row!.spend)).toBeGreaterThan(0);
  });
});

describe("session-scoped keys", () => {
  test("mintSessionKey binds a key to a session: its models, budget and expiry; spend rows carry the ids", async () => {
    const gw = env.t.services.gateway;
    const minted = await gw.mintSessionKey({
      sessionId: "sess-1",
      agentId: "agent-9",
      models: ["claude-fake"],
      maxBudget: 1,
      duration: "2h",
    });
    expect(minted.via).toBe("lap");
    expect(minted.info!.session_id).toBe("sess-1");
    const ant = new Anthropic({ baseURL: env.baseUrl, apiKey: minted.key, maxRetries: 0 });
    await ant.messages.create({ model: "claude-fake", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    expect((await ask(minted.key, "gpt-fake").catch((e) => e)).status).toBe(403);
    await gw.flush();
    const logs = await (await admin("/spend/logs?session_id=sess-1")).json();
    expect(logs.length).toBeGreaterThanOrEqual(1);
    expect(logs[0].agent_id).toBe("agent-9");
    expect(logs[0].key_alias).toBe("session-sess-1");
    expect(await gw.revokeSessionKeys("sess-1")).toBe(1);
    expect((await ask(minted.key, "claude-fake").catch((e) => e)).status).toBe(401);
  });
});

describe("limit state after a restart", () => {
  test("concurrent first calls of a key loaded from the database share one set of counters", async () => {
    const k = await generate({ max_parallel_requests: 1 });
    // Forget the in-memory state, as a fresh process would.
    (env.t.services.gateway.keys as unknown as { states: Map<string, unknown> }).states.delete(k.token_id);
    env.openai.script.delayMs = 500; // long enough that every call arrives while the first ones are in flight
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        ask(k.key).then(
          () => 200,
          (e) => e.status,
        ),
      ),
    );
    env.openai.script.delayMs = 0;
    expect(results.filter((s) => s === 200)).toHaveLength(1);
    expect(results.filter((s) => s === 429)).toHaveLength(3);
  });
});

describe("a caller that hangs up mid-stream", () => {
  test("releases its parallel slot and gets a spend row marked as disconnected", async () => {
    const k = await generate({ max_parallel_requests: 1, key_alias: "hangs-up" });
    env.openai.script.chunkDelayMs = 100;
    const controller = new AbortController();
    const res = await fetch(`${env.baseUrl}/v1/chat/completions`, {
      method: "POST",
      signal: controller.signal,
      headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-fake",
        stream: true,
        messages: [{ role: "user", content: "a slow and rather long answer please" }],
      }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => {});
    env.openai.script.chunkDelayMs = 0;
    // The slot comes back once LAP notices the disconnect.
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      await Bun.sleep(100);
      status = await ask(k.key).then(
        () => 200,
        (e) => e.status,
      );
    }
    expect(status).toBe(200);
    await env.t.services.gateway.flush();
    const logs = await (await admin("/spend/logs?key_alias=hangs-up")).json();
    const streamed = logs.find((r: { stream: boolean }) => r.stream);
    expect(streamed.error).toBe("client disconnected");
  });
});
