/**
 * A team's shared things (issue 21): team A's admin registers a vault secret, a runtime, an MCP server
 * and a grant for team A; team A's people and admins list them, team B's member and a key in no team do
 * not; values, runtime URLs and org-wide servers' configuration stay with those who manage them. What a
 * team admin may not register (another team's, a stdio server, a private address) writes nothing. Each
 * change writes one audit row with the team, which the team admin reads in its audit trail.
 * The route table walk (every role, every route) is server/http/route-policy.test.ts.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { makeTeam, makeUser } from "../../test/support/teams";

// Users get argon2id password hashes, slow on purpose.
setDefaultTimeout(60_000);

let t: TestApp;
const ids = { teamA: "", teamB: "", vaultA: "", runtimeA: "", mcpA: "", grantA: "" };
const keys = { admin: "", orgAdmin: "", ownerA: "", adminA: "", creatorA: "", viewerA: "", memberB: "", noTeam: "" };
const uid = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);

beforeAll(async () => {
  t = await createTestApp();
  keys.admin = (await t.json("POST", "/api/keys", { body: { label: "ops", role: "admin" } })).body.token;
  keys.noTeam = (await t.json("POST", "/api/keys", { body: { label: "nobody", role: "user" } })).body.token;
  ids.teamA = await makeTeam(t, "Team A");
  ids.teamB = await makeTeam(t, "Team B");
  keys.orgAdmin = (await makeUser(t, "root@example.com", null, "member", { role: "admin" })).key;
  keys.ownerA = (await makeUser(t, "owner-a@example.com", ids.teamA, "owner")).key;
  keys.adminA = (await makeUser(t, "admin-a@example.com", ids.teamA, "admin")).key;
  keys.creatorA = (await makeUser(t, "alice@example.com", ids.teamA, "member")).key;
  keys.viewerA = (await makeUser(t, "viewer-a@example.com", ids.teamA, "viewer")).key;
  keys.memberB = (await makeUser(t, "bob@example.com", ids.teamB, "member")).key;
  const asAdminA = async (path: string, body: unknown) => {
    const res = await t.json("POST", path, { key: keys.adminA, body });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  ids.vaultA = await asAdminA("/api/vault", { name: "TEAM_A_TOKEN", value: "team-a-secret-value", hosts: ["api.example.com"] });
  ids.runtimeA = await asAdminA("/api/runtimes", {
    alias: "team-a-runtime",
    base_url: "https://runtime.example.com",
    api_key: "team-a-runtime-key",
  });
  ids.mcpA = await asAdminA("/api/mcp/servers", { name: "team-a-mcp", transport: "streamable-http", url: "https://mcp.example.com/mcp" });
  ids.grantA = await asAdminA("/api/mcp/grants", { server_id: ids.mcpA, subject_type: "team", subject_id: ids.teamA, tools: null });
}, 180_000);
afterAll(() => t?.close());

describe("a team's shared things", () => {
  test("team A's vault secret, runtime, MCP server and grant are listed for team A and admins, not for another team", async () => {
    const list = async (key: string, path: string) => (await t.json("GET", path, { key })).body.data as Array<Record<string, unknown>>;
    const has = async (key: string) => ({
      vault: (await list(key, "/api/vault")).some((x) => x.id === ids.vaultA),
      runtime: (await list(key, "/api/runtimes")).some((x) => x.id === ids.runtimeA),
      mcp: (await list(key, "/api/mcp/servers")).some((x) => x.id === ids.mcpA),
      grant: (await list(key, "/api/mcp/grants")).some((x) => x.id === ids.grantA),
    });
    const all = { vault: true, runtime: true, mcp: true, grant: true };
    for (const k of [keys.ownerA, keys.adminA, keys.creatorA, keys.viewerA, keys.admin, keys.orgAdmin]) expect(await has(k)).toEqual(all);
    for (const k of [keys.memberB, keys.noTeam]) expect(await has(k)).toEqual({ vault: false, runtime: false, mcp: false, grant: false });
    // The runtime's URL and key hint are its managers' (team A's admins), not its members'.
    const runtimeAs = async (key: string) => (await list(key, "/api/runtimes")).find((x) => x.id === ids.runtimeA)!;
    expect((await runtimeAs(keys.adminA)).base_url).toBe("https://runtime.example.com");
    expect((await runtimeAs(keys.creatorA)).base_url).toBe("");
    // No value is ever read back.
    for (const k of [keys.adminA, keys.admin]) expect(JSON.stringify(await list(k, "/api/vault"))).not.toContain("team-a-secret-value");
  });

  test("a team admin cannot register in another team, nor a stdio server, nor one on a private address; nothing is written", async () => {
    const count = async () =>
      (
        await t.database.query<{ n: number }>(
          "select (select count(*) from vault_secrets) + (select count(*) from mcp_servers) + (select count(*) from runtimes) + (select count(*) from mcp_grants) as n",
        )
      )[0]!.n;
    const before = await count();
    const other = await t.json("POST", "/api/vault", {
      key: keys.adminA,
      body: { name: "X_TOKEN", value: "v", hosts: ["a.com"], team_id: ids.teamB },
    });
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain("team_id");
    const stdio = await t.json("POST", "/api/mcp/servers", {
      key: keys.adminA,
      body: { name: "host-cmd", transport: "stdio", command: "cat", bind_paths: [{ path: "/etc" }] },
    });
    expect(stdio.status).toBe(403);
    expect(stdio.body.error.message).toContain("transport");
    const loopback = await t.json("POST", "/api/mcp/servers", {
      key: keys.adminA,
      body: { name: "inside", transport: "streamable-http", url: "http://127.0.0.1:9/mcp" },
    });
    expect(loopback.status).toBe(400);
    expect(loopback.body.error.fields[0].field).toBe("url");
    const hostVariable = await t.json("POST", "/api/mcp/servers", {
      key: keys.adminA,
      body: {
        name: "var-host",
        transport: "streamable-http",
        url: "https://${HOST}/mcp",
        variables: [{ name: "HOST", scope: "instance", value: "127.0.0.1" }],
      },
    });
    expect(hostVariable.status).toBe(400);
    const runtime = await t.json("POST", "/api/runtimes", {
      key: keys.adminA,
      body: { alias: "inside", base_url: "http://10.0.0.1:8080", api_key: "k" },
    });
    expect(runtime.status).toBe(400);
    expect(runtime.body.error.fields[0].field).toBe("base_url");
    // A team's stdio server made by an org admin cannot be turned into one by its team admin either.
    const toStdio = await t.json("PATCH", `/api/mcp/servers/${ids.mcpA}`, {
      key: keys.adminA,
      body: { transport: "stdio", command: "cat" },
    });
    expect(toStdio.status).toBe(403);
    // Grants on the team's server go to the team's subjects only.
    const outsider = await t.json("POST", "/api/mcp/grants", {
      key: keys.adminA,
      body: { server_id: ids.mcpA, subject_type: "team", subject_id: ids.teamB, tools: null },
    });
    expect(outsider.status).toBe(400);
    expect(outsider.body.error.fields[0].field).toBe("subject_id");
    expect(await count()).toBe(before);
  });
});

describe("a team admin's changes to its team's shared things", () => {
  test("each writes one row with the team admin as actor and the team, and the team admin reads it in its audit trail", async () => {
    const team = await makeTeam(t, `audit-team-${uid()}`);
    const admin = (await makeUser(t, `audit-admin-${uid()}@example.com`, team, "admin")).key;
    const call = async (method: string, path: string, body: unknown | undefined, action: string) => {
      const requestId = `audit-${uid()}`;
      const res = await t.json(method, path, { key: admin, body, headers: { "x-request-id": requestId } });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      const rows = await t.database.query<{ action: string; actor_kind: string; team_id: string | null }>(
        "select action, actor_kind, team_id from audit_log where request_id = $1",
        [requestId],
      );
      expect(rows).toEqual([{ action, actor_kind: "user", team_id: team }]);
      return res.body;
    };
    const secret = await call(
      "POST",
      "/api/vault",
      { name: `T_${uid().toUpperCase()}`, value: "a-vault-value-team", hosts: ["example.com"] },
      "vault_secret.create",
    );
    await call("PATCH", `/api/vault/${secret.id}`, { value: "the-rotated-value-team" }, "vault_secret.rotate");
    await call("DELETE", `/api/vault/${secret.id}`, undefined, "vault_secret.delete");
    const runtime = await call(
      "POST",
      "/api/runtimes",
      { alias: `rt-${uid()}`, base_url: "https://runtime.example.com", api_key: "runtime-api-key-team" },
      "runtime.create",
    );
    await call("DELETE", `/api/runtimes/${runtime.id}`, undefined, "runtime.delete");
    const server = await call(
      "POST",
      "/api/mcp/servers",
      { name: `mcp-${uid()}`, transport: "streamable-http", url: "https://mcp.example.com/mcp" },
      "mcp_server.create",
    );
    await call("PATCH", `/api/mcp/servers/${server.id}`, { description: "changed" }, "mcp_server.update");
    const grant = await call(
      "POST",
      "/api/mcp/grants",
      { server_id: server.id, subject_type: "team", subject_id: team, tools: null },
      "mcp_grant.create",
    );
    await call("DELETE", `/api/mcp/grants/${grant.id}`, undefined, "mcp_grant.delete");
    await call("DELETE", `/api/mcp/servers/${server.id}`, undefined, "mcp_server.delete");
    const mine = (await t.json("GET", "/api/audit?limit=50", { key: admin })).body.data as Array<{ action: string }>;
    expect(mine.map((r) => r.action)).toContain("vault_secret.rotate");
    expect(JSON.stringify(mine)).not.toContain("the-rotated-value-team");
  });
});
