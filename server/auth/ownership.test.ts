/**
 * Scoping of `user` keys (issue 15, item 3): a user key sees and acts only on the agents and sessions
 * it created; another's are 404; vault secrets are attached only by admins; approvals are decided only
 * by the session's owner or an admin, never by a key bound to a session; the live status stream and a
 * session's stream carry only what the caller may see. The route walk (server/http/route-policy.test.ts)
 * covers every route; this file covers what a walk cannot: the owner's own path and the details.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { TEST_MASTER_KEY } from "../../test/support/app";
import { askReply } from "../../test/support/fake-managed-agents";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { makeTeamKey } from "../../test/support/teams";

let h: SessionHarness;
const keys = { a: "", b: "", bound: "" };
let agentA = "";

beforeAll(async () => {
  h = await sessionHarness({
    session: { heartbeatMs: 200 },
    fake: {
      reply: (text) =>
        text.startsWith("run ")
          ? askReply("bash", { command: text.slice(4) })
          : [{ event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } }],
    },
  });
  // Each key is a team key of a team of its own (what migration 0006 made of every user key).
  const key = async (label: string, metadata?: Record<string, unknown>) => (await makeTeamKey(h.t, label, metadata)).key;
  keys.a = await key("alice");
  keys.b = await key("bob");
  // A user key whose metadata binds it to a session (how a script might pose as one): it never decides.
  keys.bound = await key("bound", { session_id: "ses-anything" });
  await h.t.json("POST", "/api/vault", { body: { name: "GITHUB_TOKEN", value: "ghp_secret", hosts: ["api.github.com"] } });
  const agent = await h.t.json("POST", "/api/agents", {
    key: keys.a,
    body: { name: "alice-agent", model: "claude-sonnet-4-5", runtime_id: h.runtimeId, approval_required_tools: ["bash"] },
  });
  expect(agent.status).toBe(201);
  agentA = agent.body.id;
}, 60_000);
afterAll(() => h?.close());

const as = (key: string) => ({ key });

describe("agents", () => {
  test("the owner reads, changes, pauses and resumes its agent; another user key gets 404 for each and changes nothing", async () => {
    const t = h.t;
    expect((await t.json("GET", `/api/agents/${agentA}`, as(keys.a))).status).toBe(200);
    const changed = await t.json("PATCH", `/api/agents/${agentA}`, {
      ...as(keys.a),
      body: { description: "mine", egress_allow_hosts: ["api.github.com"], approval_required_tools: ["bash", "write"] },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      description: "mine",
      egress_allow_hosts: ["api.github.com"],
      approval_required_tools: ["bash", "write"],
    });
    expect((await t.json("POST", `/api/agents/${agentA}/pause`, as(keys.a))).body.status).toBe("paused");
    expect((await t.json("POST", `/api/agents/${agentA}/resume`, as(keys.a))).body.status).toBe("active");
    for (const [method, path, body] of [
      ["GET", `/api/agents/${agentA}`, undefined],
      ["PATCH", `/api/agents/${agentA}`, { approval_required_tools: [] }],
      ["POST", `/api/agents/${agentA}/pause`, undefined],
      ["DELETE", `/api/agents/${agentA}`, undefined],
    ] as const) {
      const res = await t.json(method, path, { ...as(keys.b), body });
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe("Agent not found");
    }
    expect((await t.json("GET", `/api/agents/${agentA}`)).body).toMatchObject({
      approval_required_tools: ["bash", "write"],
      status: "active",
    });
  });

  test("only an admin attaches a vault secret; the owner keeps or drops it but cannot add it back", async () => {
    const t = h.t;
    const denied = await t.json("PATCH", `/api/agents/${agentA}`, { ...as(keys.a), body: { vault_keys: ["GITHUB_TOKEN"] } });
    expect(denied.status).toBe(403);
    expect(denied.body.error.fields).toEqual([{ field: "vault_keys", message: "only an admin attaches vault secrets" }]);
    const created = await t.json("POST", "/api/agents", {
      ...as(keys.a),
      body: { name: "sneaky", model: "m", vault_keys: ["GITHUB_TOKEN"] },
    });
    expect(created.status).toBe(403);
    expect((await t.json("GET", "/api/agents", as(keys.a))).body.data.map((a: { name: string }) => a.name)).not.toContain("sneaky");

    expect((await t.json("PATCH", `/api/agents/${agentA}`, { body: { vault_keys: ["GITHUB_TOKEN"] } })).status).toBe(200);
    expect(
      (await t.json("PATCH", `/api/agents/${agentA}`, { ...as(keys.a), body: { vault_keys: ["GITHUB_TOKEN"], description: "kept" } }))
        .status,
    ).toBe(200);
    expect((await t.json("PATCH", `/api/agents/${agentA}`, { ...as(keys.a), body: { vault_keys: [] } })).body.vault_keys).toEqual([]);
    expect((await t.json("PATCH", `/api/agents/${agentA}`, { ...as(keys.a), body: { vault_keys: ["GITHUB_TOKEN"] } })).status).toBe(403);
  });

  test("a session on another's agent is refused as if the agent did not exist", async () => {
    const res = await h.t.json("POST", "/api/sessions", { ...as(keys.b), body: { agent_id: h.agentId } });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0]).toMatchObject({ field: "agent_id" });
  });
});

describe("sessions and approvals", () => {
  test("the owner decides its session's approval; another user key and a bound key cannot", async () => {
    const t = h.t;
    const s = await t.json("POST", "/api/sessions", { ...as(keys.a), body: { agent_id: agentA, prompt: "run date" } });
    expect(s.status).toBe(201);
    const approval = await h.waitFor(
      "the approval",
      async () => (await t.json("GET", `/api/approvals?session_id=${s.body.id}`, as(keys.a))).body.data[0],
    );
    await h.waitForStatus(s.body.id, "awaiting_approval");
    expect((await t.json("POST", `/api/approvals/${approval.id}/decision`, { ...as(keys.b), body: { decision: "allow" } })).status).toBe(
      404,
    );
    expect((await t.json("GET", `/api/approvals/${approval.id}`, as(keys.b))).status).toBe(404);
    const bound = await t.json("POST", `/api/approvals/${approval.id}/decision`, { ...as(keys.bound), body: { decision: "allow" } });
    expect(bound.status).toBe(404);
    expect((await t.json("GET", `/api/approvals/${approval.id}`)).body.status).toBe("pending");

    const decided = await t.json("POST", `/api/approvals/${approval.id}/decision`, {
      ...as(keys.a),
      body: { decision: "deny", message: "no" },
    });
    expect(decided.status).toBe(200);
    expect(decided.body.approval).toMatchObject({ status: "denied", decided_by: "alice" });
  });

  test("a key bound to a session may not decide even the approvals of sessions it created", async () => {
    const t = h.t;
    const agent = await t.json("POST", "/api/agents", {
      ...as(keys.bound),
      body: { name: "bound-agent", model: "m", runtime_id: h.runtimeId, approval_required_tools: ["bash"] },
    });
    const s = await t.json("POST", "/api/sessions", { ...as(keys.bound), body: { agent_id: agent.body.id, prompt: "run id" } });
    const approval = await h.waitFor(
      "the approval",
      async () => (await t.json("GET", `/api/approvals?session_id=${s.body.id}`, as(keys.bound))).body.data[0],
    );
    const res = await t.json("POST", `/api/approvals/${approval.id}/decision`, { ...as(keys.bound), body: { decision: "allow" } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe("A key bound to a session or an agent may not decide approvals");
    expect((await t.json("GET", `/api/approvals/${approval.id}`)).body.status).toBe("pending");
  });

  test("another user key cannot read a session's events, stream it, or get a stream token for it", async () => {
    const t = h.t;
    const s = (await t.json("POST", "/api/sessions", { ...as(keys.a), body: { agent_id: agentA } })).body;
    expect((await t.json("GET", `/api/sessions/${s.id}/events`, as(keys.b))).status).toBe(404);
    expect((await t.json("POST", `/api/sessions/${s.id}/stream-token`, as(keys.b))).status).toBe(404);
    const sse = await fetch(`${h.url}/api/sessions/${s.id}/stream`, { headers: { authorization: `Bearer ${keys.b}` } });
    expect(sse.status).toBe(404);
    // The owner's stream token opens this session's stream, and nothing else.
    const token = (await t.json("POST", `/api/sessions/${s.id}/stream-token`, as(keys.a))).body.token;
    const ok = await fetch(`${h.url}/api/sessions/${s.id}/stream?token=${encodeURIComponent(token)}`);
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    expect((await fetch(`${h.url}/api/sessions/${s.id}/events?token=${encodeURIComponent(token)}`)).status).toBe(401);

    // The WebSocket form of the stream: the owner opens it; another user key and the session's own key do not.
    const sessionKey = (await t.services.gateway.mintSessionKey({ sessionId: s.id, agentId: agentA, models: ["claude-sonnet-4-5"] })).key;
    const tryOpen = (key: string) =>
      new Promise<"open" | "refused">((resolve) => {
        const ws = new WebSocket(`${h.url.replace("http", "ws")}/api/sessions/${s.id}/stream`, {
          headers: { authorization: `Bearer ${key}` },
        } as never);
        const timer = setTimeout(() => resolve("refused"), 5_000);
        ws.onopen = () => (clearTimeout(timer), ws.close(), resolve("open"));
        ws.onerror = () => (clearTimeout(timer), resolve("refused"));
      });
    expect(await tryOpen(keys.a)).toBe("open");
    expect(await tryOpen(keys.b)).toBe("refused");
    expect(await tryOpen(sessionKey)).toBe("refused");
  });

  test("the live status stream tells a user key only about its own sessions", async () => {
    const t = h.t;
    const read = async (key: string) => {
      const res = await fetch(`${h.url}/api/sessions/stream`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let text = "";
      const done = (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      })();
      return {
        text: () => text,
        close: async () => {
          await reader.cancel().catch(() => {});
          await done;
        },
      };
    };
    const a = await read(keys.a);
    const b = await read(keys.b);
    const admin = await read(TEST_MASTER_KEY);
    const s = (await t.json("POST", "/api/sessions", { ...as(keys.a), body: { agent_id: agentA } })).body;
    await h.waitFor("A hears of its session", async () => a.text().includes(s.id));
    await h.waitFor("the admin hears of it", async () => admin.text().includes(s.id));
    await Bun.sleep(300);
    expect(b.text()).not.toContain(s.id);
    expect(a.text()).not.toContain("owner_key_id");
    await Promise.all([a.close(), b.close(), admin.close()]);
  });
});
