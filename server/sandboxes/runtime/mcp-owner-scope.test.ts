/**
 * Listing an MCP server on one's own agent grants nothing more (issue 15, item 3): a session key gets
 * the agent's servers that the agent's owner may use itself. An admin's agent gets every registered
 * server it lists; a user key's agent only those granted to that key; none once the key is revoked. A
 * member's agent (issue 21): those granted to the member or its team, and its team's own servers.
 */
import { agentsForSandboxes } from "../../agents/for-sandboxes";
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { everythingStdio } from "../../../test/support/mcp";
import { makeTeam, makeUser } from "../../../test/support/teams";
import { ownerUsableServers } from "./for-sessions";

// Users get argon2id password hashes, slow on purpose: on a loaded machine a test making several takes seconds.
setDefaultTimeout(60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 180_000);
afterAll(() => t?.close());

test("a user key's agent gets only the MCP servers granted to that key; an admin's agent all it lists", async () => {
  const ids: Record<string, string> = {};
  for (const name of ["granted", "admins-only"]) {
    const res = await t.json("POST", "/api/mcp/servers", { body: { name, ...everythingStdio() } });
    expect(res.status).toBe(201);
    ids[name] = res.body.id;
  }
  const team = await makeTeam(t, "dev team");
  const user = (await t.json("POST", "/api/keys", { body: { label: "dev", role: "user", team_id: team } })).body;
  expect(
    (
      await t.json("POST", "/api/mcp/grants", {
        body: { server_id: ids.granted, subject_type: "key", subject_id: user.key.id, tools: null },
      })
    ).status,
  ).toBe(201);
  const servers = [
    { name: "granted", url: "http://lap.invalid/mcp/granted" },
    { name: "admins-only", url: "http://lap.invalid/mcp/admins-only" },
  ];
  const mine = await t.json("POST", "/api/agents", { key: user.token, body: { name: "user-agent", model: "m", mcp_servers: servers } });
  const admins = await t.json("POST", "/api/agents", { body: { name: "admin-agent", model: "m", mcp_servers: servers } });
  expect(mine.status).toBe(201);
  const mcp = t.services.mcp.gateway;
  expect([...(await ownerUsableServers(agentsForSandboxes(t.database), mcp, mine.body.id))]).toEqual(["granted"]);
  expect([...(await ownerUsableServers(agentsForSandboxes(t.database), mcp, admins.body.id))].sort()).toEqual(["admins-only", "granted"]);
  await t.json("DELETE", `/api/keys/${user.key.id}`);
  expect([...(await ownerUsableServers(agentsForSandboxes(t.database), mcp, mine.body.id))]).toEqual([]);
});

test("a member's agent gets what is granted to the member or its team, and its team's own servers; none once disabled", async () => {
  const ids: Record<string, string> = {};
  for (const name of ["to-team", "to-user", "nobody", "team-own"]) {
    const res = await t.json("POST", "/api/mcp/servers", { body: { name, ...everythingStdio() } });
    expect(res.status).toBe(201);
    ids[name] = res.body.id;
  }
  const team = await makeTeam(t, "mcp team");
  const member = await makeUser(t, "mcp-member@example.com", team, "member");
  // A team's own server (team_id on the registry row): what a team admin would register for it.
  await t.database.query("update mcp_servers set team_id = $1 where id = $2", [team, ids["team-own"]]);
  t.services.mcp.gateway.invalidate();
  expect(
    (await t.json("POST", "/api/mcp/grants", { body: { server_id: ids["to-team"], subject_type: "team", subject_id: team, tools: null } }))
      .status,
  ).toBe(201);
  expect(
    (
      await t.json("POST", "/api/mcp/grants", {
        body: { server_id: ids["to-user"], subject_type: "user", subject_id: member.id, tools: null },
      })
    ).status,
  ).toBe(201);
  const servers = ["to-team", "to-user", "nobody", "team-own"].map((name) => ({ name, url: `http://lap.invalid/mcp/${name}` }));
  const agent = await t.json("POST", "/api/agents", { key: member.key, body: { name: "member-agent", model: "m", mcp_servers: servers } });
  expect(agent.status).toBe(201);
  const mcp = t.services.mcp.gateway;
  expect([...(await ownerUsableServers(agentsForSandboxes(t.database), mcp, agent.body.id))].sort()).toEqual([
    "team-own",
    "to-team",
    "to-user",
  ]);
  await t.json("PATCH", `/api/users/${member.id}`, { body: { disabled: true } });
  expect([...(await ownerUsableServers(agentsForSandboxes(t.database), mcp, agent.body.id))]).toEqual([]);
});
