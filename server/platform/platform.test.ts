/**
 * LAP's platform MCP server `lap` (docs/memory.md "Platform tools") as a session key sees it, through
 * the real MCP proxy (/mcp/lap and lap__* in /mcp), on sessions run by the fake Managed Agents runtime
 * (test/support/fake-managed-agents.ts stands for Anthropic's API). The session key is treated as an
 * attacker: it reaches its own agent's memory and sessions only, never another agent's, nor /api.
 */
import { sessionsForSandboxes } from "../sessions/for-sandboxes";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { lapClient } from "../../test/support/mcp";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { SUBAGENT_LIMITS } from "./sessions";
import { parentBudgetLeft } from "../sandboxes/runtime/for-sessions";

let h: SessionHarness;
let childAgent: string;
let strangerAgent: string;
let parentSession: string;
let key: string;
let strangerSession: string;
let strangerKey: string;

const textOf = (r: unknown) => ((r as CallToolResult).content ?? []).map((c) => ("text" in c ? c.text : "")).join("");
const mint = async (sessionId: string, agentId: string) =>
  (await h.t.services.gateway.mintSessionKey({ sessionId, agentId, models: ["claude-sonnet-4-5"], duration: "1h" })).key;
const agent = async (body: Record<string, unknown>) => {
  const res = await h.t.json("POST", "/api/agents", { body: { model: "claude-sonnet-4-5", runtime_id: h.runtimeId, ...body } });
  expect(res.status).toBe(201);
  return res.body.id as string;
};

beforeAll(async () => {
  h = await sessionHarness();
  childAgent = await agent({ name: "researcher" });
  strangerAgent = await agent({ name: "stranger" });
  expect((await h.t.json("PATCH", `/api/agents/${h.agentId}`, { body: { subagent_ids: [childAgent] } })).body.subagent_ids).toEqual([
    childAgent,
  ]);
  parentSession = (await h.createSession()).id;
  key = await mint(parentSession, h.agentId);
  strangerSession = (await h.createSession({ agent_id: strangerAgent })).id;
  strangerKey = await mint(strangerSession, strangerAgent);
  await h.waitForStatus(parentSession, "idle");
}, 60_000);
afterAll(() => h?.close());

describe("memory tools", () => {
  test("a session writes, reads, searches and deletes its agent's memory; a person sees the entry with its writer", async () => {
    const { client } = await lapClient(h.t.app, "/mcp/lap", key);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "memory_list",
        "memory_search",
        "memory_read",
        "memory_write",
        "memory_delete",
        "start_subagent",
        "list_sessions",
        "read_session",
        "message_session",
        "request_approval",
      ]),
    );
    expect(
      textOf(
        await client.callTool({ name: "memory_write", arguments: { key: "sky", content: "The sky is green here.", always_on: true } }),
      ),
    ).toContain("Remembered sky");
    expect(textOf(await client.callTool({ name: "memory_write", arguments: { key: "sky", content: "The sky is teal here." } }))).toContain(
      "version 2",
    );
    expect(JSON.parse(textOf(await client.callTool({ name: "memory_read", arguments: { key: "sky" } })))).toMatchObject({
      key: "sky",
      content: "The sky is teal here.",
      always_on: true,
    });
    expect(textOf(await client.callTool({ name: "memory_search", arguments: { query: "teal" } }))).toContain("sky");
    const listed = await h.t.json("GET", `/api/agents/${h.agentId}/memory`);
    expect(listed.body.data).toEqual([expect.objectContaining({ key: "sky", version: 2, updated_by: `session ${parentSession}` })]);
    // Bad arguments are a tool error, writing nothing.
    const bad = (await client.callTool({ name: "memory_write", arguments: { key: "", content: "x" } })) as CallToolResult;
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain("key");
    const tooBig = (await client.callTool({
      name: "memory_write",
      arguments: { key: "big", content: "x".repeat(20_000) },
    })) as CallToolResult;
    expect(tooBig.isError).toBe(true);
    expect(textOf(tooBig)).toContain("at most 16000");
    expect((await h.t.json("GET", `/api/agents/${h.agentId}/memory`)).body.data).toHaveLength(1);
    expect(textOf(await client.callTool({ name: "memory_delete", arguments: { key: "sky" } }))).toContain("Forgot sky");
    expect((await h.t.json("GET", `/api/agents/${h.agentId}/memory?deleted=true`)).body.data[0].deleted).toBe(true);
    await client.close();
  });

  test("the aggregate /mcp offers them as lap__<tool>", async () => {
    const { client } = await lapClient(h.t.app, "/mcp", key);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("lap__memory_write");
    expect(textOf(await client.callTool({ name: "lap__memory_list", arguments: {} }))).toContain("empty");
    await client.close();
  });
});

describe("the session key as an attacker", () => {
  test("it cannot reach another agent's memory or sessions, nor /api", async () => {
    const secret = await h.t.json("POST", `/api/agents/${strangerAgent}/memory`, { body: { key: "secret", content: "stranger's secret" } });
    expect(secret.status).toBe(201);
    const { client } = await lapClient(h.t.app, "/mcp/lap", key);
    const read = (await client.callTool({ name: "memory_read", arguments: { key: "secret" } })) as CallToolResult;
    expect(read.isError).toBe(true);
    expect(textOf(await client.callTool({ name: "memory_search", arguments: { query: "stranger" } }))).not.toContain("secret");
    // Extra arguments naming another agent are refused, not obeyed.
    const smuggled = (await client.callTool({ name: "memory_list", arguments: { agent_id: strangerAgent } })) as CallToolResult;
    expect(smuggled.isError).toBe(true);
    const sessions = JSON.parse(textOf(await client.callTool({ name: "list_sessions", arguments: {} }))) as Array<{ id: string }>;
    expect(sessions.map((s) => s.id)).not.toContain(strangerSession);
    for (const name of ["read_session", "message_session"]) {
      const r = (await client.callTool({
        name,
        arguments: { session_id: strangerSession, ...(name === "message_session" ? { text: "hi" } : {}) },
      })) as CallToolResult;
      expect(r.isError, name).toBe(true);
      expect(textOf(r)).toContain("No session");
    }
    // Another person's session of the same agent: readable, not writable.
    const others = await h.t.json("POST", "/api/sessions", { body: { agent_id: h.agentId } });
    await h.t.database.query(
      "update sessions set owner_user_id = null, owner_key_id = (select id from api_keys where kind = 'session' limit 1) where id = $1",
      [others.body.id],
    );
    expect(
      ((await client.callTool({ name: "read_session", arguments: { session_id: others.body.id } })) as CallToolResult).isError,
    ).toBeFalsy();
    const written = (await client.callTool({
      name: "message_session",
      arguments: { session_id: others.body.id, text: "hi" },
    })) as CallToolResult;
    expect(written.isError).toBe(true);
    expect(textOf(written)).toContain("started by someone else");
    await client.close();
    for (const [method, path] of [
      ["GET", `/api/agents/${strangerAgent}/memory`],
      ["GET", `/api/agents/${h.agentId}/memory`],
      ["POST", `/api/agents/${h.agentId}/memory`],
      ["GET", "/api/sessions"],
    ] as const) {
      const res = await h.t.json(method, path, { key, body: method === "POST" ? { key: "x", content: "y" } : undefined });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect((await h.t.json("GET", `/api/agents/${strangerAgent}/memory`)).body.data.map((e: { key: string }) => e.key)).toEqual(["secret"]);
  });

  test("/mcp/lap answers session keys only, and not when the agent opted out; no server may be registered as lap", async () => {
    await expect(lapClient(h.t.app, "/mcp/lap", "test-master-key-0123456789")).rejects.toThrow();
    expect((await h.t.json("PATCH", `/api/agents/${strangerAgent}`, { body: { platform_tools: false } })).body.platform_tools).toBe(false);
    await expect(lapClient(h.t.app, "/mcp/lap", strangerKey)).rejects.toThrow();
    const { client } = await lapClient(h.t.app, "/mcp", strangerKey);
    expect((await client.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith("lap__"))).toEqual([]);
    await client.close();
    const reserved = await h.t.json("POST", "/api/mcp/servers", {
      body: { name: "lap", transport: "streamable-http", url: "https://mcp.example.com/" },
    });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.fields[0].field).toBe("name");
  });
});

describe("sub-agents", () => {
  test("a sub-agent runs and its reply returns to the parent; only allowed agents; the depth limit holds", async () => {
    const { client } = await lapClient(h.t.app, "/mcp/lap", key);
    const refused = (await client.callTool({ name: "start_subagent", arguments: { agent: "stranger", message: "hi" } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("your sub-agents are researcher");

    const done = JSON.parse(
      textOf(await client.callTool({ name: "start_subagent", arguments: { agent: "researcher", message: "find the answer" } })),
    );
    expect(done).toMatchObject({ agent: "researcher", status: "completed", reply: "You said: find the answer" });
    const [child] = await h.t.database.query<{ parent_session_id: string; depth: number; team_id: string; agent_id: string }>(
      "select parent_session_id, depth, team_id, agent_id from sessions where id = $1",
      [done.session_id],
    );
    expect(child).toMatchObject({ parent_session_id: parentSession, depth: 1, agent_id: childAgent });
    // The parent reads and messages its child (another agent's session it started).
    expect(
      JSON.parse(textOf(await client.callTool({ name: "read_session", arguments: { session_id: done.session_id } }))).messages.at(-1),
    ).toEqual({ from: "agent", text: "You said: find the answer" });
    expect(
      JSON.parse(textOf(await client.callTool({ name: "message_session", arguments: { session_id: done.session_id, text: "more" } }))),
    ).toMatchObject({ status: "completed", reply: "You said: more" });

    // At the depth limit a session may not start another sub-agent.
    await h.t.database.query("update sessions set depth = $2 where id = $1", [parentSession, SUBAGENT_LIMITS.maxDepth]);
    const before = (await h.t.database.query<{ n: number }>("select count(*)::int as n from sessions"))[0]!.n;
    const deep = (await client.callTool({
      name: "start_subagent",
      arguments: { agent: "researcher", message: "again" },
    })) as CallToolResult;
    expect(deep.isError).toBe(true);
    expect(textOf(deep)).toContain("depth limit");
    expect((await h.t.database.query<{ n: number }>("select count(*)::int as n from sessions"))[0]!.n).toBe(before);
    await h.t.database.query("update sessions set depth = 0 where id = $1", [parentSession]);
    await client.close();
  }, 30_000);

  test("a sub-agent's spend is charged to its parent session's key, once", async () => {
    const gw = h.t.services.gateway;
    const childSession = (await h.createSession({ agent_id: childAgent })).id;
    await h.t.database.query("update sessions set parent_session_id = $2, depth = 1 where id = $1", [childSession, parentSession]);
    await mint(childSession, childAgent);
    const childKey = (await gw.sessionKey(childSession))!;
    const parentBefore = (await gw.sessionKey(parentSession))!.spend;
    await gw.keys.charge(childKey.token_id, 0.25);
    expect(await gw.chargeParentSession(childSession, parentSession)).toBeCloseTo(0.25);
    expect(await gw.chargeParentSession(childSession, parentSession)).toBe(0);
    expect((await gw.sessionKey(parentSession))!.spend).toBeCloseTo(parentBefore + 0.25);
    // What was charged is on the child's row, so a restarted LAP (or another replica) does not charge it again;
    // concurrent charges of new spend add it once.
    expect(
      (await h.t.database.query<{ c: number }>("select charged_to_parent as c from sessions where id = $1", [childSession]))[0]!.c,
    ).toBeCloseTo(0.25);
    await gw.keys.charge(childKey.token_id, 0.5);
    const both = await Promise.all([
      gw.chargeParentSession(childSession, parentSession),
      gw.chargeParentSession(childSession, parentSession),
    ]);
    expect(both.reduce((a, b) => a + b, 0)).toBeCloseTo(0.5);
    expect((await gw.sessionKey(parentSession))!.spend).toBeCloseTo(parentBefore + 0.75);
    // A sub-agent's key may spend at most what its parent's key has left.
    expect(await parentBudgetLeft({ sessions: sessionsForSandboxes(h.t.database), gateway: gw }, childSession)).toBeUndefined();
    await gw.keys.update({ key: (await gw.sessionKey(parentSession))!.token_id, max_budget: parentBefore + 1 });
    expect(await parentBudgetLeft({ sessions: sessionsForSandboxes(h.t.database), gateway: gw }, childSession)).toBeCloseTo(0.25);
    expect(await parentBudgetLeft({ sessions: sessionsForSandboxes(h.t.database), gateway: gw }, parentSession)).toBeUndefined();
  });

  test("sub-agent ids must be agents of the same team, not the agent itself", async () => {
    for (const ids of [[h.agentId], ["agt_nope"]]) {
      const res = await h.t.json("PATCH", `/api/agents/${h.agentId}`, { body: { subagent_ids: ids } });
      expect(res.status).toBe(400);
      expect(res.body.error.fields[0].field).toBe("subagent_ids");
    }
    expect((await h.t.json("GET", `/api/agents/${h.agentId}`)).body.subagent_ids).toEqual([childAgent]);
  });
});
