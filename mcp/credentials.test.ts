import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../test/support/app";
import { lapClient, startEverythingHttp, startRecordingProxy, type HttpUpstream, type RecordingProxy } from "../test/support/mcp";

/**
 * Upstream credentials and variables: LAP holds them and injects them upstream (bearer, API key,
 * basic, static headers with ${VAR}), per-user values and personal keys, the SSE transport, and the
 * agent hand-off (harness gets LAP URLs and its session key, never upstream credentials).
 */
let t: TestApp;
let upstream: HttpUpstream;
let sse: HttpUpstream;
let proxy: RecordingProxy;
const ids: Record<string, string> = {};
const keys: Record<string, string> = {};
const clients: Array<{ close(): Promise<void> }> = [];

async function register(body: Record<string, unknown>) {
  const res = await t.json("POST", "/api/mcp/servers", { body });
  expect(res.status).toBe(201);
  ids[body.name as string] = res.body.id;
  return res.body.id as string;
}

async function echo(path: string, key = TEST_MASTER_KEY) {
  const c = await lapClient(t.app, path, key);
  clients.push(c.client);
  return c.client.callTool({ name: "echo", arguments: { message: "x" } });
}

const lastSeen = (prefix: string) => [...proxy.seen].reverse().find((s) => s.path.startsWith(prefix))!;

beforeAll(async () => {
  t = await createTestApp();
  upstream = await startEverythingHttp();
  sse = await startEverythingHttp(0, "sse");
  proxy = startRecordingProxy(upstream.url);
  await register({
    name: "bearer",
    transport: "streamable-http",
    url: `${proxy.url}/bearer`,
    auth: { type: "bearer", token: "tok-server" },
  });
  await register({
    name: "apikey",
    transport: "streamable-http",
    url: `${proxy.url}/apikey`,
    auth: { type: "api_key", header: "x-vendor-key", key: "key-server" },
  });
  await register({
    name: "basic",
    transport: "streamable-http",
    url: `${proxy.url}/basic`,
    auth: { type: "basic", username: "svc", password: "pw" },
  });
  await register({
    name: "vars",
    transport: "streamable-http",
    url: `${proxy.url}/vars/\${TENANT}`,
    headers: { "X-Org": "${ORG}", "X-Fixed": "fixed-value" },
    variables: [
      { name: "TENANT", scope: "instance", value: "acme" },
      { name: "ORG", scope: "user" },
    ],
  });
  await register({ name: "legacy", transport: "sse", url: sse.url });
  keys.alice = (
    await t.json("POST", "/api/keys", { body: { label: "alice", role: "user", metadata: { user_id: "alice", session_id: "ses-9" } } })
  ).body.token;
  for (const name of ["bearer", "vars"])
    await t.json("POST", "/api/mcp/grants", { body: { server_id: ids[name], subject_type: "user", subject_id: "alice" } });
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.close();
  proxy?.stop();
  await upstream?.stop();
  await sse?.stop();
});

describe("credentials injected upstream", () => {
  test("bearer, API key header and basic auth arrive upstream; callers never send them", async () => {
    expect((await echo("/mcp/bearer")).content).toEqual([{ type: "text", text: "Echo: x" }]);
    expect(lastSeen("/bearer").headers.authorization).toBe("Bearer tok-server");
    await echo("/mcp/apikey");
    expect(lastSeen("/apikey").headers["x-vendor-key"]).toBe("key-server");
    expect(lastSeen("/apikey").headers.authorization).toBeUndefined();
    await echo("/mcp/basic");
    expect(lastSeen("/basic").headers.authorization).toBe(`Basic ${Buffer.from("svc:pw").toString("base64")}`);
    // LAP's own key never travels upstream.
    expect(JSON.stringify(proxy.seen)).not.toContain(TEST_MASTER_KEY);
  });

  test("a user variable without a value is a clear error; with one it is substituted", async () => {
    const c = await lapClient(t.app, "/mcp/vars", keys.alice!);
    clients.push(c.client);
    await expect(c.client.listTools()).rejects.toThrow(/ORG has no value/);
    const put = await t.json("PUT", `/api/mcp/servers/${ids.vars}/credentials`, {
      key: keys.alice,
      body: { variables: { ORG: "alice-org" } },
    });
    expect(put.status).toBe(200);
    await echo("/mcp/vars", keys.alice);
    const seen = lastSeen("/vars/");
    expect(seen.path).toBe("/vars/acme");
    expect(seen.headers["x-org"]).toBe("alice-org");
    expect(seen.headers["x-fixed"]).toBe("fixed-value");
  });

  test("a personal key replaces the server's credential for that user only", async () => {
    const put = await t.json("PUT", `/api/mcp/servers/${ids.bearer}/credentials`, { key: keys.alice, body: { credential: "tok-alice" } });
    expect(put.status).toBe(200);
    expect(JSON.stringify(put.body)).not.toContain("tok-alice");
    await echo("/mcp/bearer", keys.alice);
    expect(lastSeen("/bearer").headers.authorization).toBe("Bearer tok-alice");
    await echo("/mcp/bearer");
    expect(lastSeen("/bearer").headers.authorization).toBe("Bearer tok-server");
    const [raw] = await t.database.query<{ sealed: string }>(
      "select sealed from mcp_user_credentials where user_id = 'alice' and server_id = $1",
      [ids.bearer],
    );
    expect(raw!.sealed).not.toContain("tok-alice");
    expect((await t.json("DELETE", `/api/mcp/servers/${ids.bearer}/credentials`, { key: keys.alice })).body.ok).toBe(true);
    await echo("/mcp/bearer", keys.alice);
    expect(lastSeen("/bearer").headers.authorization).toBe("Bearer tok-server");
  });

  test("credentials for a server the user may not use are refused; bad bodies are 400", async () => {
    expect((await t.json("PUT", `/api/mcp/servers/${ids.apikey}/credentials`, { key: keys.alice, body: { credential: "x" } })).status).toBe(
      404,
    );
    const bad = await t.json("PUT", `/api/mcp/servers/${ids.bearer}/credentials`, {
      key: keys.alice,
      body: { variables: { "not a name": "x" } },
    });
    expect(bad.status).toBe(400);
    expect((await t.json("PUT", `/api/mcp/servers/${ids.bearer}/credentials`, { key: keys.alice, body: {} })).status).toBe(400);
  });
});

describe("transports", () => {
  test("the legacy SSE transport works behind the same proxy", async () => {
    expect((await echo("/mcp/legacy")).content).toEqual([{ type: "text", text: "Echo: x" }]);
  });
});

describe("agents", () => {
  test("calls made with a key carrying a session are attributed to the session", async () => {
    // How a sandboxed harness reaches these servers is tested end to end in agent-mcp.test.ts.
    const available = await t.json("GET", "/api/mcp/available", { key: keys.alice });
    expect(available.body.data.map((s: { name: string }) => s.name).sort()).toEqual(["bearer", "vars"]);
    // Calls made with the session key are attributed to the session.
    await echo("/mcp/bearer", keys.alice);
    const calls = (await t.json("GET", "/api/mcp/calls?session_id=ses-9")).body.data;
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0]).toMatchObject({ session_id: "ses-9", user_id: "alice", server_name: "bearer" });
  });
});
