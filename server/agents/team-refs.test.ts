/**
 * Names an agent lists (vault keys, MCP servers) across teams (issue 21): two teams and the org may
 * each have a GITHUB_TOKEN or an MCP server called `tracker`. An agent's name resolves to its own
 * team's, else the org-wide one, never another team's: at create/update (400 naming the field,
 * nothing written) and when its sandbox is built or its session key calls LAP's MCP gateway, also
 * when the agent row names another team's object anyway (written before this check, or by hand).
 * Real database; the sandbox spec is built without starting a sandbox.
 */
import { agentsForSandboxes } from "./for-sandboxes";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { makeTeam, makeUser } from "../../test/support/teams";
import { ownerUsableServers } from "../sandboxes/runtime/for-sessions";
import { MissingVaultSecrets } from "../vault/service";
import type { Principal } from "../auth/model";

// Users get argon2id password hashes, slow on purpose.
setDefaultTimeout(60_000);

let t: TestApp;
const team = { a: "", b: "" };
const key = { adminA: "", adminB: "", memberA: "" };
const vaultIds = { org: "", a: "", b: "", bOnly: "" };
const mcpIds = { org: "", a: "", b: "", bOnly: "", orgOnly: "" };
const http = (name: string) => ({ name, transport: "streamable-http", url: `https://${name}.example.com/mcp` });

beforeAll(async () => {
  t = await createTestApp();
  team.a = await makeTeam(t, "refs A");
  team.b = await makeTeam(t, "refs B");
  key.adminA = (await makeUser(t, "refs-admin-a@example.com", team.a, "admin")).key;
  key.adminB = (await makeUser(t, "refs-admin-b@example.com", team.b, "admin")).key;
  key.memberA = (await makeUser(t, "refs-member-a@example.com", team.a, "member")).key;
  const made = async (path: string, body: Record<string, unknown>, k?: string) => {
    const res = await t.json("POST", path, { key: k, body });
    expect(res.status).toBe(201);
    return res.body as { id: string; team_id: string | null };
  };
  // The same name three times: org-wide (an admin), team A's and team B's (their admins).
  vaultIds.org = (await made("/api/vault", { name: "GITHUB_TOKEN", value: "org-wide-value-0000", hosts: ["api.github.com"] })).id;
  const a = await made("/api/vault", { name: "GITHUB_TOKEN", value: "team-a-value-1111", hosts: ["api.github.com"] }, key.adminA);
  expect(a.team_id).toBe(team.a);
  vaultIds.a = a.id;
  vaultIds.b = (await made("/api/vault", { name: "GITHUB_TOKEN", value: "team-b-value-2222", hosts: ["api.github.com"] }, key.adminB)).id;
  vaultIds.bOnly = (
    await made("/api/vault", { name: "B_ONLY_TOKEN", value: "team-b-only-3333", hosts: ["api.example.com"] }, key.adminB)
  ).id;
  mcpIds.org = (await made("/api/mcp/servers", http("tracker"))).id;
  mcpIds.a = (await made("/api/mcp/servers", http("tracker"), key.adminA)).id;
  mcpIds.b = (await made("/api/mcp/servers", http("tracker"), key.adminB)).id;
  mcpIds.bOnly = (await made("/api/mcp/servers", http("b-only"), key.adminB)).id;
  mcpIds.orgOnly = (await made("/api/mcp/servers", http("org-only"))).id;
}, 180_000);
afterAll(() => t?.close());

const agentCount = async () => (await t.database.query<{ n: number }>("select count(*)::int as n from agents"))[0]!.n;
const newAgent = (k: string | undefined, body: Record<string, unknown>) =>
  t.json("POST", "/api/agents", { key: k, body: { model: "m", ...body, name: `refs-${crypto.randomUUID().slice(0, 8)}` } });

describe("vault secrets by name", () => {
  test("a name is unique per team: a second one in the same team is 409, in another team it is made", async () => {
    const dup = await t.json("POST", "/api/vault", { key: key.adminA, body: { name: "GITHUB_TOKEN", value: "again", hosts: ["a.com"] } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toContain(`in team ${team.a}`);
  });

  test("each team lists its own and the org-wide one; values never", async () => {
    const ids = async (k: string) =>
      ((await t.json("GET", "/api/vault", { key: k })).body.data as Array<{ id: string }>).map((x) => x.id).sort();
    expect(await ids(key.memberA)).toEqual([vaultIds.org, vaultIds.a].sort());
    expect(await ids(key.adminB)).toEqual([vaultIds.org, vaultIds.b, vaultIds.bOnly].sort());
    expect((await t.json("GET", `/api/vault/${vaultIds.b}`, { key: key.adminA })).status).toBe(404);
    expect((await t.json("PATCH", `/api/vault/${vaultIds.b}`, { key: key.adminA, body: { value: "overwritten" } })).status).toBe(404);
    expect((await t.json("PATCH", `/api/vault/${vaultIds.a}`, { key: key.memberA, body: { value: "overwritten" } })).status).toBe(403);
    expect((await t.services.vault.resolve(["GITHUB_TOKEN"], team.b))[0]!.value).toBe("team-b-value-2222");
  });

  test("an agent resolves its team's secret first, then the org-wide one, never another team's", async () => {
    const v = t.services.vault;
    expect((await v.resolve(["GITHUB_TOKEN"], team.a))[0]!.value).toBe("team-a-value-1111");
    expect((await v.resolve(["GITHUB_TOKEN"], null))[0]!.value).toBe("org-wide-value-0000");
    const other = await makeTeam(t, "refs C");
    expect((await v.resolve(["GITHUB_TOKEN"], other))[0]!.value).toBe("org-wide-value-0000");
    expect(await v.resolve(["B_ONLY_TOKEN"], team.a).catch((e) => e)).toBeInstanceOf(MissingVaultSecrets);
  });

  test("naming another team's secret is a 400 naming vault_keys, for a team admin and an admin; nothing is written", async () => {
    const before = await agentCount();
    for (const k of [key.adminA, undefined]) {
      const res = await newAgent(k, { team_id: team.a, vault_keys: ["B_ONLY_TOKEN"] });
      expect(res.status).toBe(400);
      expect(res.body.error.fields[0].field).toBe("vault_keys");
    }
    expect(await agentCount()).toBe(before);
    const ok = await newAgent(key.adminA, { vault_keys: ["GITHUB_TOKEN"] });
    expect(ok.status).toBe(201);
    const patched = await t.json("PATCH", `/api/agents/${ok.body.id}`, {
      key: key.adminA,
      body: { vault_keys: ["GITHUB_TOKEN", "B_ONLY_TOKEN"] },
    });
    expect(patched.status).toBe(400);
    expect((await t.json("GET", `/api/agents/${ok.body.id}`)).body.vault_keys).toEqual(["GITHUB_TOKEN"]);
    // The vault lists the agent under team A's secret, not under the org-wide or B's of the same name.
    const users = async (id: string) => ((await t.json("GET", `/api/vault/${id}`)).body.agents as Array<{ id: string }>).map((a) => a.id);
    expect(await users(vaultIds.a)).toEqual([ok.body.id]);
    expect(await users(vaultIds.b)).toEqual([]);
    expect(await users(vaultIds.org)).toEqual([]);
  });

  test("team A's agent's sandbox gets team A's value; an agent row naming B's secret gets no sandbox", async () => {
    const agent = await newAgent(key.adminA, { vault_keys: ["GITHUB_TOKEN"] });
    const s = t.services.sandboxes;
    const spec = (await s.specForAgent(agent.body.id))!;
    const stubs = s.policies.get(spec.spec.labels!.egress_policy!).stubs;
    expect(stubs.map((x) => x.real)).toEqual(["team-a-value-1111"]);
    // Written past the API (an old row, a restore): still never B's value.
    await t.database.query(`update agents set vault_keys = '["B_ONLY_TOKEN"]'::jsonb where id = $1`, [agent.body.id]);
    const err = await s.specForAgent(agent.body.id).catch((e) => e);
    expect(err).toBeInstanceOf(MissingVaultSecrets);
    expect(JSON.stringify(err)).not.toContain("team-b-only-3333");
  });
});

describe("MCP servers by name", () => {
  test("naming another team's server is a 400 naming mcp_servers; its own, org-wide and unregistered names are fine", async () => {
    const before = await agentCount();
    for (const k of [key.adminA, undefined]) {
      const res = await newAgent(k, { team_id: team.a, mcp_servers: [{ name: "b-only", url: "http://lap.invalid/mcp/b-only" }] });
      expect(res.status).toBe(400);
      expect(res.body.error.fields[0].field).toBe("mcp_servers");
    }
    expect(await agentCount()).toBe(before);
    const names = ["tracker", "org-only", "somewhere-else"];
    const ok = await newAgent(key.adminA, { mcp_servers: names.map((name) => ({ name, url: `https://x.example.com/${name}` })) });
    expect(ok.status).toBe(201);
  });

  test("a session key of team A's agent reaches team A's `tracker` and the org-wide one, never B's even when its key lists it", async () => {
    const servers = ["tracker", "org-only"].map((name) => ({ name, url: `http://lap.invalid/mcp/${name}` }));
    const mcp = t.services.mcp.gateway;
    // Team A's admin may use its team's servers, not the org-wide one nobody granted it.
    const byTeamAdmin = await newAgent(key.adminA, { mcp_servers: servers });
    expect([...(await ownerUsableServers(agentsForSandboxes(t.database), mcp, byTeamAdmin.body.id))]).toEqual(["tracker"]);
    // An admin's agent in team A: every server of team A and the org, none of B's.
    const agent = await newAgent(undefined, { team_id: team.a, mcp_servers: servers });
    expect(agent.status).toBe(201);
    expect([...(await ownerUsableServers(agentsForSandboxes(t.database), mcp, agent.body.id))].sort()).toEqual(["org-only", "tracker"]);
    // B's only server in the key's list (a key minted before, or a row written past the API): not given.
    await t.database.query(`insert into sessions (id, agent_id, team_id) values ('ses_refs_a', $1, $2)`, [agent.body.id, team.a]);
    const minted = await t.services.gateway.mintSessionKey({
      sessionId: "ses_refs_a",
      agentId: agent.body.id,
      models: ["m"],
      mcpServers: ["tracker", "org-only", "b-only"],
    });
    const principal: Principal = { via: "api_key", role: "user", kind: "session", keyId: minted.info!.token_id, label: "session" };
    const caller = await mcp.callerOf(principal);
    expect(caller.agentTeam).toBe(team.a);
    const seen = (await mcp.visible(caller)).map((v) => v.row.id).sort();
    expect(seen).toEqual([mcpIds.a, mcpIds.orgOnly].sort());
    expect((await mcp.visible(caller, "tracker")).map((v) => v.row.id)).toEqual([mcpIds.a]);
    expect(await mcp.visible(caller, "b-only")).toEqual([]);
  });

  test("a member of team A sees its team's `tracker` first on /mcp and in the list; B's is not there", async () => {
    const mcp = t.services.mcp.gateway;
    const member = await t.json("GET", "/api/mcp/available", { key: key.memberA });
    const tracker = (member.body.data as Array<{ id: string; name: string }>).filter((s) => s.name === "tracker");
    expect(tracker.map((s) => s.id)).toEqual([mcpIds.a]);
    const listed = ((await t.json("GET", "/api/mcp/servers", { key: key.memberA })).body.data as Array<{ id: string }>).map((s) => s.id);
    expect(listed).toContain(mcpIds.a);
    expect(listed).toContain(mcpIds.org);
    expect(listed).not.toContain(mcpIds.b);
    expect(listed).not.toContain(mcpIds.bOnly);
    expect(mcp).toBeDefined();
  });
});
