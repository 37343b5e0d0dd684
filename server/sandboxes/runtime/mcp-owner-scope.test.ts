/**
 * Listing an MCP server on one's own agent grants nothing more (issue 15, item 3): a session key gets
 * the agent's servers that the agent's owner may use itself. An admin's agent gets every registered
 * server it lists; a user key's agent only those granted to that key; none once the key is revoked.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { everythingStdio } from "../../../test/support/mcp";
import { ownerUsableServers } from "./for-sessions";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

test("a user key's agent gets only the MCP servers granted to that key; an admin's agent all it lists", async () => {
  const ids: Record<string, string> = {};
  for (const name of ["granted", "admins-only"]) {
    const res = await t.json("POST", "/api/mcp/servers", { body: { name, ...everythingStdio() } });
    expect(res.status).toBe(201);
    ids[name] = res.body.id;
  }
  const user = (await t.json("POST", "/api/keys", { body: { label: "dev", role: "user" } })).body;
  expect((await t.json("POST", "/api/mcp/grants", { body: { server_id: ids.granted, subject_type: "key", subject_id: user.key.id, tools: null } })).status).toBe(201);
  const servers = [{ name: "granted", url: "http://lap.invalid/mcp/granted" }, { name: "admins-only", url: "http://lap.invalid/mcp/admins-only" }];
  const mine = await t.json("POST", "/api/agents", { key: user.token, body: { name: "user-agent", model: "m", mcp_servers: servers } });
  const admins = await t.json("POST", "/api/agents", { body: { name: "admin-agent", model: "m", mcp_servers: servers } });
  expect(mine.status).toBe(201);
  const mcp = t.services.mcp.gateway;
  expect([...(await ownerUsableServers(t.database, mcp, mine.body.id))]).toEqual(["granted"]);
  expect([...(await ownerUsableServers(t.database, mcp, admins.body.id))].sort()).toEqual(["admins-only", "granted"]);
  await t.json("DELETE", `/api/keys/${user.key.id}`);
  expect([...(await ownerUsableServers(t.database, mcp, mine.body.id))]).toEqual([]);
});
