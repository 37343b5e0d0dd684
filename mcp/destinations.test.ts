/**
 * Where LAP's MCP gateway connects is the admin's choice, not a user's or an upstream's
 * (docs/security.md, "User-supplied URLs and hosts"; docs/mcp.md): a per-user variable is
 * percent-encoded into the path and can never move the URL (with the instance's bearer token and
 * the admin's static header) to another origin, even on a server stored before that was refused;
 * and OAuth metadata an MCP server advertises cannot steer LAP to a private address.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../test/support/app";
import { lapClient, startEverythingHttp, startRecordingProxy, type HttpUpstream, type RecordingProxy } from "../test/support/mcp";

let t: TestApp;
let upstream: HttpUpstream;
let proxy: RecordingProxy;
// Where an attacker would like LAP's credentials to go (any other origin).
let evil: ReturnType<typeof Bun.serve>;
// An internal service on loopback (LAP itself, a database admin page) an upstream would like LAP to fetch.
let internal: ReturnType<typeof Bun.serve>;
// An admin-registered OAuth MCP server whose metadata points its authorization server at `internal`.
let vendor: ReturnType<typeof Bun.serve>;
const evilHits: Array<Record<string, string>> = [];
const internalHits: string[] = [];
let alice: string;
const clients: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  t = await createTestApp();
  upstream = await startEverythingHttp();
  proxy = startRecordingProxy(upstream.url);
  evil = Bun.serve({
    hostname: "127.0.0.2",
    port: 0,
    fetch: (req) => (evilHits.push(Object.fromEntries(req.headers)), new Response("{}", { status: 500 })),
  });
  internal = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => (internalHits.push(new URL(req.url).pathname), Response.json({ issuer: "x" })),
  });
  vendor = Bun.serve({
    hostname: "127.0.0.2",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname.startsWith("/.well-known/oauth-protected-resource")) {
        return Response.json({
          resource: `http://127.0.0.2:${vendor.port}/mcp`,
          authorization_servers: [`http://127.0.0.1:${internal.port}`],
        });
      }
      return new Response("unauthorized", {
        status: 401,
        headers: {
          "www-authenticate": `Bearer resource_metadata="http://127.0.0.1:${internal.port}/.well-known/oauth-protected-resource"`,
        },
      });
    },
  });
  alice = (await t.json("POST", "/api/keys", { body: { label: "alice", role: "user", metadata: { user_id: "alice" } } })).body.token;
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.close();
  proxy?.stop();
  await upstream?.stop();
  for (const s of [evil, internal, vendor]) s?.stop(true);
});

async function register(body: Record<string, unknown>) {
  const res = await t.json("POST", "/api/mcp/servers", { body });
  expect(res.status).toBe(201);
  await t.json("POST", "/api/mcp/grants", { body: { server_id: res.body.id, subject_type: "user", subject_id: "alice" } });
  return res.body.id as string;
}

async function aliceClient(server: string) {
  const c = await lapClient(t.app, `/mcp/${server}`, alice);
  clients.push(c.client);
  return c.client;
}

describe("per-user variables", () => {
  test("a user's value is percent-encoded into the path: it cannot add a host, port or userinfo", async () => {
    const id = await register({
      name: "tenant",
      transport: "streamable-http",
      url: `${proxy.url}/t/\${ORG}/mcp`,
      auth: { type: "bearer", token: "instance-token" },
      headers: { "X-Admin": "admin-static" },
      variables: [{ name: "ORG", scope: "user" }],
    });
    const hostile = `@127.0.0.2:${evil.port}/steal?x=#`;
    expect((await t.json("PUT", `/api/mcp/servers/${id}/credentials`, { key: alice, body: { variables: { ORG: hostile } } })).status).toBe(
      200,
    );
    await (await aliceClient("tenant")).listTools().catch(() => {});
    const seen = proxy.seen.filter((s) => s.path.startsWith("/t/"));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.path).toBe(`/t/${encodeURIComponent(hostile)}/mcp`);
    expect(seen[0]!.headers.authorization).toBe("Bearer instance-token");
    expect(evilHits).toEqual([]);
  });

  test("a server stored with a per-user variable in its host is refused at call time; nothing is sent anywhere", async () => {
    const id = await register({
      name: "legacy-tenant",
      transport: "streamable-http",
      url: `${proxy.url}/legacy/mcp`,
      auth: { type: "bearer", token: "instance-token" },
      headers: { "X-Admin": "admin-static" },
      variables: [{ name: "ORG", scope: "user" }],
    });
    // As a row from before registration refused it.
    await t.database.query(`update mcp_servers set config = jsonb_set(config, '{url}', to_jsonb($2::text)) where id = $1`, [
      id,
      "http://${ORG}/mcp",
    ]);
    await Bun.sleep(2_100); // the gateway caches server rows for 2 s
    expect(
      (await t.json("PUT", `/api/mcp/servers/${id}/credentials`, { key: alice, body: { variables: { ORG: `127.0.0.2:${evil.port}` } } }))
        .status,
    ).toBe(200);
    const before = proxy.seen.length;
    await expect((await aliceClient("legacy-tenant")).listTools()).rejects.toThrow(/per-user variable ORG in its scheme, host or port/);
    expect(evilHits).toEqual([]);
    expect(proxy.seen.length).toBe(before);
  });
});

describe("OAuth discovery", () => {
  test("metadata pointing the authorization server at a loopback address is not fetched", async () => {
    const id = await register({
      name: "vendor",
      transport: "streamable-http",
      url: `http://127.0.0.2:${vendor.port}/mcp`,
      auth: { type: "oauth", scopes: ["mcp:tools"] },
    });
    internalHits.length = 0;
    const res = await t.json("POST", `/api/mcp/servers/${id}/oauth/start`, { key: alice });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe("oauth_failed");
    expect(internalHits).toEqual([]);
  });
});
