/**
 * Tool approvals through the HTTP API on the real sessions service and database, with the fake
 * Managed Agents runtime asking (`agent.tool_use` with evaluated_permission "ask", then idle with
 * requires_action) and receiving the `user.tool_confirmation` LAP sends back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { askReply } from "../../test/support/fake-managed-agents";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import type { StoredEvent } from "../sessions/model";

let h: SessionHarness;
beforeAll(async () => {
  h = await sessionHarness({
    agent: { approval_required_tools: ["bash"] },
    fake: {
      reply: (text) =>
        text.startsWith("run ")
          ? askReply("bash", { command: text.slice(4) })
          : [{ event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } }],
    },
  });
}, 60_000);
afterAll(() => h?.close());

const pendingFor = async (sessionId: string) =>
  (await h.t.json("GET", `/api/approvals?status=pending&session_id=${sessionId}`)).body.data as any[];
const idles = (events: StoredEvent[]) => events.filter((e) => e.type === "session.status_idle");

/** A session whose agent asked to run `command`; returns the session id and the approval. */
async function asked(command: string) {
  const s = await h.createSession({ prompt: `run ${command}` });
  const approval = await h.waitFor("an approval", async () => (await pendingFor(s.id))[0]);
  // Not plainly idle: the session waits for a person's decision.
  await h.waitForStatus(s.id, "awaiting_approval");
  return { sessionId: s.id as string, approval };
}

describe("an agent asks before running a tool", () => {
  test("the ask becomes one pending approval and the turn ends with requires_action", async () => {
    const { sessionId, approval } = await asked("ls -la");
    // The runtime was told: its agent has bash as always_ask.
    const agents = [...h.fake.agents.values()] as Array<{ tools: Array<{ configs?: unknown }> }>;
    expect(agents.at(-1)!.tools[0]!.configs).toEqual([{ name: "bash", permission_policy: { type: "always_ask" } }]);
    expect(approval).toMatchObject({
      session_id: sessionId,
      agent_id: h.agentId,
      tool_name: "bash",
      input: { command: "ls -la" },
      status: "pending",
      decided_by: null,
    });
    const events = await h.events(sessionId);
    expect(approval.event_seq).toBe(events.find((e) => e.type === "agent.tool_use")!.seq);
    const listed = (await h.t.json("GET", "/api/sessions?limit=200")).body.data.find((x: { id: string }) => x.id === sessionId);
    expect(listed.status).toBe("awaiting_approval");
    const idle = idles(events).at(-1)!;
    expect(idle.data.stop_reason).toEqual({ type: "requires_action", event_ids: [approval.tool_use_id] });
    expect(events.find((e) => e.type === "agent.tool_use")!.data.evaluated_permission).toBe("ask");
    expect((await h.t.json("GET", `/api/approvals/${approval.id}`)).body.id).toBe(approval.id);
    expect((await h.t.json("GET", "/api/approvals/summary")).body.pending).toBeGreaterThanOrEqual(1);
  });

  test("allow queues a confirmation turn: the runtime runs the tool and the reply streams; a second decision is 409", async () => {
    const { sessionId, approval } = await asked("echo hi");
    const decided = await h.t.json("POST", `/api/approvals/${approval.id}/decision`, { body: { decision: "allow" } });
    expect(decided.status).toBe(200);
    expect(decided.body.approval).toMatchObject({ status: "allowed", decided_by: "master key" });
    await h.waitFor("the confirmed turn", async () => idles(await h.events(sessionId)).length === 2);
    await h.waitForStatus(sessionId, "idle");
    const events = await h.events(sessionId);
    const confirmation = events.find((e) => e.type === "user.tool_confirmation")!;
    expect(confirmation.data).toMatchObject({
      tool_use_id: approval.tool_use_id,
      tool_use_seq: approval.event_seq,
      result: "allow",
      approval_id: approval.id,
      decided_by: "master key",
    });
    expect(confirmation.turn_id).toBe(decided.body.turn_id);
    expect(events.find((e) => e.type === "agent.tool_result")!.data).toMatchObject({ tool_use_id: approval.tool_use_id, is_error: false });
    expect(h.fake.confirmations).toContainEqual({ tool_use_id: approval.tool_use_id, result: "allow" });
    // The runtime's echo of the confirmation is not stored a second time.
    expect(events.filter((e) => e.type === "user.tool_confirmation")).toHaveLength(1);

    const again = await h.t.json("POST", `/api/approvals/${approval.id}/decision`, { body: { decision: "deny" } });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain("Already allowed by master key");
    expect((await h.t.json("GET", `/api/approvals/${approval.id}`)).body.status).toBe("allowed");
    expect((await h.events(sessionId)).length).toBe(events.length);
  });

  test("deny sends the message to the runtime and records it", async () => {
    const { sessionId, approval } = await asked("rm -rf /");
    const decided = await h.t.json("POST", `/api/approvals/${approval.id}/decision`, {
      body: { decision: "deny", message: "  not on my machine " },
    });
    expect(decided.status).toBe(200);
    expect(decided.body.approval).toMatchObject({ status: "denied", message: "not on my machine" });
    await h.waitFor("the refused turn", async () => idles(await h.events(sessionId)).length === 2);
    expect(h.fake.confirmations).toContainEqual({ tool_use_id: approval.tool_use_id, result: "deny", deny_message: "not on my machine" });
    const result = (await h.events(sessionId)).find((e) => e.type === "agent.tool_result")!;
    expect(result.data.is_error).toBe(true);
  });

  test("decisions at once from several callers: exactly one wins and the runtime gets one confirmation", async () => {
    const { sessionId, approval } = await asked("date");
    const decide = (decision: "allow" | "deny") => h.t.json("POST", `/api/approvals/${approval.id}/decision`, { body: { decision } });
    const results = await Promise.all([decide("allow"), decide("deny"), decide("allow"), decide("deny")]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    const winner = results.find((r) => r.status === 200)!.body.approval.status as string;
    await h.waitFor("the confirmed turn", async () => idles(await h.events(sessionId)).length === 2);
    await h.waitForStatus(sessionId, "idle");
    expect((await h.t.json("GET", `/api/approvals/${approval.id}`)).body.status).toBe(winner);
    expect((await h.events(sessionId)).filter((e) => e.type === "user.tool_confirmation")).toHaveLength(1);
    expect(h.fake.confirmations.filter((c) => c.tool_use_id === approval.tool_use_id)).toHaveLength(1);
    const [turns] = await h.t.database.query<{ n: number }>("select count(*)::int as n from session_turns where session_id = $1", [
      sessionId,
    ]);
    expect(turns!.n).toBe(2);
  });

  test("the same ask stored twice (a replay) is one approval", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const ask = {
      type: "agent.tool_use",
      data: { id: "toolu_replayed", name: "bash", input: { command: "true" }, evaluated_permission: "ask" },
    };
    await h.t.services.sessions.sessions.append(s.id, [ask]);
    await h.t.services.sessions.sessions.append(s.id, [ask]);
    expect(await pendingFor(s.id)).toHaveLength(1);
    // A call that ran without asking is no approval at all.
    await h.t.services.sessions.sessions.append(s.id, [
      { type: "agent.tool_use", data: { id: "toolu_free", name: "read", input: {}, evaluated_permission: "allow" } },
    ]);
    expect(await pendingFor(s.id)).toHaveLength(1);
  });

  test("an id the provider reuses after its call was answered asks again: a new approval tied to the new event", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const ask = (command: string) => ({
      type: "agent.tool_use",
      data: { id: "call_0", name: "bash", input: { command }, evaluated_permission: "ask" },
    });
    const [firstAsk] = await h.t.services.sessions.sessions.append(s.id, [ask("echo one")]);
    await h.t.services.sessions.sessions.append(s.id, [
      { type: "agent.tool_result", data: { tool_use_id: "call_0", is_error: true, content: [] } },
    ]);
    const [secondAsk] = await h.t.services.sessions.sessions.append(s.id, [ask("echo two")]);
    const all = (await h.t.json("GET", `/api/approvals?session_id=${s.id}`)).body.data as Array<{
      event_seq: number;
      status: string;
      input: unknown;
    }>;
    expect(all.map((a) => [a.event_seq, a.status, a.input]).sort()).toEqual([
      [firstAsk!.seq, "expired", { command: "echo one" }],
      [secondAsk!.seq, "pending", { command: "echo two" }],
    ]);
  });

  test("stopping the session expires its pending approvals; deciding then is 409", async () => {
    const { sessionId, approval } = await asked("sleep 1");
    expect((await h.t.json("POST", `/api/sessions/${sessionId}/stop`)).status).toBe(200);
    const expired = (await h.t.json("GET", `/api/approvals/${approval.id}`)).body;
    expect(expired).toMatchObject({ status: "expired", message: "session stopped by request" });
    const late = await h.t.json("POST", `/api/approvals/${approval.id}/decision`, { body: { decision: "allow" } });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain("expired");
  });

  test("a new message instead of a decision expires the approval when the runtime answers the call", async () => {
    const { sessionId, approval } = await asked("whoami");
    await h.t.services.sessions.sessions.append(sessionId, [
      { type: "agent.tool_result", data: { tool_use_id: approval.tool_use_id, is_error: true, content: [] } },
    ]);
    expect((await h.t.json("GET", `/api/approvals/${approval.id}`)).body.status).toBe("expired");
  });
});

describe("bad requests change nothing", () => {
  test("validation, unknown ids and auth", async () => {
    const { approval } = await asked("uptime");
    const bad = await h.t.json("POST", `/api/approvals/${approval.id}/decision`, { body: { decision: "maybe" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toContain("decision");
    const extra = await h.t.json("POST", `/api/approvals/${approval.id}/decision`, { body: { decision: "allow", sneaky: 1 } });
    expect(extra.status).toBe(400);
    const long = await h.t.json("POST", `/api/approvals/${approval.id}/decision`, {
      body: { decision: "deny", message: "x".repeat(2001) },
    });
    expect(long.status).toBe(400);
    expect(long.body.error.fields[0].field).toBe("message");
    expect((await h.t.json("GET", `/api/approvals/${approval.id}`)).body.status).toBe("pending");

    expect((await h.t.json("POST", "/api/approvals/apr_nope/decision", { body: { decision: "allow" } })).status).toBe(404);
    expect((await h.t.json("GET", "/api/approvals/apr_nope")).status).toBe(404);
    const badStatus = await h.t.json("GET", "/api/approvals?status=maybe");
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.fields[0].field).toBe("status");
    expect((await h.t.json("GET", "/api/approvals?cursor=nonsense")).status).toBe(400);

    expect((await h.t.json("GET", "/api/approvals", { key: null })).status).toBe(401);
    expect((await h.t.json("POST", `/api/approvals/${approval.id}/decision`, { key: null, body: { decision: "allow" } })).status).toBe(401);
    expect((await h.t.json("GET", `/api/approvals/${approval.id}`)).body.status).toBe("pending");
  });

  test("agents validate approval_required_tools", async () => {
    const res = await h.t.json("POST", "/api/agents", {
      body: { name: "bad-tools", model: "m", approval_required_tools: ["bash", "no spaces!"] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0].field).toBe("approval_required_tools.1");
    const dup = await h.t.json("POST", "/api/agents", {
      body: { name: "dup-tools", model: "m", approval_required_tools: ["bash", "bash"] },
    });
    expect(dup.status).toBe(400);
    const ok = await h.t.json("PATCH", `/api/agents/${h.agentId}`, { body: { approval_required_tools: ["bash", "write"] } });
    expect(ok.body.approval_required_tools).toEqual(["bash", "write"]);
    await h.t.json("PATCH", `/api/agents/${h.agentId}`, { body: { approval_required_tools: ["bash"] } });
  });

  test("listing pages through pending approvals oldest first", async () => {
    const first = await h.t.json("GET", "/api/approvals?status=pending&limit=1");
    expect(first.body.data).toHaveLength(1);
    expect(first.body.next_cursor).toBeString();
    const second = await h.t.json("GET", `/api/approvals?status=pending&limit=1&cursor=${first.body.next_cursor}`);
    expect(second.body.data[0].created_at >= first.body.data[0].created_at).toBe(true);
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
  });
});
