import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../server/app";
import { loadConfig } from "../server/config/load";
import { createLogger } from "../server/lib/logger";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../test/support/app";
import { everythingStdio } from "../test/support/mcp";

/**
 * Two LAP replicas on one database behind a "load balancer" that moves a client from one to the
 * other mid-session: the second replica has never seen the `mcp-session-id` and re-creates it, so the
 * SDK Client carries on without re-initializing.
 */
let a: TestApp;
let b: ReturnType<typeof createApp>;

beforeAll(async () => {
  a = await createTestApp();
  const rawEnv = { LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-replica-")), MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: "silent" };
  b = createApp({
    config: loadConfig(rawEnv),
    database: a.database,
    logger: createLogger("silent"),
    rawEnv,
    uiDist: join(rawEnv.LAP_DATA_DIR, "no-ui"),
  });
  expect((await a.json("POST", "/api/mcp/servers", { body: { name: "ev", ...everythingStdio() } })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await b?.services.mcp.close();
  await a?.close();
});

test("a session opened on one replica carries on when the next request lands on the other", async () => {
  const replicas = [a.app, b.app];
  let current = 0;
  const client = new Client({ name: "lb-client", version: "1.0.0" }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
    requestInit: { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } },
    fetch: async (url, init) => replicas[current]!.handle(new Request(url, init)),
  });
  await client.connect(transport);
  const sessionId = transport.sessionId!;
  expect((await client.callTool({ name: "ev__echo", arguments: { message: "on a" } })).content).toEqual([
    { type: "text", text: "Echo: on a" },
  ]);
  expect(a.services.mcp.sessions.size).toBe(1);
  expect(b.services.mcp.sessions.size).toBe(0);

  current = 1;
  expect((await client.callTool({ name: "ev__echo", arguments: { message: "on b" } })).content).toEqual([
    { type: "text", text: "Echo: on b" },
  ]);
  expect((await client.listTools()).tools.map((t) => t.name)).toContain("ev__echo");
  expect(transport.sessionId).toBe(sessionId);
  expect(b.services.mcp.sessions.size).toBe(1);
  await client.close();
}, 30_000);

test("a malformed or ended session id is still 404 (the client must initialize again)", async () => {
  const post = (app: { handle(r: Request): Response | Promise<Response> }, id: string) =>
    app.handle(
      new Request("http://localhost/mcp", {
        method: "POST",
        headers: {
          authorization: `Bearer ${TEST_MASTER_KEY}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-session-id": id,
          "mcp-protocol-version": "2025-06-18",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      }),
    );
  const before = b.services.mcp.sessions.size;
  expect((await post(b.app, "not-a-session-id")).status).toBe(404);
  expect(b.services.mcp.sessions.size).toBe(before);

  const client = new Client({ name: "ending-client", version: "1.0.0" }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
    requestInit: { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } },
    fetch: async (url, init) => b.app.handle(new Request(url, init)),
  });
  await client.connect(transport);
  const id = transport.sessionId!;
  await transport.terminateSession();
  expect((await post(b.app, id)).status).toBe(404);
  expect(b.services.mcp.sessions.size).toBe(before);
  await client.close();
}, 30_000);
