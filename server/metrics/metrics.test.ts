/**
 * GET /metrics (issue 18): who may scrape, and that the values move as LAP works. Scrape, act (a
 * scripted session on the fake runtime, an MCP tool call through LAP's gateway to server-everything,
 * gateway calls through the official `openai` client to the fake provider), scrape again.
 * Label cardinality: two sessions, and calls with two session keys, add no per-session series.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { TEST_MASTER_KEY } from "../../test/support/app";
import { startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";
import { lapClient, startEverythingHttp, type HttpUpstream } from "../../test/support/mcp";
import { parseScrape, valueOf, type Sample } from "../../test/support/prometheus";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";

const SCRAPE_TOKEN = "scrape-token-0123456789abcdef";

describe("GET /metrics with sessions and MCP", () => {
  let h: SessionHarness;
  let http: HttpUpstream;

  beforeAll(async () => {
    h = await sessionHarness({ env: { LAP_METRICS_TOKEN: SCRAPE_TOKEN } });
    http = await startEverythingHttp();
    const res = await h.t.json("POST", "/api/mcp/servers", { body: { name: "ev", transport: "streamable-http", url: http.url } });
    expect(res.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await http?.stop();
    await h?.close();
  });

  const scrape = async (key: string | null = TEST_MASTER_KEY): Promise<{ status: number; text: string; type: string | null }> => {
    const res = await h.t.request("GET", "/metrics", { key });
    return { status: res.status, text: await res.text(), type: res.headers.get("content-type") };
  };
  const samples = async (): Promise<Sample[]> => {
    const r = await scrape();
    expect(r.status).toBe(200);
    return parseScrape(r.text);
  };

  test("an admin key or the scrape token gets Prometheus text, not the dashboard's HTML", async () => {
    for (const key of [TEST_MASTER_KEY, SCRAPE_TOKEN]) {
      const r = await scrape(key);
      expect(r.status).toBe(200);
      expect(r.type).toStartWith("text/plain; version=0.0.4");
      expect(r.text).not.toContain("<html");
      expect(r.text).toContain("# TYPE lap_http_requests_total counter");
      expect(() => parseScrape(r.text)).not.toThrow();
    }
    const admin = (await h.t.json("POST", "/api/keys", { body: { label: "ops", role: "admin" } })).body.token;
    expect((await scrape(admin)).status).toBe(200);
  });

  test("no key, a wrong token, a user key or a gateway key may not scrape; the scrape token opens nothing else", async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape(`${SCRAPE_TOKEN}x`)).status).toBe(401);
    const user = (await h.t.json("POST", "/api/keys", { body: { label: "someone", role: "user" } })).body.token;
    const denied = await h.t.json("GET", "/metrics", { key: user });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toContain("LAP_METRICS_TOKEN");
    const gw = (await h.t.json("POST", "/key/generate", { body: { key_alias: "scraper?" } })).body.key;
    expect((await scrape(gw)).status).toBe(403);
    for (const [method, path] of [
      ["GET", "/api/agents"],
      ["GET", "/api/settings/system"],
      ["GET", "/v1/models"],
      ["GET", "/api/keys"],
    ] as const) {
      expect((await h.t.request(method, path, { key: SCRAPE_TOKEN })).status).toBe(401);
    }
  });

  test("a scripted session moves sessions, turns, first-event, event-append and HTTP metrics; a second session adds no series", async () => {
    const before = await samples();
    const completed = async () => valueOf(await samples(), "lap_turns_finished_total", { outcome: "completed" });
    const base = await completed();
    // A session is idle once provisioned, before its first turn ran: wait for the turn to be counted.
    const a = await h.createSession({ prompt: "hello" });
    await h.waitFor("the first turn counted", async () => (await completed()) >= base + 1);
    await h.waitForStatus(a.id, "idle");
    const mid = await samples();
    const b = await h.createSession({ prompt: "again" });
    await h.waitFor("the second turn counted", async () => (await completed()) >= base + 2);
    await h.waitForStatus(b.id, "idle");
    const after = await samples();

    expect(valueOf(after, "lap_turns_started_total") - valueOf(before, "lap_turns_started_total")).toBe(2);
    expect(
      valueOf(after, "lap_turns_finished_total", { outcome: "completed" }) -
        valueOf(before, "lap_turns_finished_total", { outcome: "completed" }),
    ).toBe(2);
    expect(
      valueOf(after, "lap_turn_duration_seconds_count", { outcome: "completed" }) -
        valueOf(before, "lap_turn_duration_seconds_count", { outcome: "completed" }),
    ).toBe(2);
    expect(valueOf(after, "lap_turn_first_event_seconds_count") - valueOf(before, "lap_turn_first_event_seconds_count")).toBe(2);
    expect(valueOf(after, "lap_event_append_duration_seconds_count")).toBeGreaterThan(
      valueOf(before, "lap_event_append_duration_seconds_count"),
    );
    expect(valueOf(after, "lap_event_bus_lag_seconds_count", { path: "local" })).toBeGreaterThan(
      valueOf(before, "lap_event_bus_lag_seconds_count", { path: "local" }),
    );
    expect(valueOf(after, "lap_sessions", { status: "idle" }) - valueOf(before, "lap_sessions", { status: "idle" })).toBe(2);
    const created = { method: "POST", route: "/api/sessions", status: "201" };
    expect(valueOf(after, "lap_http_requests_total", created) - valueOf(before, "lap_http_requests_total", created)).toBe(2);
    // Route templates, never paths: the session ids appear nowhere in the scrape.
    expect(valueOf(after, "lap_http_requests_total", { route: "/api/sessions/:id" })).toBeGreaterThan(0);
    const text = (await scrape()).text;
    for (const id of [a.id, b.id]) expect(text).not.toContain(id);
    // Cardinality: the second session, doing what the first did, added no series. Aside: the runtime's own
    // gauges, and HTTP series (counted after each response is sent, so the last poll may land after a
    // scrape; their labels are route templates, and no id is in the scrape, checked above).
    const series = (s: Sample[]) =>
      new Set(s.filter((x) => !/^lap_(process|nodejs|http)_/.test(x.name)).map((x) => `${x.name}${JSON.stringify(x.labels)}`));
    expect([...series(after)].filter((x) => !series(mid).has(x))).toEqual([]);
  }, 30_000);

  test("an unknown path is counted under the route that answered it (`/*`), never as its path", async () => {
    const res = await h.t.request("GET", "/api/no-such-thing-abc123");
    expect(res.status).toBe(404);
    // Requests are counted after their response is sent.
    await h.waitFor(
      "the 404 counted",
      async () => valueOf(await samples(), "lap_http_requests_total", { method: "GET", route: "/*", status: "404" }) >= 1,
    );
    expect((await scrape()).text).not.toContain("no-such-thing-abc123");
  });

  test("an MCP tool call moves the MCP counters and latency by server, tool and outcome", async () => {
    const before = await samples();
    const { client } = await lapClient(h.t.app, "/mcp", TEST_MASTER_KEY);
    const res = await client.callTool({ name: "ev__echo", arguments: { message: "metrics" } });
    expect(JSON.stringify(res.content)).toContain("metrics");
    await client.close();
    const after = await samples();
    const ok = { server: "ev", tool: "echo", outcome: "ok" };
    expect(valueOf(after, "lap_mcp_tool_calls_total", ok) - valueOf(before, "lap_mcp_tool_calls_total", ok)).toBe(1);
    expect(
      valueOf(after, "lap_mcp_tool_call_duration_seconds_count", { server: "ev", tool: "echo" }) -
        valueOf(before, "lap_mcp_tool_call_duration_seconds_count", { server: "ev", tool: "echo" }),
    ).toBe(1);
  }, 30_000);
});

describe("GET /metrics with the gateway", () => {
  let env: GatewayTestEnv;
  beforeAll(async () => {
    env = await startGatewayTestEnv();
  }, 60_000);
  afterAll(() => env?.close());

  const samples = async () => {
    const res = await fetch(`${env.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
    expect(res.status).toBe(200);
    return parseScrape(await res.text());
  };

  test("calls through the openai client move requests, tokens, latency, retries, failures; two session keys are one key_alias", async () => {
    const before = await samples();
    const sessionA = await env.t.services.gateway.mintSessionKey({ sessionId: "ses_metrics_a", models: ["gpt-fake", "pair"] });
    const sessionB = await env.t.services.gateway.mintSessionKey({ sessionId: "ses_metrics_b", models: ["gpt-fake", "pair"] });
    for (const key of [sessionA.key, sessionB.key]) {
      const client = new OpenAI({ apiKey: key, baseURL: `${env.baseUrl}/v1`, maxRetries: 0 });
      const out = await client.chat.completions.create({ model: "gpt-fake", messages: [{ role: "user", content: "count me" }] });
      expect(out.choices[0]!.message.content).toBeTruthy();
    }
    // One upstream failure on `pair`, retried on its other deployment.
    env.openai2.script.failures.push({ status: 503 });
    env.openai.script.failures.push({ status: 503 });
    const admin = new OpenAI({ apiKey: TEST_MASTER_KEY, baseURL: `${env.baseUrl}/v1`, maxRetries: 0 });
    await admin.chat.completions.create({ model: "pair", messages: [{ role: "user", content: "retry me" }] });
    // A model nobody serves: refused before any provider, labelled `unknown`, never with the caller's name.
    const refused = await admin.chat.completions.create({ model: "no-such-model-xyz", messages: [{ role: "user", content: "x" }] }).then(
      () => null,
      (e: { status?: number }) => e,
    );
    expect(refused?.status).toBe(400);
    await env.t.services.gateway.flush();
    const after = await samples();

    const session = { model_group: "gpt-fake", key_alias: "session", status: "success" };
    expect(valueOf(after, "lap_gateway_requests_total", session) - valueOf(before, "lap_gateway_requests_total", session)).toBe(2);
    expect(valueOf(after, "lap_gateway_tokens_total", { model_group: "gpt-fake", type: "prompt" })).toBeGreaterThan(
      valueOf(before, "lap_gateway_tokens_total", { model_group: "gpt-fake", type: "prompt" }),
    );
    expect(valueOf(after, "lap_gateway_tokens_total", { model_group: "gpt-fake", type: "completion" })).toBeGreaterThan(0);
    expect(
      valueOf(after, "lap_gateway_request_duration_seconds_count", { model_group: "gpt-fake" }) -
        valueOf(before, "lap_gateway_request_duration_seconds_count", { model_group: "gpt-fake" }),
    ).toBe(2);
    expect(
      valueOf(after, "lap_gateway_retries_total", { model_group: "pair" }) -
        valueOf(before, "lap_gateway_retries_total", { model_group: "pair" }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, "lap_gateway_upstream_failures_total", { model_group: "pair", status: "503" })).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(after, "lap_gateway_rejections_total", { reason: "model_not_found" }) -
        valueOf(before, "lap_gateway_rejections_total", { reason: "model_not_found" }),
    ).toBe(1);
    expect(valueOf(after, "lap_gateway_requests_total", { model_group: "unknown", status: "rejected" })).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, "lap_gateway_spend_queue_depth")).toBe(0);
    const keyAliases = new Set(after.filter((s) => s.name === "lap_gateway_requests_total").map((s) => s.labels.key_alias));
    expect([...keyAliases].some((a) => a?.includes("ses_metrics"))).toBe(false);
    const text = after.map((s) => JSON.stringify(s.labels)).join("\n");
    expect(text).not.toContain("no-such-model-xyz");
    expect(text).not.toContain(sessionA.key);
  }, 30_000);
});
