import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { echoReply, type FakeStep } from "../../test/support/fake-managed-agents";

let h: SessionHarness;
beforeAll(async () => {
  h = await sessionHarness();
}, 60_000);
afterAll(() => h?.close());

const full = () => ({
  name: `agent-${crypto.randomUUID().slice(0, 8)}`,
  description: "Reviews pull requests",
  model: "claude-sonnet-4-5",
  system_prompt: "You review code.",
  runtime_id: h.runtimeId,
  harness: "opencode",
  tools: ["bash", "read"],
  mcp_servers: [{ name: "github", url: "https://mcp.example.com/github" }],
  skill_ids: [],
  rule_ids: [],
  vault_keys: ["GITHUB_TOKEN"],
  environment: { LOG_LEVEL: "debug" },
  repo_url: "https://github.com/acme/app",
  repo_branch: "main",
  max_runtime_minutes: 20,
  idle_timeout_minutes: 15,
});

describe("agents CRUD", () => {
  test("create, get, patch, list with search, delete", async () => {
    const input = full();
    const created = await h.t.json("POST", "/api/agents", { body: input });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...input, status: "active" });
    expect((await h.t.json("GET", `/api/agents/${created.body.id}`)).body).toEqual(created.body);
    const patched = await h.t.json("PATCH", `/api/agents/${created.body.id}`, {
      body: { description: "Reviews PRs", max_runtime_minutes: 5 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.description).toBe("Reviews PRs");
    expect(patched.body.max_runtime_minutes).toBe(5);
    expect(patched.body.system_prompt).toBe(input.system_prompt);
    const found = await h.t.json("GET", `/api/agents?q=${encodeURIComponent("PRs")}`);
    expect(found.body.data.map((a: { id: string }) => a.id)).toEqual([created.body.id]);
    expect((await h.t.json("GET", "/api/agents?q=nothing-like-this")).body.data).toEqual([]);
    expect((await h.t.json("DELETE", `/api/agents/${created.body.id}`)).status).toBe(200);
    expect((await h.t.json("GET", `/api/agents/${created.body.id}`)).status).toBe(404);
  });

  test("validation names each bad field and stores nothing", async () => {
    const before = (await h.t.json("GET", "/api/agents?limit=200")).body.data.length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ model: "m" }, "name"],
      [{ name: "x" }, "model"],
      [{ ...full(), max_runtime_minutes: 0 }, "max_runtime_minutes"],
      [{ ...full(), max_runtime_minutes: 1.5 }, "max_runtime_minutes"],
      [{ ...full(), mcp_servers: [{ name: "ok", url: "not a url" }] }, "mcp_servers.0.url"],
      [{ ...full(), environment: { "bad name": "x" } }, "environment.bad name"],
      [{ ...full(), repo_url: "github" }, "repo_url"],
      [{ ...full(), tools: "bash" }, "tools"],
      [{ ...full(), colour: "blue" }, ""],
    ];
    for (const [body, field] of cases) {
      const res = await h.t.json("POST", "/api/agents", { body });
      expect(res.status).toBe(400);
      if (field) expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    const noRuntime = await h.t.json("POST", "/api/agents", { body: { ...full(), runtime_id: "rt_missing" } });
    expect(noRuntime.status).toBe(400);
    expect(noRuntime.body.error.fields[0].field).toBe("runtime_id");
    const a = await h.t.json("POST", "/api/agents", { body: full() });
    expect((await h.t.json("POST", "/api/agents", { body: { ...full(), name: a.body.name } })).status).toBe(409);
    expect((await h.t.json("PATCH", `/api/agents/${a.body.id}`, { body: { model: "" } })).status).toBe(400);
    expect((await h.t.json("PATCH", "/api/agents/agt_missing", { body: { model: "m" } })).status).toBe(404);
    expect((await h.t.json("GET", "/api/agents?limit=200")).body.data.length).toBe(before + 1);
  });

  test("approval_required_tools takes well-formed tool names only: a 400 names the bad entry and nothing changes", async () => {
    const a = await h.t.json("POST", "/api/agents", {
      body: {
        ...full(),
        harness: "claude-code",
        approval_required_tools: ["bash", "Bash", "mcp__github__create_issue", "github__create_issue", "web_fetch"],
      },
    });
    expect(a.status).toBe(201);
    expect(a.body.approval_required_tools).toEqual(["bash", "Bash", "mcp__github__create_issue", "github__create_issue", "web_fetch"]);
    // `-`, `mcp__`, `__bash`, `bash.` and `::` passed the old check (those characters in any order) but name no tool.
    for (const bad of ["rm -rf", "", "-", "mcp__", "__bash", "bash.", "::", "x".repeat(129)]) {
      const created = await h.t.json("POST", "/api/agents", { body: { ...full(), approval_required_tools: ["read", bad] } });
      expect(created.status).toBe(400);
      expect(created.body.error.fields.map((f: { field: string }) => f.field)).toEqual(["approval_required_tools.1"]);
      const patched = await h.t.json("PATCH", `/api/agents/${a.body.id}`, { body: { approval_required_tools: [bad] } });
      expect(patched.status).toBe(400);
      expect(patched.body.error.fields[0].field).toBe("approval_required_tools.0");
    }
    expect((await h.t.json("GET", `/api/agents/${a.body.id}`)).body.approval_required_tools).toEqual(a.body.approval_required_tools);
  });

  test("pause refuses new sessions and messages until resumed", async () => {
    const a = (await h.t.json("POST", "/api/agents", { body: full() })).body;
    const s = await h.createSession({ agent_id: a.id });
    await h.waitForStatus(s.id, "idle");
    expect((await h.t.json("POST", `/api/agents/${a.id}/pause`)).body.status).toBe("paused");
    const refused = await h.t.json("POST", "/api/sessions", { body: { agent_id: a.id } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain("paused");
    expect((await h.send(s.id, "hi")).status).toBe(409);
    expect((await h.t.json("POST", `/api/agents/${a.id}/resume`)).body.status).toBe("active");
    expect((await h.send(s.id, "hi")).status).toBe(202);
  });

  test("deleting an agent stops its sessions and their runtime sessions", async () => {
    h.fake.reply = () => [
      { event: { type: "session.status_running" } },
      ...Array.from(
        { length: 100 },
        () => [{ delay: 30 }, { event: { type: "agent.message", content: [{ type: "text", text: "." }] } }] as FakeStep[],
      ).flat(),
    ];
    const a = (await h.t.json("POST", "/api/agents", { body: full() })).body;
    const s = await h.createSession({ agent_id: a.id, prompt: "work" });
    await h.waitForEvent(s.id, (e) => e.type === "agent.message");
    const remote = (
      await h.t.database.query<{ remote_session_id: string }>("select remote_session_id from sessions where id = $1", [s.id])
    )[0]!.remote_session_id;
    expect((await h.t.json("DELETE", `/api/agents/${a.id}`)).status).toBe(200);
    const after = (await h.t.json("GET", `/api/sessions/${s.id}`)).body;
    expect(after.status).toBe("stopped");
    expect(after.agent_id).toBeNull();
    expect(h.fake.sessions.has(remote)).toBe(false);
    h.fake.reply = (text) => echoReply(text);
  });

  test("a user key in no team can use agents but not register runtimes", async () => {
    const { body } = await h.t.json("POST", "/api/keys", { body: { label: "dev", role: "user" } });
    expect((await h.t.json("GET", "/api/agents", { key: body.token })).status).toBe(200);
    expect(
      (
        await h.t.json("POST", "/api/runtimes", {
          key: body.token,
          body: { alias: "mine", base_url: "https://rt.example.com", api_key: "k" },
        })
      ).status,
    ).toBe(403);
  });
});
