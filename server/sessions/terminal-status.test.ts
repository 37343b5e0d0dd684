/**
 * A turn's terminal event and the session's status are one write (server/sessions/status.ts): a client
 * that acts on `session.status_idle` or `session.error` as it arrives on the live stream reads the session
 * already idle (or awaiting a decision), never still `running`. Real app, real stream (WebSocket), the
 * fake Managed Agents runtime (real HTTP + SSE) standing for the runtime provider.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { askReply, echoReply } from "../../test/support/fake-managed-agents";
import { authHeaders, sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { NEEDS_POSTGRES, requires } from "../../test/support/skip";
import type { StoredEvent } from "./model";

let h: SessionHarness;
/** The "held" reply waits here before its end (a test releases it). */
let held: Promise<void> = Promise.resolve();
beforeAll(async () => {
  h = await sessionHarness({
    agent: { approval_required_tools: ["bash"] },
    fake: {
      reply: (text) =>
        text.startsWith("run ")
          ? askReply("bash", { command: text.slice(4) })
          : text === "fail"
            ? [{ event: { type: "session.status_running" } }, { fail: "the model provider is down" }]
            : text === "held"
              ? [
                  { event: { type: "session.status_running" } },
                  { until: held },
                  { event: { type: "agent.message", content: [{ type: "text", text: "done" }] } },
                  { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
                ]
              : echoReply(text, 0),
    },
  });
}, 60_000);
afterAll(() => h?.close());

/** Opens the session's live stream; each terminal event is answered at once by a GET of the session. */
async function watch(sessionId: string) {
  const ws = new WebSocket(`${h.url.replace("http", "ws")}/api/sessions/${sessionId}/stream?after=0`, { headers: authHeaders } as never);
  const seen: Array<{ event: string; status: string; error: string | null }> = [];
  ws.onmessage = (m) => {
    const e = JSON.parse(String(m.data)) as StoredEvent;
    if (e.type !== "session.status_idle" && e.type !== "session.error") return;
    // Asked before anything else happens: what a client would read acting on the event.
    void h.t
      .json("GET", `/api/sessions/${sessionId}`)
      .then((r) => seen.push({ event: e.type, status: r.body.status, error: r.body.error }));
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("websocket refused"));
  });
  return { seen, close: () => ws.close() };
}

describe("the session's status is written with the turn's terminal event", () => {
  test("each status_idle of a finished turn finds the session idle", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const w = await watch(s.id);
    for (let i = 0; i < 5; i++) {
      expect((await h.send(s.id, `hello ${i}`)).status).toBe(202);
      await h.waitFor(`reply ${i}`, async () => w.seen.length === i + 1);
    }
    w.close();
    expect(w.seen).toEqual(Array.from({ length: 5 }, () => ({ event: "session.status_idle", status: "idle", error: null })));
  }, 60_000);

  test("a turn the runtime fails: its session.error finds the session idle with the error", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const w = await watch(s.id);
    expect((await h.send(s.id, "fail")).status).toBe(202);
    await h.waitFor("the error", async () => w.seen.length === 1);
    w.close();
    expect(w.seen[0]).toMatchObject({ event: "session.error", status: "idle" });
    expect(w.seen[0]!.error).toContain("the model provider is down");
  }, 30_000);

  test("a turn that ends asking a person finds the session awaiting approval", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const w = await watch(s.id);
    expect((await h.send(s.id, "run ls")).status).toBe(202);
    await h.waitFor("the ask", async () => w.seen.length === 1);
    w.close();
    expect(w.seen).toEqual([{ event: "session.status_idle", status: "awaiting_approval", error: null }]);
  }, 30_000);

  // Deterministic on PostgreSQL: another connection holds the turn's row while the runtime ends the turn,
  // so a status written after the event (not with it) is still `running` when the client reads it.
  requires(NEEDS_POSTGRES).test(
    "while the turn's end cannot be written, no client is told of its idle event",
    async () => {
      const s = await h.createSession();
      await h.waitForStatus(s.id, "idle");
      const w = await watch(s.id);
      let release!: () => void;
      held = new Promise<void>((r) => (release = r));
      expect((await h.send(s.id, "held")).status).toBe(202);
      await h.waitForEvent(s.id, (e) => e.type === "session.status_running");
      const [turn] = await h.t.database.query<{ id: string }>("select id from session_turns where session_id = $1 and status = 'running'", [
        s.id,
      ]);
      let unlock!: () => void;
      const unlocked = new Promise<void>((r) => (unlock = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holder = h.t.database.transaction(async (tx) => {
        await tx.query("select 1 from session_turns where id = $1 for update", [turn!.id]);
        locked();
        await unlocked;
      });
      await isLocked;
      release();
      // The runtime sends its idle event meanwhile; what LAP does with it cannot finish yet.
      await Bun.sleep(700);
      unlock();
      await holder;
      await h.waitFor("the idle", async () => w.seen.length === 1);
      w.close();
      expect(w.seen).toEqual([{ event: "session.status_idle", status: "idle", error: null }]);
    },
    30_000,
  );
});
