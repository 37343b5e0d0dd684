import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { echoReply, type FakeStep } from "../../test/support/fake-managed-agents";
import { gate } from "../../test/support/gate";
import type { StoredEvent } from "./model";

let h: SessionHarness;
beforeAll(async () => {
  h = await sessionHarness({
    // max_runtime_minutes is scaled: one "minute" is 300 ms in this file.
    session: { msPerMinute: 300 },
    agent: { max_runtime_minutes: 10 },
  });
}, 60_000);
afterAll(() => h?.close());

const slowReply = (chunks: number, delay: number): FakeStep[] => [
  { event: { type: "session.status_running" } },
  ...Array.from(
    { length: chunks },
    (_, i) => [{ delay }, { event: { type: "agent.message", content: [{ type: "text", text: `part${i} ` }] } }] as FakeStep[],
  ).flat(),
  { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
];
const replyText = (events: StoredEvent[]) =>
  events
    .filter((e) => e.type === "agent.message")
    .map((e) => (e.data.content as Array<{ text: string }>).map((p) => p.text).join(""))
    .join("");
const expectContiguous = (events: StoredEvent[]) => expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));

describe("session lifecycle", () => {
  test("create answers at once with creating, then provisions to idle and reuses the runtime agent", async () => {
    // The runtime creates the session only after LAP answered: a create that waited for provisioning
    // would wait for the guard (15 s), and the session would no longer be creating.
    const runtime = gate();
    h.fake.waitNext("/v1/sessions", runtime.opened);
    const a = await h.createSession({ title: "first" });
    runtime.open();
    expect(runtime.forcedOpen).toBe(false);
    expect(a.status).toBe("creating");
    expect(a.agent_id).toBe(h.agentId);
    await h.waitForStatus(a.id, "idle");
    const b = await h.createSession();
    await h.waitForStatus(b.id, "idle");
    const types = (await h.events(a.id)).map((e) => e.type);
    expect(types).toEqual(["session.created", "session.ready"]);
    // One remote agent for both sessions: the definition did not change.
    expect(h.fake.agents.size).toBe(1);
    expect((await h.events(b.id))[1]!.data.reused_runtime_agent).toBe(true);
  }, 30_000);

  test("changing the agent definition makes a new runtime agent", async () => {
    const before = h.fake.agents.size;
    await h.t.json("PATCH", `/api/agents/${h.agentId}`, { body: { system_prompt: "Be very brief." } });
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    expect(h.fake.agents.size).toBe(before + 1);
  });

  test("a message answers 202 with a turn id, the turn streams back and the session returns to idle", async () => {
    const s = await h.createSession({ prompt: "hello there" });
    await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    const events = await h.events(s.id);
    expectContiguous(events);
    // The first prompt is queued while provisioning runs, so it may land either side of session.ready.
    expect(
      events
        .slice(0, 3)
        .map((e) => e.type)
        .sort(),
    ).toEqual(["session.created", "session.ready", "user.message"]);
    expect(events.slice(3).map((e) => e.type)).toEqual([
      "session.status_running",
      "agent.thinking",
      ...Array(4).fill("agent.message"),
      "session.status_idle",
    ]);
    expect(replyText(events)).toBe("You said: hello there");
    await h.waitForStatus(s.id, "idle");

    const res = await h.send(s.id, "again");
    expect(res.status).toBe(202);
    expect(res.body.turn_id).toMatch(/^turn_/);
    expect(res.body.seq).toBe(events.length + 1);
    await h.waitFor("second idle", async () => (await h.events(s.id)).filter((e) => e.type === "session.status_idle").length === 2);
    // The turn row is closed right after its terminal event is stored.
    await h.waitFor("turns closed", async () => {
      const turns = await h.t.database.query<{ status: string }>("select status from session_turns where session_id = $1", [s.id]);
      return turns.length === 2 && turns.every((t) => t.status === "completed");
    });
  });

  test("a second message waits in the queue and runs after the first", async () => {
    h.fake.reply = (text) => (text === "slow" ? slowReply(5, 60) : echoReply(text, 1));
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const first = await h.send(s.id, "slow");
    await h.waitForStatus(s.id, "running");
    const second = await h.send(s.id, "quick");
    expect(second.status).toBe(202);
    expect(second.body.queued).toBe(true);
    expect((await h.t.json("GET", `/api/sessions/${s.id}`)).body.queued_turns).toBe(1);
    await h.waitFor("both turns", async () => (await h.events(s.id)).filter((e) => e.type === "session.status_idle").length === 2);
    const events = await h.events(s.id);
    const idles = events.filter((e) => e.type === "session.status_idle");
    expect(idles[0]!.turn_id).toBe(first.body.turn_id);
    expect(idles[1]!.turn_id).toBe(second.body.turn_id);
    // Every event of the first turn comes before the first event the runtime sent for the second.
    const lastOfFirst = Math.max(...events.filter((e) => e.turn_id === first.body.turn_id).map((e) => e.seq));
    const secondReply = events.filter((e) => e.turn_id === second.body.turn_id && e.type !== "user.message");
    expect(Math.min(...secondReply.map((e) => e.seq))).toBeGreaterThan(lastOfFirst);
    expect(replyText(secondReply)).toBe("You said: quick");
  });

  test("concurrent messages to one session: all accepted, unique seqs, turns strictly one at a time", async () => {
    h.fake.reply = (text) => echoReply(text, 2);
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => h.send(s.id, `m${i}`)));
    expect(results.every((r) => r.status === 202)).toBe(true);
    expect(new Set(results.map((r) => r.body.seq)).size).toBe(8);
    await h.waitFor("8 turns", async () => (await h.events(s.id)).filter((e) => e.type === "session.status_idle").length === 8, 20_000);
    const events = await h.events(s.id);
    expectContiguous(events);
    // Replay the log: a turn's runtime events never interleave with another turn's.
    let open: string | null = null;
    for (const e of events) {
      if (e.type === "user.message" || !e.turn_id) continue;
      if (open === null) open = e.turn_id;
      expect(e.turn_id).toBe(open);
      if (e.type === "session.status_idle") open = null;
    }
  }, 30_000);

  test("interrupt stops the running turn and the next message still runs", async () => {
    h.fake.reply = (text) => (text === "long" ? slowReply(50, 50) : echoReply(text, 1));
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const long = await h.send(s.id, "long");
    await h.waitForEvent(s.id, (e) => e.type === "agent.message");
    const res = await h.t.json("POST", `/api/sessions/${s.id}/interrupt`);
    expect(res.body).toEqual({ interrupted: true });
    const idle = await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    expect(idle.data.stop_reason).toEqual({ type: "interrupted" });
    expect(idle.turn_id).toBe(long.body.turn_id);
    await h.waitForStatus(s.id, "idle");
    const [turn] = await h.t.database.query<{ status: string }>("select status from session_turns where id = $1", [long.body.turn_id]);
    expect(turn!.status).toBe("interrupted");
    expect((await h.t.json("POST", `/api/sessions/${s.id}/interrupt`)).body).toEqual({ interrupted: false });
    await h.send(s.id, "after");
    await h.waitFor("reply after interrupt", async () => replyText(await h.events(s.id)).includes("You said: after"));
  });

  test("interrupt also ends turns queued behind the running one: they never run", async () => {
    h.fake.reply = (text) => (text === "long" ? slowReply(50, 50) : echoReply(text, 1));
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const long = await h.send(s.id, "long");
    await h.waitForEvent(s.id, (e) => e.type === "agent.message");
    const queued = await h.send(s.id, "queued one");
    expect(queued.body.queued).toBe(true);
    expect((await h.t.json("POST", `/api/sessions/${s.id}/interrupt`)).body).toEqual({ interrupted: true });
    await h.waitFor("both turns ended", async () => (await h.events(s.id)).filter((e) => e.type === "session.status_idle").length === 2);
    await h.waitForStatus(s.id, "idle");
    const turns = await h.t.database.query<{ id: string; status: string }>("select id, status from session_turns where session_id = $1", [
      s.id,
    ]);
    expect(Object.fromEntries(turns.map((t) => [t.id, t.status]))).toEqual({
      [long.body.turn_id]: "interrupted",
      [queued.body.turn_id]: "interrupted",
    });
    const idles = (await h.events(s.id)).filter((e) => e.type === "session.status_idle");
    expect(idles.every((e) => (e.data.stop_reason as { type: string }).type === "interrupted")).toBe(true);
    expect(replyText(await h.events(s.id))).not.toContain("You said: queued one");
    await h.send(s.id, "after");
    await h.waitFor("reply after interrupt", async () => replyText(await h.events(s.id)).includes("You said: after"));
  });

  test("a message with interrupt: true interrupts the running turn instead of waiting", async () => {
    // The long turn says one thing, then runs until the test ends it: only an interrupt lets "now" through
    // (a LAP that queued "now" behind it would time out waiting for the urgent reply).
    const longTurn = gate();
    h.fake.reply = (text) =>
      text === "long" ? [...slowReply(1, 0).slice(0, -1), { until: longTurn.opened }, ...slowReply(1, 0).slice(-1)] : echoReply(text, 1);
    try {
      const s = await h.createSession();
      await h.waitForStatus(s.id, "idle");
      const long = await h.send(s.id, "long");
      await h.waitForEvent(s.id, (e) => e.type === "agent.message");
      const res = await h.send(s.id, "now", { interrupt: true });
      expect(res.status).toBe(202);
      await h.waitFor("urgent reply", async () => replyText(await h.events(s.id)).includes("You said: now"));
      expect(longTurn.forcedOpen).toBe(false);
      // The long turn was interrupted, not ended by the agent's maximum runtime (3 s in this file).
      const [turn] = await h.t.database.query<{ status: string }>("select status from session_turns where id = $1", [long.body.turn_id]);
      expect(turn?.status).toBe("interrupted");
      expect((await h.events(s.id)).some((e) => e.type === "session.error")).toBe(false);
    } finally {
      longTurn.open();
    }
  }, 30_000);

  test("a turn over the agent's maximum runtime is stopped with a session.error that says so", async () => {
    h.fake.reply = () => slowReply(100, 100);
    const { body: agent } = await h.t.json("POST", "/api/agents", {
      body: { name: "short-fuse", model: "m", runtime_id: h.runtimeId, max_runtime_minutes: 1 },
    });
    const s = await h.createSession({ agent_id: agent.id, prompt: "take forever" });
    const err = await h.waitForEvent(s.id, (e) => e.type === "session.error", 5_000);
    expect(String((err.data.error as { message: string }).message)).toContain("maximum runtime of 1 minute");
    await h.waitForStatus(s.id, "idle");
    const [turn] = await h.t.database.query<{ status: string; error: string }>(
      "select status, error from session_turns where session_id = $1",
      [s.id],
    );
    expect(turn!.status).toBe("failed");
  });

  test("a dropped runtime stream is resumed after the last event: nothing lost, nothing doubled", async () => {
    h.fake.reply = (text) => {
      const steps = echoReply(text, 5);
      steps.splice(4, 0, { drop: true }, { delay: 30 });
      steps.splice(8, 0, { drop: true });
      return steps;
    };
    const s = await h.createSession({ prompt: "one two three four five" });
    await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    const events = await h.events(s.id);
    expectContiguous(events);
    expect(replyText(events)).toBe("You said: one two three four five");
    expect(events.filter((e) => e.type === "session.status_idle")).toHaveLength(1);
  });

  test("a runtime that loses the session mid-turn ends it with session.error and status error", async () => {
    h.fake.reply = () => slowReply(50, 40);
    const s = await h.createSession({ prompt: "hi" });
    await h.waitForEvent(s.id, (e) => e.type === "agent.message");
    const remote = (
      await h.t.database.query<{ remote_session_id: string }>("select remote_session_id from sessions where id = $1", [s.id])
    )[0]!.remote_session_id;
    h.fake.forget(remote);
    const err = await h.waitForEvent(s.id, (e) => e.type === "session.error");
    expect((err.data.error as { message: string }).message).toContain("no longer has this session");
    await h.waitForStatus(s.id, "error");
    expect((await h.send(s.id, "more")).status).toBe(409);
  });

  test("a runtime process that dies mid-stream: the turn ends with session.error instead of hanging", async () => {
    const { FakeManagedAgents } = await import("../../test/support/fake-managed-agents");
    const doomed = new FakeManagedAgents({ reply: () => slowReply(100, 30) }).start();
    const rt = await h.t.json("POST", "/api/runtimes", { body: { alias: "doomed", base_url: doomed.url, api_key: doomed.apiKey } });
    const ag = await h.t.json("POST", "/api/agents", { body: { name: "on-doomed", model: "m", runtime_id: rt.body.id } });
    const s = await h.createSession({ agent_id: ag.body.id, prompt: "hi" });
    await h.waitForEvent(s.id, (e) => e.type === "agent.message");
    await doomed.stop();
    const err = await h.waitForEvent(s.id, (e) => e.type === "session.error", 10_000);
    expect((err.data.error as { message: string }).message).toContain("dropped");
    await h.waitForStatus(s.id, "idle");
  });

  test("a runtime that refuses the message ends the turn with session.error", async () => {
    h.fake.reply = (text) => echoReply(text, 1);
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    // The turn's first runtime call (opening the stream) answers 503.
    h.fake.failNext(`/v1/sessions/`, 503);
    await h.send(s.id, "x");
    const err = await h.waitForEvent(s.id, (e) => e.type === "session.error");
    expect((err.data.error as { message: string }).message).toMatch(/503/);
    await h.waitForStatus(s.id, "idle");
  });

  test("provisioning failure: status error with a session.error naming the cause", async () => {
    h.fake.failNext("/v1/sessions", 500);
    const s = await h.createSession();
    const failed = await h.waitForStatus(s.id, "error");
    expect(failed.error).toContain("status 500");
    expect((await h.events(s.id)).map((e) => e.type)).toEqual(["session.created", "session.error"]);
  });

  test("stop ends the turn and the runtime session; later messages are refused", async () => {
    h.fake.reply = () => slowReply(50, 40);
    const s = await h.createSession({ prompt: "go" });
    await h.waitForEvent(s.id, (e) => e.type === "agent.message");
    const stopped = await h.t.json("POST", `/api/sessions/${s.id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).toBe("stopped");
    const remote = (
      await h.t.database.query<{ remote_session_id: string }>("select remote_session_id from sessions where id = $1", [s.id])
    )[0]!.remote_session_id;
    expect(h.fake.sessions.has(remote)).toBe(false);
    const events = await h.events(s.id);
    expect(events.at(-1)!.type).toBe("session.stopped");
    await Bun.sleep(150);
    expect((await h.events(s.id)).length).toBe(events.length);
    const res = await h.send(s.id, "more");
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain("stopped");
  });

  test("delete removes the session and its events", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    expect((await h.t.json("DELETE", `/api/sessions/${s.id}`)).status).toBe(200);
    expect((await h.t.json("GET", `/api/sessions/${s.id}`)).status).toBe(404);
    const [n] = await h.t.database.query<{ n: number }>("select count(*)::int as n from session_events where session_id = $1", [s.id]);
    expect(n!.n).toBe(0);
  });
});

describe("list", () => {
  test("is paginated by cursor, newest first, with no history in it", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await h.t.json("GET", `/api/sessions?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      for (const s of res.body.data) {
        expect(Object.keys(s)).not.toContain("events");
        seen.push(s.id);
      }
      cursor = res.body.next_cursor;
    } while (cursor);
    const [total] = await h.t.database.query<{ n: number }>("select count(*)::int as n from sessions");
    expect(seen.length).toBe(total!.n);
    expect(new Set(seen).size).toBe(seen.length);
    const byAgent = await h.t.json("GET", `/api/sessions?agent_id=${h.agentId}&status=idle&limit=200`);
    expect(byAgent.body.data.every((s: any) => s.agent_id === h.agentId && s.status === "idle")).toBe(true);
  });
});

describe("bad input changes nothing", () => {
  const countSessions = async () => (await h.t.database.query<{ n: number }>("select count(*)::int as n from sessions"))[0]!.n;

  test("create: missing agent_id, unknown agent, unknown field", async () => {
    const before = await countSessions();
    const missing = await h.t.json("POST", "/api/sessions", { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields[0].field).toBe("agent_id");
    const unknown = await h.t.json("POST", "/api/sessions", { body: { agent_id: "agt_nope" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.fields[0].field).toBe("agent_id");
    const extra = await h.t.json("POST", "/api/sessions", { body: { agent_id: h.agentId, colour: "red" } });
    expect(extra.status).toBe(400);
    expect(await countSessions()).toBe(before);
  });

  test("messages: empty body, empty text, both text and content, wrong types, unknown session", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const before = (await h.events(s.id)).length;
    for (const body of [
      {},
      { text: "" },
      { text: "a", content: [{ type: "text", text: "b" }] },
      { text: 5 },
      { text: "a", interrupt: "yes" },
    ]) {
      const res = await h.t.json("POST", `/api/sessions/${s.id}/messages`, { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.fields.length).toBeGreaterThan(0);
    }
    expect((await h.events(s.id)).length).toBe(before);
    expect((await h.t.json("POST", "/api/sessions/ses_missing/messages", { body: { text: "x" } })).status).toBe(404);
  });

  test("events and list: bad cursors and numbers", async () => {
    expect((await h.t.json("GET", "/api/sessions?limit=0")).body.error.fields[0].field).toBe("limit");
    expect((await h.t.json("GET", "/api/sessions?cursor=garbage")).status).toBe(400);
    expect((await h.t.json("GET", "/api/sessions?status=sleeping")).status).toBe(400);
    const s = await h.createSession();
    const bad = await h.t.json("GET", `/api/sessions/${s.id}/events?after=-1`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe("after");
    expect((await h.t.json("GET", `/api/sessions/${s.id}/events?limit=5000`)).status).toBe(400);
  });
});

describe("stop while provisioning", () => {
  test("a session stopped while creating ends the runtime session it was getting and never turns idle", async () => {
    // Earlier tests may still be provisioning; let them finish so the delay hits this session.
    await h.waitFor(
      "no other session creating",
      async () =>
        (await h.t.database.query<{ n: number }>("select count(*)::int as n from sessions where status = 'creating'"))[0]!.n === 0,
    );
    h.fake.delayNext("/v1/sessions", 400);
    const before = h.fake.sessions.size;
    const s = await h.createSession();
    await Bun.sleep(100);
    expect((await h.t.json("POST", `/api/sessions/${s.id}/stop`)).body.status).toBe("stopped");
    await Bun.sleep(800);
    expect((await h.t.json("GET", `/api/sessions/${s.id}`)).body.status).toBe("stopped");
    expect((await h.events(s.id)).map((e) => e.type)).not.toContain("session.ready");
    expect(h.fake.sessions.size).toBe(before);
  });
});
