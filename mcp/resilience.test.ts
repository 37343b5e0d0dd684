import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import {
  ErrorCode,
  LoggingMessageNotificationSchema,
  McpError,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../test/support/app";
import { waitFor } from "../test/support/api-client";
import { settlesWithin } from "../test/support/gate";
import { everythingStdio, lapClient, startEverythingHttp, type HttpUpstream } from "../test/support/mcp";
import { McpSessions } from "./proxy/sessions";

/**
 * Pass-through and failure behaviour with real servers: progress, cancellation reaching the upstream,
 * notifications, timeouts, an upstream killed and restarted, malformed JSON-RPC, session ids.
 */
let t: TestApp;
let http: HttpUpstream;
const ids: Record<string, string> = {};
const clients: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  t = await createTestApp();
  http = await startEverythingHttp();
  const servers = [
    { name: "ev", ...everythingStdio() },
    { name: "slow", ...everythingStdio(), timeout_ms: 400 },
    { name: "web", transport: "streamable-http", url: http.url },
  ];
  for (const body of servers) ids[body.name] = (await t.json("POST", "/api/mcp/servers", { body })).body.id;
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.close();
  await http?.stop();
});

async function connect(path: string) {
  const c = await lapClient(t.app, path, TEST_MASTER_KEY);
  clients.push(c.client);
  return c;
}

const upstreamClient = async (name: string) => {
  const [conn] = t.services.mcp.gateway.pool.ofServer(ids[name]!);
  return conn!.connected();
};

describe("pass-through", () => {
  test("progress notifications reach the caller with its own progress token", async () => {
    const { client } = await connect("/mcp/ev");
    const progress: Array<{ progress: number; total?: number }> = [];
    const res = await client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 0.3, steps: 3 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(JSON.stringify(res.content)).toContain("completed");
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
    expect(progress.every((p) => p.total === 3)).toBe(true);
  });

  test("cancelling a call sends notifications/cancelled upstream and logs it", async () => {
    const { client } = await connect("/mcp/ev");
    await client.listTools();
    const upstream = await upstreamClient("ev");
    const sent: JSONRPCMessage[] = [];
    const transport = upstream.transport!;
    const send = transport.send.bind(transport);
    transport.send = (m, o) => {
      sent.push(m);
      return send(m, o);
    };
    const abort = new AbortController();
    // A 60 s operation, stopped once the upstream has it: the call must end at the abort, not the operation's end.
    const call = client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 60, steps: 5 } }, undefined, {
      signal: abort.signal,
    });
    await waitFor("the upstream got the call", () => sent.some((m) => "method" in m && m.method === "tools/call"), 15_000);
    abort.abort("user pressed stop");
    const err = await settlesWithin(
      call.then(
        () => undefined,
        (e: unknown) => e,
      ),
      "a cancelled call",
    );
    expect(err).toBeInstanceOf(Error);
    await waitFor(
      "notifications/cancelled upstream",
      () => sent.some((m) => "method" in m && m.method === "notifications/cancelled"),
      15_000,
    );
    transport.send = send;
    const calls = (await t.json("GET", "/api/mcp/calls?server=ev&status=cancelled")).body.data;
    expect(calls.some((c: { tool: string }) => c.tool === "trigger-long-running-operation")).toBe(true);
  }, 30_000);

  test("upstream log messages and list_changed reach connected clients", async () => {
    const { client } = await connect("/mcp");
    const logs: unknown[] = [];
    let listChanged = 0;
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
    await client.listTools();
    await client.callTool({ name: "ev__toggle-simulated-logging", arguments: {} });
    // Changing the registry tells open sessions their tool list changed.
    await t.json("PATCH", `/api/mcp/servers/${ids.ev}`, { body: { description: "changed" } });
    await waitFor("a log message and list_changed", () => logs.length > 0 && listChanged > 0, 15_000);
    expect(logs.length).toBeGreaterThan(0);
    expect(String((logs[0] as { logger?: string }).logger)).toStartWith("ev");
    expect(listChanged).toBeGreaterThan(0);
    await client.callTool({ name: "ev__toggle-simulated-logging", arguments: {} });
  }, 30_000);
});

describe("upstream notifications", () => {
  test("a tools/list_changed sent by the upstream reaches connected clients", async () => {
    const { client } = await connect("/mcp/ev");
    let listChanged = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
    // A brand-new upstream connection: server-everything registers more tools once initialized and
    // announces them with notifications/tools/list_changed.
    // (close() itself sends nothing downstream, so only the upstream's notification can count.)
    await client.listTools();
    await t.services.mcp.gateway.pool.ofServer(ids.ev!)[0]!.close();
    await Bun.sleep(100);
    listChanged = 0;
    await client.listTools();
    await waitFor("list_changed from the new upstream connection", () => listChanged > 0, 15_000);
    expect(listChanged).toBeGreaterThan(0);
  }, 30_000);
});

describe("failures", () => {
  test("a call longer than the server's timeout fails with a timeout error and is logged", async () => {
    const { client } = await connect("/mcp/slow");
    // The server's timeout is 400 ms and the operation 60 s: only the timeout ends the call inside the guard.
    const call = client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 60, steps: 1 } });
    const err = await settlesWithin(call, "a call past the server's timeout").catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ErrorCode.RequestTimeout);
    const calls = (await t.json("GET", "/api/mcp/calls?server=slow&status=timeout")).body.data;
    expect(calls.length).toBe(1);
  }, 30_000);

  test("an HTTP upstream killed gives a clear error and recovers when it comes back", async () => {
    const { client } = await connect("/mcp/web");
    expect((await client.callTool({ name: "echo", arguments: { message: "before" } })).content).toEqual([
      { type: "text", text: "Echo: before" },
    ]);
    await http.stop();
    const err = await client.callTool({ name: "echo", arguments: { message: "down" } }).catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).message).toMatch(/web is unavailable/);
    const health = (await t.json("GET", `/api/mcp/servers/${ids.web}/health`)).body;
    expect(health.recent_errors.length).toBeGreaterThan(0);
    http = await startEverythingHttp(http.port);
    // Same downstream session; LAP opens a new upstream session behind it.
    const after = await client.callTool({ name: "echo", arguments: { message: "after" } });
    expect(after.content).toEqual([{ type: "text", text: "Echo: after" }]);
    const unavailable = (await t.json("GET", "/api/mcp/calls?server=web&status=unavailable")).body.data;
    expect(unavailable.length).toBeGreaterThan(0);
  });

  test("a stdio upstream that dies is restarted on the next call", async () => {
    const { client } = await connect("/mcp/ev");
    await client.callTool({ name: "echo", arguments: { message: "one" } });
    const transport = (await upstreamClient("ev")).transport as StdioClientTransport;
    const pid = transport.pid!;
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 40 && t.services.mcp.gateway.pool.ofServer(ids.ev!)[0]!.state === "connected"; i++) await Bun.sleep(25);
    const res = await client.callTool({ name: "echo", arguments: { message: "two" } });
    expect(res.content).toEqual([{ type: "text", text: "Echo: two" }]);
    const newPid = ((await upstreamClient("ev")).transport as StdioClientTransport).pid;
    expect(newPid).not.toBe(pid);
  });

  test("toggling a tool keeps the upstream connection; changing how to connect replaces it", async () => {
    const { client } = await connect("/mcp/ev");
    await client.callTool({ name: "echo", arguments: { message: "a" } });
    const pid = ((await upstreamClient("ev")).transport as StdioClientTransport).pid;
    await t.json("PATCH", `/api/mcp/servers/${ids.ev}`, { body: { disabled_tools: ["get-sum"] } });
    expect((await client.listTools()).tools.map((x) => x.name)).not.toContain("get-sum");
    expect(((await upstreamClient("ev")).transport as StdioClientTransport).pid).toBe(pid);
    await t.json("PATCH", `/api/mcp/servers/${ids.ev}`, { body: { env: { FOO: "bar" } } });
    await client.callTool({ name: "echo", arguments: { message: "b" } });
    expect(((await upstreamClient("ev")).transport as StdioClientTransport).pid).not.toBe(pid);
  });
});

describe("the wire", () => {
  const headers = { accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18" };
  const init = {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
  };

  test("the mcp-session-id is issued, required, checked and ended by DELETE", async () => {
    const opened = await t.request("POST", "/mcp/ev", { headers, body: init });
    expect(opened.status).toBe(200);
    const sid = opened.headers.get("mcp-session-id")!;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    await opened.text();
    const list = { jsonrpc: "2.0", id: 1, method: "tools/list" };
    expect((await t.request("POST", "/mcp/ev", { headers, body: list })).status).toBe(400);
    expect(
      (
        await t.request("POST", "/mcp/ev", {
          headers: { ...headers, "mcp-session-id": "00000000-0000-0000-0000-000000000000" },
          body: list,
        })
      ).status,
    ).toBe(404);
    // The session was opened on /mcp/ev: it does not answer on /mcp.
    expect((await t.request("POST", "/mcp", { headers: { ...headers, "mcp-session-id": sid }, body: list })).status).toBe(404);
    await t.request("POST", "/mcp/ev", {
      headers: { ...headers, "mcp-session-id": sid },
      body: { jsonrpc: "2.0", method: "notifications/initialized" },
    });
    const ok = await t.request("POST", "/mcp/ev", { headers: { ...headers, "mcp-session-id": sid }, body: list });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('"echo"');
    expect((await t.request("DELETE", "/mcp/ev", { headers: { ...headers, "mcp-session-id": sid } })).status).toBe(200);
    expect((await t.request("POST", "/mcp/ev", { headers: { ...headers, "mcp-session-id": sid }, body: list })).status).toBe(404);
  });

  test("plain requests are answered as JSON; a call with a progress token streams SSE with its progress", async () => {
    const opened = await t.request("POST", "/mcp/ev", { headers, body: init });
    const sid = opened.headers.get("mcp-session-id")!;
    await opened.text();
    const h = { ...headers, "mcp-session-id": sid };
    await t.request("POST", "/mcp/ev", { headers: h, body: { jsonrpc: "2.0", method: "notifications/initialized" } });
    const list = await t.request("POST", "/mcp/ev", { headers: h, body: { jsonrpc: "2.0", id: 1, method: "tools/list" } });
    expect(list.headers.get("content-type")).toContain("application/json");
    expect((await list.json()).result.tools.length).toBeGreaterThan(0);
    const call = await t.request("POST", "/mcp/ev", {
      headers: h,
      body: {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "trigger-long-running-operation", arguments: { duration: 0.2, steps: 2 }, _meta: { progressToken: "p-1" } },
      },
    });
    expect(call.headers.get("content-type")).toContain("text/event-stream");
    const events = await call.text();
    expect(events.match(/notifications\/progress/g)?.length).toBe(2);
    expect(events).toContain('"progressToken":"p-1"');
    expect(events).toContain("completed");
    await t.request("DELETE", "/mcp/ev", { headers: h });
  });

  test("malformed JSON and malformed JSON-RPC are JSON-RPC errors", async () => {
    const notJson = await t.request("POST", "/mcp/ev", { headers: { ...headers, "content-type": "application/json" }, body: "{nope" });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.code).toBe(-32700);
    const notInit = await t.request("POST", "/mcp", { headers, body: { jsonrpc: "2.0", id: 1, method: "tools/list" } });
    expect(notInit.status).toBe(400);
    expect((await notInit.json()).error.code).toBe(-32000);

    const opened = await t.request("POST", "/mcp/ev", { headers, body: init });
    const sid = opened.headers.get("mcp-session-id")!;
    await opened.text();
    const withSession = { ...headers, "mcp-session-id": sid };
    const bad = await t.request("POST", "/mcp/ev", { headers: withSession, body: { hello: "world" } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe(-32700);
    await t.request("POST", "/mcp/ev", { headers: withSession, body: { jsonrpc: "2.0", method: "notifications/initialized" } });
    const unknown = await t.request("POST", "/mcp/ev", { headers: withSession, body: { jsonrpc: "2.0", id: 5, method: "tools/explode" } });
    expect(await unknown.text()).toContain("-32601");
    await t.request("DELETE", "/mcp/ev", { headers: withSession });
  });

  test("idle sessions are closed and their id stops working", async () => {
    const sessions = new McpSessions({ gateway: t.services.mcp.gateway, idleMs: 150 });
    sessions.start();
    const master = { via: "master_key" as const, role: "admin" as const, kind: "admin" as const, label: "master key" };
    const req = (body: unknown, sid?: string) =>
      new Request("http://localhost/mcp/ev", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", ...(sid ? { "mcp-session-id": sid } : {}) },
        body: JSON.stringify(body),
      });
    const opened = await sessions.handle(req(init), master, "ev");
    const sid = opened.headers.get("mcp-session-id")!;
    await opened.text();
    expect(sessions.size).toBe(1);
    for (let i = 0; i < 40 && sessions.size > 0; i++) await Bun.sleep(50);
    expect(sessions.size).toBe(0);
    expect((await sessions.handle(req({ jsonrpc: "2.0", id: 1, method: "tools/list" }, sid), master, "ev")).status).toBe(404);
    await sessions.closeAll();
  });

  test("no key is a 401 before anything else", async () => {
    const res = await t.request("POST", "/mcp/ev", { key: null, headers, body: init });
    expect(res.status).toBe(401);
  });
});
