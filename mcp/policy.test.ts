import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../test/support/app";
import { everythingStdio, lapClient } from "../test/support/mcp";
import { ACCESS_DENIED } from "./proxy/call-tool";

/**
 * Access policy and the call log, through the real proxy with the SDK Client: grants to keys, users
 * and agents; tools/list shows only what may be called; denied calls are JSON-RPC errors and logged.
 */
let t: TestApp;
const ids: Record<string, string> = {};
const keys: Record<string, string> = {};
const clients: Array<{ close(): Promise<void> }> = [];

async function key(label: string, metadata?: Record<string, string>) {
  const res = await t.json("POST", "/api/keys", { body: { label, role: "user", metadata } });
  expect(res.status).toBe(201);
  ids[label] = res.body.key.id;
  return res.body.token as string;
}

async function grant(body: Record<string, unknown>) {
  const res = await t.json("POST", "/api/mcp/grants", { body });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function connect(path: string, k: string) {
  const c = await lapClient(t.app, path, k);
  clients.push(c.client);
  return c.client;
}

const toolNames = async (path: string, k: string) => (await (await connect(path, k)).listTools()).tools.map((x) => x.name).sort();

beforeAll(async () => {
  t = await createTestApp();
  for (const name of ["ev", "ev2"]) {
    const res = await t.json("POST", "/api/mcp/servers", { body: { name, ...everythingStdio(), disabled_tools: ["get-env"] } });
    ids[name] = res.body.id;
  }
  keys.a = await key("a", { session_id: "ses-1" });
  keys.b = await key("b", { user_id: "alice" });
  keys.c = await key("c", { agent_id: "agent-7" });
  keys.d = await key("d");
  ids.grantA = await grant({ server_id: ids.ev, subject_type: "key", subject_id: ids.a, tools: ["echo", "get-env"] });
  await grant({ server_id: ids.ev, subject_type: "user", subject_id: "alice" });
  await grant({ server_id: ids.ev2, subject_type: "agent", subject_id: "agent-7", tools: ["get-sum"] });
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.close();
});

describe("tools/list shows only what the caller may call", () => {
  test("a key granted two tools sees one (the other is disabled on the server)", async () => {
    expect(await toolNames("/mcp/ev", keys.a!)).toEqual(["echo"]);
    expect(await toolNames("/mcp", keys.a!)).toEqual(["ev__echo"]);
  });

  test("a grant to the key's user gives every enabled tool", async () => {
    const names = await toolNames("/mcp/ev", keys.b!);
    expect(names).toContain("echo");
    expect(names).toContain("get-sum");
    expect(names).not.toContain("get-env");
  });

  test("a grant to the key's agent works, on its server only", async () => {
    expect(await toolNames("/mcp", keys.c!)).toEqual(["ev2__get-sum"]);
    await expect(connect("/mcp/ev", keys.c!)).rejects.toThrow(/404|not granted/);
  });

  test("a key without grants sees nothing and cannot open a server", async () => {
    expect(await toolNames("/mcp", keys.d!)).toEqual([]);
    await expect(connect("/mcp/ev", keys.d!)).rejects.toThrow(/404|not granted/);
  });

  test("admin keys see every enabled tool, but not disabled ones", async () => {
    const names = await toolNames("/mcp", TEST_MASTER_KEY);
    expect(names).toContain("ev__echo");
    expect(names).toContain("ev2__get-sum");
    expect(names).not.toContain("ev__get-env");
  });
});

describe("denied calls", () => {
  test("calling an ungranted tool is a JSON-RPC error, logged with the caller and session", async () => {
    const client = await connect("/mcp/ev", keys.a!);
    const ok = await client.callTool({ name: "echo", arguments: { message: "allowed" } });
    expect(ok.content).toEqual([{ type: "text", text: "Echo: allowed" }]);
    const err = await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } }).catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ACCESS_DENIED);
    expect((err as McpError).message).toContain("get-sum");
    const disabled = await client.callTool({ name: "get-env", arguments: {} }).catch((e) => e);
    expect((disabled as McpError).code).toBe(ACCESS_DENIED);

    const calls = (await t.json("GET", "/api/mcp/calls?session_id=ses-1")).body.data;
    const byTool = Object.fromEntries(calls.map((c: { tool: string }) => [c.tool, c]));
    expect(byTool.echo).toMatchObject({
      status: "ok",
      server_name: "ev",
      key_id: ids.a,
      caller_label: "a",
      session_id: "ses-1",
      arguments: null,
      result: null,
    });
    expect(byTool["get-sum"]).toMatchObject({ status: "denied", key_id: ids.a, session_id: "ses-1" });
    expect(byTool["get-env"]).toMatchObject({ status: "denied" });
    expect(typeof byTool.echo.duration_ms).toBe("number");
  });

  test("admins are refused disabled tools too", async () => {
    const client = await connect("/mcp/ev", TEST_MASTER_KEY);
    const err = await client.callTool({ name: "get-env", arguments: {} }).catch((e) => e);
    expect((err as McpError).code).toBe(ACCESS_DENIED);
  });

  test("revoking a grant takes effect on open sessions", async () => {
    const client = await connect("/mcp/ev", keys.a!);
    expect((await client.listTools()).tools.length).toBe(1);
    expect((await t.json("DELETE", `/api/mcp/grants/${ids.grantA}`)).status).toBe(200);
    expect((await client.listTools()).tools).toEqual([]);
    const err = await client.callTool({ name: "echo", arguments: { message: "x" } }).catch((e) => e);
    expect((err as McpError).code).toBe(ACCESS_DENIED);
    await grant({ server_id: ids.ev, subject_type: "key", subject_id: ids.a, tools: ["echo"] });
  });
});

describe("session keys: exactly their agent's MCP servers", () => {
  const sessionKey = async (sessionId: string, agentId: string, mcpServers: string[]) =>
    (await t.services.gateway.mintSessionKey({ sessionId, agentId, models: ["m"], mcpServers })).key;

  test("a session key sees every enabled tool of its agent's servers and nothing else, whatever the agent is granted", async () => {
    // agent-7 has a grant on ev2 (get-sum); its session lists only ev.
    const k = await sessionKey("ses-scope", "agent-7", ["ev"]);
    const names = await toolNames("/mcp", k);
    expect(names).toContain("ev__echo");
    expect(names).toContain("ev__get-sum");
    expect(names).not.toContain("ev__get-env");
    expect(names.some((n) => n.startsWith("ev2__"))).toBe(false);
    await expect(connect("/mcp/ev2", k)).rejects.toThrow(/404|not granted/);

    const client = await connect("/mcp", k);
    const err = await client.callTool({ name: "ev2__get-sum", arguments: { a: 1, b: 2 } }).catch((e) => e);
    expect((err as McpError).code).toBe(ACCESS_DENIED);
    expect((await client.callTool({ name: "ev__echo", arguments: { message: "in scope" } })).content).toEqual([
      { type: "text", text: "Echo: in scope" },
    ]);
    const calls = (await t.json("GET", "/api/mcp/calls?session_id=ses-scope")).body.data;
    const byTool = Object.fromEntries(calls.map((c: { tool: string }) => [c.tool, c]));
    expect(byTool["get-sum"]).toMatchObject({ status: "denied", server_name: "ev2", session_id: "ses-scope", agent_id: "agent-7" });
    expect(byTool.echo).toMatchObject({ status: "ok", server_name: "ev", session_id: "ses-scope", agent_id: "agent-7" });
  });

  test("a grant to the agent on a listed server narrows its sessions to those tools", async () => {
    await grant({ server_id: ids.ev, subject_type: "agent", subject_id: "agent-narrow", tools: ["echo"] });
    const names = await toolNames("/mcp", await sessionKey("ses-narrow", "agent-narrow", ["ev", "ev2"]));
    expect(names.filter((n) => n.startsWith("ev__"))).toEqual(["ev__echo"]);
    // ev2 has no grant to narrow it: the whole server (less its disabled tools).
    expect(names).toContain("ev2__get-sum");
    expect(names).toContain("ev2__echo");
    expect(names).not.toContain("ev2__get-env");
  });

  test("a session key with no MCP servers sees none", async () => {
    expect(await toolNames("/mcp", await sessionKey("ses-none", "agent-7", []))).toEqual([]);
  });
});

describe("resources and prompts follow the server grant", () => {
  test("granted: listed and readable; revoked mid-session: JSON-RPC access errors, logged", async () => {
    const k = await key("res", { session_id: "ses-res" });
    const grantId = await grant({ server_id: ids.ev, subject_type: "key", subject_id: ids.res, tools: ["echo"] });
    const all = await connect("/mcp", k);
    const one = await connect("/mcp/ev", k);
    const resources = (await all.listResources()).resources;
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((r) => r.name.startsWith("ev__"))).toBe(true);
    const uri = resources[0]!.uri;
    expect((await all.readResource({ uri })).contents.length).toBeGreaterThan(0);
    expect((await all.listPrompts()).prompts.map((p) => p.name)).toContain("ev__simple-prompt");
    expect((await one.getPrompt({ name: "simple-prompt" })).messages.length).toBeGreaterThan(0);
    // ev2 was never granted: its prompts are not listed, and asking for one is an access error.
    expect((await all.listPrompts()).prompts.some((p) => p.name.startsWith("ev2__"))).toBe(false);
    const never = await all.getPrompt({ name: "ev2__simple-prompt" }).catch((e) => e);
    expect((never as McpError).code).toBe(ACCESS_DENIED);

    expect((await t.json("DELETE", `/api/mcp/grants/${grantId}`)).status).toBe(200);
    for (const attempt of [
      all.readResource({ uri }),
      all.getPrompt({ name: "ev__simple-prompt" }),
      one.getPrompt({ name: "simple-prompt" }),
      one.listPrompts(),
      one.listResources(),
      one.readResource({ uri }),
    ]) {
      const err = await attempt.then(
        () => null,
        (e) => e,
      );
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).code).toBe(ACCESS_DENIED);
    }
    expect((await all.listResources()).resources).toEqual([]);
    const calls = (await t.json("GET", "/api/mcp/calls?session_id=ses-res&status=denied")).body.data as {
      tool: string;
      server_name: string;
    }[];
    const items = calls.map((c) => `${c.server_name} ${c.tool}`);
    expect(items).toContain(`ev resource:${uri}`);
    expect(items).toContain("ev prompt:simple-prompt");
    expect(items).toContain("ev2 prompt:simple-prompt");
    expect(items).toContain("ev prompts/list");
  });
});

describe("sessions belong to their key", () => {
  test("another key presenting the session id gets 404", async () => {
    const { client, transport } = await lapClient(t.app, "/mcp/ev", keys.b!);
    clients.push(client);
    const sessionId = transport.sessionId!;
    expect(sessionId).toBeTruthy();
    const res = await t.request("POST", "/mcp/ev", {
      key: keys.a!,
      headers: { "mcp-session-id": sessionId, accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18" },
      body: { jsonrpc: "2.0", id: 1, method: "tools/list" },
    });
    expect(res.status).toBe(404);
  });
});

describe("payload logging", () => {
  test("arguments and results are stored only when the server enables it", async () => {
    await t.json("PATCH", `/api/mcp/servers/${ids.ev}`, { body: { log_payloads: true } });
    const client = await connect("/mcp/ev", keys.b!);
    await client.callTool({ name: "echo", arguments: { message: "keep me" } });
    const [latest] = (await t.json("GET", "/api/mcp/calls?server=ev&status=ok&limit=1")).body.data;
    expect(latest.arguments).toEqual({ message: "keep me" });
    expect(JSON.stringify(latest.result)).toContain("Echo: keep me");
    expect(latest.user_id).toBe("alice");
  });
});

describe("grant validation", () => {
  test("bad grants are 400 naming the field; unknown server 404; duplicate 409", async () => {
    const bad = await t.json("POST", "/api/mcp/grants", { body: { server_id: ids.ev, subject_type: "group", subject_id: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toContain("subject_type");
    const empty = await t.json("POST", "/api/mcp/grants", { body: { server_id: ids.ev, subject_type: "key", subject_id: "k", tools: [] } });
    expect(empty.status).toBe(400);
    expect((await t.json("POST", "/api/mcp/grants", { body: { server_id: "nope", subject_type: "key", subject_id: "x" } })).status).toBe(
      404,
    );
    expect(
      (await t.json("POST", "/api/mcp/grants", { body: { server_id: ids.ev, subject_type: "user", subject_id: "alice" } })).status,
    ).toBe(409);
  });
});
