import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { FakeManagedAgents } from "../../test/support/fake-managed-agents";
import { ManagedAgentsAdapter, normalizeRuntimeEvent } from "./managed-agents";

let t: TestApp;
let fake: FakeManagedAgents;
beforeAll(async () => {
  t = await createTestApp();
  fake = new FakeManagedAgents({ apiKey: "rt-secret-key-abcdef" }).start();
}, 60_000);
afterAll(async () => {
  await fake?.stop();
  await t?.close();
});

describe("runtime registry", () => {
  test("add stores the key encrypted and never returns it; test records ok; remove deletes", async () => {
    const created = await t.json("POST", "/api/runtimes", { body: { alias: "claude", base_url: `${fake.url}/`, api_key: fake.apiKey } });
    expect(created.status).toBe(201);
    expect(created.body.base_url).toBe(fake.url);
    expect(created.body.api_key_hint).toBe("…cdef");
    expect(JSON.stringify(created.body)).not.toContain(fake.apiKey);
    const [row] = await t.database.query<{ api_key_sealed: string }>("select api_key_sealed from runtimes where id = $1", [
      created.body.id,
    ]);
    expect(row!.api_key_sealed).toStartWith("v1.");
    expect(row!.api_key_sealed).not.toContain(fake.apiKey);
    const listed = await t.json("GET", "/api/runtimes");
    expect(JSON.stringify(listed.body)).not.toContain(fake.apiKey);

    const tested = await t.json("POST", `/api/runtimes/${created.body.id}/test`);
    expect(tested.body.status).toBe("ok");
    expect(fake.requests).toContain("GET /v1/agents");

    expect((await t.json("DELETE", `/api/runtimes/${created.body.id}`)).status).toBe(200);
    expect((await t.json("GET", `/api/runtimes/${created.body.id}`)).status).toBe(404);
  });

  test("test with a wrong key or an unreachable URL records the error", async () => {
    const wrong = await t.json("POST", "/api/runtimes", { body: { alias: "wrong-key", base_url: fake.url, api_key: "nope-nope-nope" } });
    const r1 = await t.json("POST", `/api/runtimes/${wrong.body.id}/test`);
    expect(r1.body.status).toBe("error");
    expect(r1.body.status_message).toContain("401");
    const down = await t.json("POST", "/api/runtimes", { body: { alias: "down", base_url: "http://127.0.0.1:9", api_key: "k" } });
    const r2 = await t.json("POST", `/api/runtimes/${down.body.id}/test`);
    expect(r2.body.status).toBe("error");
    expect(r2.body.status_message).toContain("unreachable");
  });

  test("bad input is a 400 naming the field, duplicates are 409, and nothing is stored", async () => {
    const before = (await t.json("GET", "/api/runtimes")).body.data.length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ base_url: fake.url, api_key: "k" }, "alias"],
      [{ alias: "has space", base_url: fake.url, api_key: "k" }, "alias"],
      [{ alias: "x", base_url: "ftp://x", api_key: "k" }, "base_url"],
      [{ alias: "x", base_url: fake.url }, "api_key"],
      [{ alias: "x", base_url: fake.url, api_key: "k", protocol: "grpc" }, "protocol"],
    ];
    for (const [body, field] of cases) {
      const res = await t.json("POST", "/api/runtimes", { body });
      expect(res.status).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    await t.json("POST", "/api/runtimes", { body: { alias: "dup", base_url: fake.url, api_key: "k" } });
    expect((await t.json("POST", "/api/runtimes", { body: { alias: "dup", base_url: fake.url, api_key: "k" } })).status).toBe(409);
    expect((await t.json("GET", "/api/runtimes")).body.data.length).toBe(before + 1);
  });

  test("org-wide ones are admin only to manage; a user key lists what it may use, without URLs or key hints", async () => {
    const { body } = await t.json("POST", "/api/keys", { body: { label: "user key", role: "user" } });
    const res = await t.json("GET", "/api/runtimes", { key: body.token });
    expect(res.status).toBe(200);
    for (const r of res.body.data as Array<{ base_url: string; api_key_hint: string }>)
      expect([r.base_url, r.api_key_hint]).toEqual(["", ""]);
    expect(
      (await t.json("POST", "/api/runtimes", { key: body.token, body: { alias: "x", base_url: "https://x.example", api_key: "k" } }))
        .status,
    ).toBe(403);
    const made = await t.json("POST", "/api/runtimes", { body: { alias: "listed-for-users", base_url: fake.url, api_key: fake.apiKey } });
    const listed = (await t.json("GET", "/api/runtimes", { key: body.token })).body.data as Array<{ id: string; base_url: string }>;
    expect(listed.find((r) => r.id === made.body.id)).toMatchObject({ base_url: "" });
    expect((await t.json("GET", `/api/runtimes/${made.body.id}`, { key: body.token })).body).toMatchObject({
      base_url: "",
      api_key_hint: "",
    });
    expect((await t.json("POST", `/api/runtimes/${made.body.id}/test`, { key: body.token })).status).toBe(403);
    expect((await t.json("DELETE", `/api/runtimes/${made.body.id}`, { key: body.token })).status).toBe(403);
    expect((await t.json("GET", `/api/runtimes/${made.body.id}`)).status).toBe(200);
  });
});

describe("Managed Agents adapter", () => {
  test("sends the protocol headers and reuses the remote agent while the definition is unchanged", async () => {
    const adapter = new ManagedAgentsAdapter({ baseUrl: fake.url, apiKey: fake.apiKey });
    const def = {
      id: "agt_1",
      name: "a",
      description: "",
      model: "m",
      systemPrompt: "s",
      tools: [],
      approvalRequiredTools: [],
      mcpServers: [],
      environment: {},
      repoUrl: null,
      repoBranch: null,
    };
    const first = await adapter.ensureAgent(def, null);
    expect(first.reused).toBe(false);
    const again = await adapter.ensureAgent(def, first);
    expect(again.reused).toBe(true);
    expect(again.remoteAgentId).toBe(first.remoteAgentId);
    const changed = await adapter.ensureAgent({ ...def, systemPrompt: "other" }, first);
    expect(changed.reused).toBe(false);
    expect(changed.remoteAgentId).not.toBe(first.remoteAgentId);
    expect(await adapter.sessionState("sesn_missing")).toBe("missing");
  });

  test("normalizes runtime events and drops what LAP does not surface", () => {
    expect(normalizeRuntimeEvent({ type: "agent.mcp_tool_use", id: "e1", name: "search", input: { q: 1 } })).toEqual({
      // A tool_use keeps its event id: confirmations and requires_action name it.
      event: { type: "agent.tool_use", id: "e1", name: "search", input: { q: 1 } },
      providerEventId: "e1",
    });
    expect(
      normalizeRuntimeEvent({ type: "agent.tool_use", id: "e5", name: "bash", input: {}, evaluated_permission: "ask" })!.event,
    ).toMatchObject({ id: "e5", evaluated_permission: "ask" });
    expect(
      normalizeRuntimeEvent({ type: "user.tool_confirmation", id: "e6", tool_use_id: "e5", result: "deny", deny_message: "no" })!.event,
    ).toEqual({
      type: "user.tool_confirmation",
      tool_use_id: "e5",
      result: "deny",
      deny_message: "no",
    });
    expect(normalizeRuntimeEvent({ type: "session.status_terminated", id: "e2" })!.event).toEqual({
      type: "session.error",
      error: { message: "The runtime terminated the session" },
    });
    expect(normalizeRuntimeEvent({ type: "span.model_request_start", id: "e3" })).toBeNull();
    expect(normalizeRuntimeEvent({ type: "agent.message", id: "e4" })).toBeNull();
  });
});
