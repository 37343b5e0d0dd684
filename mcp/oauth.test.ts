import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../test/support/app";
import { everythingStdio, lapClient, startEverythingHttp, type HttpUpstream } from "../test/support/mcp";
import { startFakeOAuthServer, type FakeOAuthServer } from "../test/support/oauth-server";

/**
 * OAuth 2.1 (authorization code + PKCE + dynamic client registration) per user, against a faithful
 * local authorization server guarding a real server-everything; the SDK Client calls through LAP.
 */
let t: TestApp;
let upstream: HttpUpstream;
let fake: FakeOAuthServer;
let serverId: string;
const keys: Record<string, string> = {};
const clients: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  t = await createTestApp();
  upstream = await startEverythingHttp();
  fake = startFakeOAuthServer(upstream.url);
  const res = await t.json("POST", "/api/mcp/servers", {
    body: { name: "vendor", transport: "streamable-http", url: fake.mcpUrl, auth: { type: "oauth", scopes: ["mcp:tools"] } },
  });
  expect(res.status).toBe(201);
  serverId = res.body.id;
  for (const user of ["alice", "bob"]) {
    keys[user] = (await t.json("POST", "/api/keys", { body: { label: user, role: "user", metadata: { user_id: user } } })).body.token;
    await t.json("POST", "/api/mcp/grants", { body: { server_id: serverId, subject_type: "user", subject_id: user } });
  }
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.close();
  fake?.stop();
  await upstream?.stop();
});

/** Plays the user's browser: open the authorization URL, follow the AS's redirect back to LAP. */
async function consent(authorizationUrl: string) {
  const res = await fetch(authorizationUrl, { redirect: "manual" });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get("location")!);
  expect(back.pathname).toBe("/api/mcp/oauth/callback");
  return { back, res: await t.request("GET", `${back.pathname}${back.search}`, { key: null }) };
}

async function tools(user: string) {
  const c = await lapClient(t.app, "/mcp/vendor", keys[user]!);
  clients.push(c.client);
  return c.client;
}

describe("connecting a user with OAuth", () => {
  test("before connecting, calls say the account must be connected", async () => {
    const client = await tools("alice");
    await expect(client.listTools()).rejects.toThrow(/connect your account/);
  });

  test("start registers LAP dynamically and returns a PKCE S256 authorization URL", async () => {
    const res = await t.json("POST", `/api/mcp/servers/${serverId}/oauth/start`, { key: keys.alice });
    expect(res.status).toBe(200);
    const url = new URL(res.body.authorization_url);
    expect(url.origin).toBe(fake.origin);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get("state")!.length).toBeGreaterThan(20);
    expect(url.searchParams.get("resource")).toBe(fake.mcpUrl);
    expect(url.searchParams.get("redirect_uri")).toBe(res.body.redirect_uri);
    expect(fake.registrations.length).toBe(1);
    expect(url.searchParams.get("client_id")).toBe(fake.registrations[0]!.client_id);

    const { back, res: done } = await consent(res.body.authorization_url);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("connected to vendor");
    const exchange = fake.tokenRequests.find((r) => r.grant_type === "authorization_code")!;
    expect(exchange.code_verifier).toMatch(/^[\w.~-]{43,128}$/);

    // The state is single use.
    const replay = await t.request("GET", `${back.pathname}${back.search}`, { key: null });
    expect(replay.status).toBe(400);
  });

  test("tokens are sealed at rest and the user's calls go through with them", async () => {
    const stored = await t.services.mcp.gateway.userSecrets(serverId, "alice");
    const accessToken = stored!.secrets.oauth!.tokens!.access_token;
    expect(accessToken).toStartWith("at_");
    const [raw] = await t.database.query<{ sealed: string }>("select sealed from mcp_user_credentials where user_id = 'alice'");
    expect(raw!.sealed).toStartWith("v1.");
    expect(raw!.sealed).not.toContain(accessToken);

    const client = await tools("alice");
    expect((await client.listTools()).tools.map((x) => x.name)).toContain("echo");
    expect((await client.callTool({ name: "echo", arguments: { message: "oauth" } })).content).toEqual([
      { type: "text", text: "Echo: oauth" },
    ]);
  });

  test("another user's tokens are never used: bob is still not connected", async () => {
    const client = await tools("bob");
    await expect(client.listTools()).rejects.toThrow(/connect your account/);
  });

  test("an expired access token is refreshed with the refresh token", async () => {
    const gw = t.services.mcp.gateway;
    const stored = (await gw.userSecrets(serverId, "alice"))!.secrets.oauth!;
    fake.expireAccessTokens();
    await gw.saveUserSecrets(serverId, "alice", { oauth: { ...stored, expiresAt: Date.now() - 1000 } });
    const client = await tools("alice");
    expect((await client.callTool({ name: "echo", arguments: { message: "refreshed" } })).content).toEqual([
      { type: "text", text: "Echo: refreshed" },
    ]);
    expect(fake.tokenRequests.some((r) => r.grant_type === "refresh_token")).toBe(true);
    const after = (await gw.userSecrets(serverId, "alice"))!.secrets.oauth!;
    expect(after.tokens!.access_token).not.toBe(stored.tokens!.access_token);
  });
});

describe("callback and start failures", () => {
  test("an unknown state, a missing code, or an AS error is refused", async () => {
    expect((await t.request("GET", "/api/mcp/oauth/callback?code=x&state=forged", { key: null })).status).toBe(400);
    expect((await t.request("GET", "/api/mcp/oauth/callback?state=forged", { key: null })).status).toBe(400);
    const denied = await t.request("GET", "/api/mcp/oauth/callback?error=access_denied&state=x", { key: null });
    expect(denied.status).toBe(400);
    expect(await denied.text()).toContain("access_denied");
  });

  test("a user not granted the server cannot start; a non-OAuth server is a 400", async () => {
    const carol = (await t.json("POST", "/api/keys", { body: { label: "carol", role: "user" } })).body.token;
    expect((await t.json("POST", `/api/mcp/servers/${serverId}/oauth/start`, { key: carol })).status).toBe(404);
    const plain = await t.json("POST", "/api/mcp/servers", { body: { name: "plain", ...everythingStdio() } });
    expect((await t.json("POST", `/api/mcp/servers/${plain.body.id}/oauth/start`)).status).toBe(400);
  });
});
