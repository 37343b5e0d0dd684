import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../test/support/app";
import { everythingStdio } from "../test/support/mcp";

/** Registry API: validation, secrets sealed at rest and never returned, admin only. */
let t: TestApp;
let userKey: string;

beforeAll(async () => {
  t = await createTestApp();
  userKey = (await t.json("POST", "/api/keys", { body: { label: "user", role: "user" } })).body.token;
}, 60_000);
afterAll(() => t?.close());

const count = async () => (await t.json("GET", "/api/mcp/servers")).body.data.length as number;

describe("register", () => {
  test("an http server with bearer auth and secret headers: credentials sealed, never returned", async () => {
    const res = await t.json("POST", "/api/mcp/servers", {
      body: {
        name: "linear",
        transport: "streamable-http",
        url: "https://mcp.example.com/${WORKSPACE}/mcp",
        headers: { "X-Tenant": "secret-tenant-value" },
        auth: { type: "bearer", token: "upstream-token-123" },
        variables: [
          { name: "WORKSPACE", scope: "instance", value: "acme" },
          { name: "USER_ORG", scope: "user" },
        ],
        allowed_tools: ["search"],
      },
    });
    expect(res.status).toBe(201);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain("upstream-token-123");
    expect(text).not.toContain("secret-tenant-value");
    expect(res.body.auth).toEqual({ type: "bearer", has_credentials: true });
    expect(res.body.header_names).toEqual(["X-Tenant"]);
    expect(res.body.variables).toEqual([
      { name: "WORKSPACE", scope: "instance", has_value: true },
      { name: "USER_ORG", scope: "user", has_value: false },
    ]);
    expect(res.body.proxy_path).toBe("/mcp/linear");

    const [row] = await t.database.query<Record<string, unknown>>("select * from mcp_servers where name = 'linear'");
    const raw = JSON.stringify(row);
    expect(raw).not.toContain("upstream-token-123");
    expect(raw).not.toContain("secret-tenant-value");
    expect(raw).not.toContain("acme");
    expect(String(row!.secrets_sealed)).toStartWith("v1.");

    const list = await t.json("GET", "/api/mcp/servers");
    expect(JSON.stringify(list.body)).not.toContain("upstream-token-123");
  });

  test("a stdio server keeps env values secret and shows only their names", async () => {
    const res = await t.json("POST", "/api/mcp/servers", {
      body: { name: "ev", ...everythingStdio(), env: { API_TOKEN: "stdio-secret-456" } },
    });
    expect(res.status).toBe(201);
    expect(res.body.env_names).toEqual(["API_TOKEN"]);
    expect(JSON.stringify(res.body)).not.toContain("stdio-secret-456");
  });

  test("bad input is a 400 naming the field, and nothing is stored", async () => {
    const before = await count();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "Bad_Name", transport: "stdio", command: "x" }, "name"],
      [{ name: "no-url", transport: "streamable-http" }, "url"],
      [{ name: "no-cmd", transport: "stdio" }, "command"],
      [{ name: "bad-url", transport: "sse", url: "ftp://x" }, "url"],
      [{ name: "bad-auth", transport: "sse", url: "http://x", auth: { type: "bearer" } }, "auth.token"],
      [{ name: "bad-transport", transport: "carrier-pigeon" }, "transport"],
      [{ name: "stdio-auth", transport: "stdio", command: "x", auth: { type: "basic", username: "u", password: "p" } }, "auth.type"],
    ];
    for (const [body, field] of cases) {
      const res = await t.json("POST", "/api/mcp/servers", { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    expect(await count()).toBe(before);
  });

  test("a duplicate name is a 409", async () => {
    const res = await t.json("POST", "/api/mcp/servers", { body: { name: "ev", ...everythingStdio() } });
    expect(res.status).toBe(409);
  });
});

describe("edit", () => {
  test("editing keeps omitted secrets and replaces given ones", async () => {
    const id = (await t.json("GET", "/api/mcp/servers")).body.data.find((s: { name: string }) => s.name === "linear").id;
    const edited = await t.json("PATCH", `/api/mcp/servers/${id}`, {
      body: { description: "Linear issues", disabled_tools: ["delete_issue"] },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.description).toBe("Linear issues");
    expect(edited.body.auth.has_credentials).toBe(true);
    expect(edited.body.variables[0].has_value).toBe(true);
    const gw = t.services.mcp.gateway;
    const row = await gw.registry.get(id);
    expect(gw.registry.secretsOf(row)).toMatchObject({
      token: "upstream-token-123",
      headers: { "X-Tenant": "secret-tenant-value" },
      variables: { WORKSPACE: "acme" },
    });

    await t.json("PATCH", `/api/mcp/servers/${id}`, { body: { auth: { type: "api_key", header: "x-linear-key", key: "new-key-789" } } });
    const after = gw.registry.secretsOf(await gw.registry.get(id));
    expect(after.key).toBe("new-key-789");
    expect(after.token).toBeUndefined();
  });

  test("an invalid edit is a 400 and changes nothing", async () => {
    const id = (await t.json("GET", "/api/mcp/servers")).body.data.find((s: { name: string }) => s.name === "linear").id;
    const before = (await t.json("GET", `/api/mcp/servers/${id}`)).body;
    const res = await t.json("PATCH", `/api/mcp/servers/${id}`, { body: { url: "not a url", name: "Also Bad" } });
    expect(res.status).toBe(400);
    const fields = res.body.error.fields.map((f: { field: string }) => f.field);
    expect(fields).toContain("url");
    expect(fields).toContain("name");
    expect((await t.json("GET", `/api/mcp/servers/${id}`)).body).toEqual(before);
    const unknown = await t.json("PATCH", `/api/mcp/servers/${id}`, { body: { colour: "red" } });
    expect(unknown.status).toBe(400);
  });

  test("switching transport without the new required field is refused", async () => {
    const id = (await t.json("GET", "/api/mcp/servers")).body.data.find((s: { name: string }) => s.name === "linear").id;
    const res = await t.json("PATCH", `/api/mcp/servers/${id}`, { body: { transport: "stdio" } });
    expect(res.status).toBe(400);
  });

  test("unknown ids are 404; delete removes", async () => {
    expect((await t.json("PATCH", "/api/mcp/servers/nope", { body: { description: "x" } })).status).toBe(404);
    const created = await t.json("POST", "/api/mcp/servers", { body: { name: "temp", transport: "sse", url: "http://127.0.0.1:9/sse" } });
    expect((await t.json("DELETE", `/api/mcp/servers/${created.body.id}`)).status).toBe(200);
    expect((await t.json("GET", `/api/mcp/servers/${created.body.id}`)).status).toBe(404);
    expect((await t.json("DELETE", `/api/mcp/servers/${created.body.id}`)).status).toBe(404);
  });
});

describe("access to the registry", () => {
  test("a user key in no team cannot add or edit servers, and sees only the names of org-wide ones", async () => {
    const listed = await t.json("GET", "/api/mcp/servers", { key: userKey });
    expect(listed.status).toBe(200);
    for (const s of listed.body.data) expect([s.team_id, s.command, s.url, s.header_names]).toEqual([null, null, null, []]);
    const id = listed.body.data[0].id;
    expect((await t.json("POST", "/api/mcp/servers", { key: userKey, body: { name: "x", ...everythingStdio() } })).status).toBe(403);
    expect((await t.json("PATCH", `/api/mcp/servers/${id}`, { key: userKey, body: { enabled: false } })).status).toBe(403);
    expect((await t.json("DELETE", `/api/mcp/servers/${id}`, { key: userKey })).status).toBe(403);
    expect((await t.json("GET", "/api/mcp/calls", { key: userKey })).status).toBe(403);
    expect(
      (
        await t.json("POST", "/api/mcp/grants", {
          key: userKey,
          body: { server_id: id, subject_type: "user", subject_id: "u", tools: null },
        })
      ).status,
    ).toBe(403);
    expect((await t.json("GET", `/api/mcp/servers/${id}`)).body.enabled).toBe(true);
  });

  test("a user key sees no servers until granted", async () => {
    const res = await t.json("GET", "/api/mcp/available", { key: userKey });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });

  test("test connection reports a dead upstream as an error, not a crash", async () => {
    const created = await t.json("POST", "/api/mcp/servers", {
      body: { name: "dead", transport: "streamable-http", url: "http://127.0.0.1:9/mcp" },
    });
    const res = await t.json("POST", `/api/mcp/servers/${created.body.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(false);
    expect(res.body.error).toMatch(/unavailable/);
    const health = await t.json("GET", `/api/mcp/servers/${created.body.id}/health`);
    expect(health.body.state).toBe("failed");
    expect(health.body.recent_errors.length).toBeGreaterThan(0);
  });
});
