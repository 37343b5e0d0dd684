/**
 * The LAP bridge on its own (the escape suite drives it from inside a real sandbox): what passes,
 * what never reaches LAP, headers it drops, and that streams flow through as they are produced.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { createTracing } from "../../tracing/tracing";
import { clearSandboxTrace, sandboxTraceHeaders, setSandboxTrace } from "../../tracing/sandbox-trace";
import { bridgeAllows, listenLapBridge } from "./lap-bridge";
import { gate, type Gate } from "../../../test/support/gate";

let secondEvent: Gate | undefined;
const seen: Array<{ method: string; path: string; headers: Record<string, string>; body: string }> = [];
const lap = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(req) {
    const url = new URL(req.url);
    seen.push({ method: req.method, path: url.pathname + url.search, headers: Object.fromEntries(req.headers), body: await req.text() });
    if (url.pathname === "/mcp" && req.method === "GET") {
      // An SSE stream whose second event comes only once the test has seen the first.
      const held = secondEvent;
      const stream = new ReadableStream({
        async start(c) {
          c.enqueue(new TextEncoder().encode("data: first\n\n"));
          await held?.opened;
          c.enqueue(new TextEncoder().encode("data: second\n\n"));
          c.close();
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    }
    return Response.json({ ok: true, path: url.pathname }, { headers: { "x-from-lap": "1" } });
  },
});
const socket = join(mkdtempSync(join(tmpdir(), "lap-bridge-")), "lap.sock");
const bridge = listenLapBridge(socket, () => ({ host: "127.0.0.1", port: lap.port! }));
afterAll(async () => {
  await bridge.close();
  lap.stop(true);
});
const via = (path: string, init: RequestInit = {}) => fetch(`http://sandbox${path}`, { ...init, unix: socket } as RequestInit);

describe("LAP bridge", () => {
  test("the route table: model routes and /mcp only", () => {
    for (const [m, p] of [
      ["POST", "/v1/chat/completions"],
      ["POST", "/v1/messages"],
      ["POST", "/v1/messages/count_tokens"],
      ["POST", "/v1/responses"],
      ["POST", "/v1/embeddings"],
      ["GET", "/v1/models"],
      ["POST", "/mcp"],
      ["GET", "/mcp/github"],
      ["DELETE", "/mcp/my-server-2"],
    ] as const) {
      expect({ m, p, ok: bridgeAllows(m, p) }).toEqual({ m, p, ok: true });
    }
    for (const [m, p] of [
      ["GET", "/api/agents"],
      ["POST", "/api/approvals/a/decision"],
      ["GET", "/v1/chat/completions"],
      ["PUT", "/mcp"],
      ["POST", "/mcp/"],
      ["POST", "/mcp/a/b"],
      ["POST", "/mcp/A_B"],
      ["POST", "/key/generate"],
      ["GET", "/spend/logs"],
      ["GET", "/"],
      ["POST", "/v1/models"],
      ["GET", "/mcp/x%2Fy"],
    ] as const) {
      expect({ m, p, ok: bridgeAllows(m, p) }).toEqual({ m, p, ok: false });
    }
  });

  test("a refused request is a 403 naming the rule, and LAP never sees it", async () => {
    const before = seen.length;
    const res = await via("/api/agents", { headers: { authorization: "Bearer sk-session-x" } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("only the model routes and /mcp");
    expect((await via("/api/sessions", { method: "POST", body: "{}" })).status).toBe(403);
    expect(seen.length).toBe(before);
  });

  test("allowed requests arrive with their body, query and key; hop-by-hop, forwarding and cookie headers do not", async () => {
    const res = await via("/v1/chat/completions?beta=true", {
      method: "POST",
      body: JSON.stringify({ model: "m", messages: [] }),
      headers: {
        authorization: "Bearer sk-session-x",
        "content-type": "application/json",
        host: "evil.example",
        "x-forwarded-for": "10.0.0.1",
        forwarded: "for=10.0.0.1",
        "x-real-ip": "10.0.0.1",
        cookie: "lap_session=stolen",
        origin: "http://evil.example",
        "proxy-authorization": "Basic eA==",
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-from-lap")).toBe("1");
    const got = seen.at(-1)!;
    expect(got).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions?beta=true",
      body: JSON.stringify({ model: "m", messages: [] }),
    });
    expect(got.headers.authorization).toBe("Bearer sk-session-x");
    expect(got.headers.host).toBe(`127.0.0.1:${lap.port}`);
    for (const h of ["x-forwarded-for", "forwarded", "x-real-ip", "cookie", "origin", "proxy-authorization"])
      expect({ h, v: got.headers[h] }).toEqual({ h, v: undefined });
  });

  test("an SSE stream is passed on event by event, not when it ends", async () => {
    // The stream ends only after the test got its first event: a bridge that waited for the whole body
    // would deliver nothing until the guard (15 s) opened the gate.
    const second = gate();
    secondEvent = second;
    const res = await via("/mcp", { headers: { accept: "text/event-stream" } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    second.open();
    secondEvent = undefined;
    expect(second.forcedOpen).toBe(false);
    expect(first).toContain("data: first");
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toContain("data: second");
  }, 30_000);

  test("LAP down: a 502 from the bridge, not a hang", async () => {
    const dead = join(mkdtempSync(join(tmpdir(), "lap-bridge-")), "lap.sock");
    const b = listenLapBridge(dead, () => ({ host: "127.0.0.1", port: 1 }));
    const res = await fetch("http://sandbox/v1/models", { unix: dead } as RequestInit);
    expect(res.status).toBe(502);
    await b.close();
  });
});

describe("LAP bridge and traces", () => {
  test("a sandbox's own traceparent is dropped; the bridge sends its turn's (server/tracing/sandbox-trace.ts)", async () => {
    // Installs the W3C propagator, as a LAP with OTEL_EXPORTER_OTLP_ENDPOINT does.
    createTracing({}, { exporter: new InMemorySpanExporter() });
    const traced = join(mkdtempSync(join(tmpdir(), "lap-bridge-")), "lap.sock");
    const tracedBridge = listenLapBridge(traced, () => ({ host: "127.0.0.1", port: lap.port! }), undefined, "sbx_traced");
    try {
      const forged = { traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01`, tracestate: "evil=1" };
      const call = () => fetch("http://sandbox/v1/models", { headers: forged, unix: traced } as RequestInit);
      expect((await call()).status).toBe(200);
      expect(seen.at(-1)!.headers.traceparent).toBeUndefined();
      expect(seen.at(-1)!.headers.tracestate).toBeUndefined();

      const turn = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 };
      setSandboxTrace("sbx_traced", trace.setSpanContext(ROOT_CONTEXT, turn));
      expect((await call()).status).toBe(200);
      expect(seen.at(-1)!.headers.traceparent).toBe(`00-${turn.traceId}-${turn.spanId}-01`);
      expect(seen.at(-1)!.headers.tracestate).toBeUndefined();
      // Another sandbox's bridge does not get this turn's context.
      expect(sandboxTraceHeaders("sbx_other")).toEqual({});
      clearSandboxTrace("sbx_traced");
      expect((await call()).status).toBe(200);
      expect(seen.at(-1)!.headers.traceparent).toBeUndefined();
    } finally {
      await tracedBridge.close();
    }
  });
});
