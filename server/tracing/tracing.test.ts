/**
 * OpenTelemetry traces (issue 18) against a local OTLP/HTTP receiver (test/support/otlp-receiver.ts):
 * a gateway call through the official `openai` client and an MCP call, each sent with a client's
 * W3C `traceparent`, arrive as one trace with the expected spans and parentage; no key, provider key or
 * prompt is in any span; with no endpoint set nothing is traced.
 */
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { TEST_MASTER_KEY } from "../../test/support/app";
import { FAKE_OPENAI_KEY, startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";
import { startEverythingHttp, type HttpUpstream } from "../../test/support/mcp";
import { newTraceparent, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../../test/support/otlp-receiver";
import { createTracing, parseOtlpHeaders, tracesUrl } from "./tracing";

const SECRET_PROMPT = "trace-me-not: the launch code is 0000";

describe("traces over OTLP/HTTP", () => {
  let receiver: OtlpReceiver;
  let env: GatewayTestEnv;
  let mcp: HttpUpstream;

  beforeAll(async () => {
    receiver = startOtlpReceiver();
    env = await startGatewayTestEnv({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=collector%20secret",
        OTEL_SERVICE_NAME: "lap-under-test",
      },
    });
    mcp = await startEverythingHttp();
    const res = await env.t.json("POST", "/api/mcp/servers", { body: { name: "ev", transport: "streamable-http", url: mcp.url } });
    expect(res.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await mcp?.stop();
    await env?.close();
    await receiver?.stop();
  });

  /** The trace's spans once `names` have all arrived (the exporter sends in batches). */
  async function traceOf(traceId: string, names: string[]): Promise<ReceivedSpan[]> {
    const until = Date.now() + 20_000;
    for (;;) {
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      if (names.every((n) => spans.some((s) => s.name === n))) return spans;
      if (Date.now() > until)
        throw new Error(`trace ${traceId} has ${JSON.stringify(spans.map((s) => s.name))}, wanted ${JSON.stringify(names)}`);
      await Bun.sleep(100);
    }
  }
  const one = (spans: ReceivedSpan[], name: string) => {
    const found = spans.filter((s) => s.name === name);
    expect({ name, count: found.length }).toEqual({ name, count: 1 });
    return found[0]!;
  };

  test("a gateway call is one trace: the client's span → the API request → the gateway call → each upstream attempt", async () => {
    const client = newTraceparent();
    // The first attempt on `pair` fails (503) and is retried on its other deployment.
    env.openai2.script.failures.push({ status: 503 });
    env.openai.script.failures.push({ status: 503 });
    const openai = new OpenAI({
      apiKey: TEST_MASTER_KEY,
      baseURL: `${env.baseUrl}/v1`,
      maxRetries: 0,
      defaultHeaders: { traceparent: client.traceparent },
    });
    const out = await openai.chat.completions.create({ model: "pair", messages: [{ role: "user", content: SECRET_PROMPT }] });
    expect(out.choices[0]!.message.content).toBeTruthy();

    const spans = await traceOf(client.traceId, ["POST /v1/chat/completions", "lap.gateway.call", "lap.gateway.upstream"]);
    const request = one(spans, "POST /v1/chat/completions");
    expect(request.parentSpanId).toBe(client.spanId);
    expect(request.kind).toBe(2); // SERVER
    expect(request.attributes).toMatchObject({ "http.route": "/v1/chat/completions", "http.response.status_code": 200 });
    expect(request.service).toBe("lap-under-test");
    const call = one(spans, "lap.gateway.call");
    expect(call.parentSpanId).toBe(request.spanId);
    expect(call.attributes).toMatchObject({ "gen_ai.request.model": "pair", "lap.gateway.model_group": "pair" });
    const attempts = spans.filter((s) => s.name === "lap.gateway.upstream");
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    for (const a of attempts) {
      expect(a.parentSpanId).toBe(call.spanId);
      expect(a.kind).toBe(3); // CLIENT
    }
    expect(attempts.some((a) => a.attributes["error.type"] === "503")).toBe(true);
    expect(attempts.some((a) => a.attributes["http.response.status_code"] === 200)).toBe(true);
    // The collector got the configured headers.
    expect(receiver.lastHeaders["x-collector-key"]).toBe("collector secret");
    expect(receiver.rejected).toEqual([]);
  }, 30_000);

  test("an MCP tool call is a span under the MCP request in the caller's trace", async () => {
    const client = newTraceparent();
    const mcpClient = new Client({ name: "trace-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
      requestInit: { headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, traceparent: client.traceparent } },
      fetch: async (url, init) => env.t.app.handle(new Request(url, init)),
    });
    await mcpClient.connect(transport);
    const res = await mcpClient.callTool({ name: "ev__echo", arguments: { message: SECRET_PROMPT } });
    expect(JSON.stringify(res.content)).toContain("launch code");
    await mcpClient.close();

    const spans = await traceOf(client.traceId, ["lap.mcp.call"]);
    const call = one(spans, "lap.mcp.call");
    expect(call.attributes).toMatchObject({ "mcp.server": "ev", "mcp.tool": "echo", "lap.mcp.outcome": "ok" });
    const parent = spans.find((s) => s.spanId === call.parentSpanId);
    expect(parent?.name).toBe("POST /mcp");
    expect(parent?.parentSpanId).toBe(client.spanId);
  }, 30_000);

  test("no span carries a key, the provider's key, the collector's header or a prompt; paths are route templates", async () => {
    await traceOf(receiver.spans[0]!.traceId, []);
    const all = JSON.stringify(receiver.spans);
    for (const secret of [TEST_MASTER_KEY, FAKE_OPENAI_KEY, "collector secret", SECRET_PROMPT, "launch code"])
      expect(all).not.toContain(secret);
    for (const s of receiver.spans.filter((x) => x.kind === 2))
      expect(s.attributes["url.full"] ?? s.attributes["url.path"]).toBeUndefined();
  });
});

describe("tracing settings", () => {
  test("no endpoint: tracing is off and the tracer records nothing", () => {
    const off = createTracing({});
    expect(off.enabled).toBe(false);
    const span = off.tracer.startSpan("x");
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  test("the traces URL follows the OTLP conventions; headers are key=value pairs, URL-decoded", () => {
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })).toBe("http://collector:4318/v1/traces");
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t:4318/custom" })).toBe(
      "http://t:4318/custom",
    );
    expect(tracesUrl({})).toBeUndefined();
    expect(parseOtlpHeaders("api-key=a%3Db, x = y ,broken")).toEqual({ "api-key": "a=b", x: "y" });
  });
});
