/**
 * The Slack bot end to end on the real sessions service (agents, runtimes, turn worker, event
 * store) over the FakeManagedAgents runtime, with Slack played by FakeSlack: sessions, replies, Stop,
 * a paused agent. Approvals in Slack: ./real-sessions-approvals.test.ts and ./real-sessions-approval-dialogs.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { FakeManagedAgents, FakeStep } from "../test/support/fake-managed-agents";
import { nextTs, type SlackHarness } from "../test/support/slack-harness";
import { mention, resetSlackOnRealSessions, slackSessionReads, startSlackOnRealSessions } from "../test/support/slack-real-sessions";

let h: SlackHarness;
let runtime: FakeManagedAgents;
let agentId: string;
beforeAll(async () => {
  ({ h, runtime, agentId } = await startSlackOnRealSessions());
}, 60_000);
afterAll(async () => {
  await h?.close();
  await runtime?.stop();
});
beforeEach(() => resetSlackOnRealSessions(h, runtime));
const { sessionEvents, rowFor } = slackSessionReads(() => h);

describe("Slack on the real sessions service", () => {
  test("a mention creates a session; a thread reply continues it; each message is sent once", async () => {
    const root = nextTs();
    const ev = mention("hello there", root);
    await Promise.all([h.event(ev, { eventId: "EvR1" }), h.event(ev, { eventId: "EvR1", retryNum: 1 })]);
    await h.idle();
    expect(h.fake.thread("C1", root).map((m) => m.text)).toEqual(["You said: hello there"]);
    await h.event({
      type: "message",
      channel_type: "channel",
      channel: "C1",
      user: "U1",
      text: "and again",
      ts: nextTs(),
      thread_ts: root,
    });
    await h.idle();
    expect(h.fake.thread("C1", root).map((m) => m.text)).toEqual(["You said: hello there", "You said: and again"]);
    const row = await rowFor(root);
    const session = await h.api("GET", `/api/sessions/${row.session_id}`);
    expect(session.body.agent_id).toBe(agentId);
    const users = (await sessionEvents(row.session_id)).filter((e) => e.type === "user.message").map((e) => e.data.content[0].text);
    expect(users).toEqual(["hello there", "and again"]);
    const view = h.fake.thread("C1", root)[0]!.blocks!.find((b: any) => b.type === "actions").elements[0];
    expect(view.url).toBe(`http://lap.test/sessions/${row.session_id}`);
  });

  test("a failed run is reported in the thread", async () => {
    runtime.reply = () => [
      { event: { type: "session.status_running" } },
      { event: { type: "agent.message", content: [{ type: "text", text: "Trying…" }] } },
      { fail: "tool crashed" },
    ];
    const ts = nextTs();
    await h.event(mention("break", ts));
    await h.idle();
    expect(h.fake.thread("C1", ts).map((m) => m.text)).toEqual(["Trying…\n\n:warning: *The agent run failed:* tool crashed"]);
  });

  test("the Stop button interrupts the running turn", async () => {
    runtime.reply = () => [
      { event: { type: "session.status_running" } },
      { event: { type: "agent.message", content: [{ type: "text", text: "Starting a long job" }] } },
      { delay: 20_000 },
      { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
    ];
    const ts = nextTs();
    await h.event(mention("long job", ts));
    let row = await rowFor(ts);
    for (let i = 0; i < 200 && row.status !== "enqueued"; i++) {
      await Bun.sleep(20);
      row = await rowFor(ts);
    }
    // Wait until the runtime has the turn running, then click Stop.
    for (let i = 0; i < 200 && !h.fake.thread("C1", ts)[0]?.text.includes("long job"); i++) await Bun.sleep(20);
    const click = {
      type: "block_actions",
      team: { id: "T1" },
      user: { id: "U1" },
      channel: { id: "C1" },
      api_app_id: "AFAKE",
      trigger_id: "t",
      actions: [{ type: "button", action_id: "lap_stop", block_id: "b", value: row.session_id, action_ts: "1" }],
    };
    expect((await h.interaction(click)).status).toBe(200);
    await h.idle();
    expect(h.fake.thread("C1", ts).map((m) => m.text)).toEqual(["Starting a long job\n\n:octagonal_sign: _Stopped._"]);
  }, 30_000);

  test("a paused agent fails the message; after resuming, Slack's retry is answered once", async () => {
    expect((await h.api("POST", `/api/agents/${agentId}/pause`)).status).toBeLessThan(300);
    const ts = nextTs();
    const ev = mention("are you there", ts);
    await h.event(ev, { eventId: "EvPAUSED" });
    await h.idle();
    expect((await rowFor(ts)).status).toBe("failed");
    expect((await rowFor(ts)).error).toContain("paused");
    expect((await h.api("POST", `/api/agents/${agentId}/resume`)).status).toBeLessThan(300);
    await h.event(ev, { eventId: "EvPAUSED", retryNum: 2, retryReason: "http_timeout" });
    await h.idle();
    expect((await rowFor(ts)).status).toBe("answered");
    expect(
      h.fake
        .thread("C1", ts)
        .map((m) => m.text)
        .filter((t) => t === "You said: are you there").length,
    ).toBe(1);
  });

  test("the reply streams into the thread by editing the placeholder", async () => {
    runtime.reply = () => [
      { event: { type: "session.status_running" } },
      ...["one ", "two ", "three ", "four"].flatMap(
        (w) => [{ delay: 120 }, { event: { type: "agent.message", content: [{ type: "text", text: w }] } }] as FakeStep[],
      ),
      { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
    ];
    const ts = nextTs();
    await h.event(mention("count", ts));
    await h.idle();
    const thread = h.fake.thread("C1", ts);
    expect(thread.map((m) => m.text)).toEqual(["one two three four"]);
    // One message, first posted as the placeholder, then edited as text arrived.
    const posts = h.fake.callsTo("chat.postMessage").filter((c) => c.args.thread_ts === ts);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args.text).toBe("_Thinking…_");
    const edits = h.fake
      .callsTo("chat.update")
      .filter((c) => c.args.ts === thread[0]!.ts)
      .map((c) => String(c.args.text));
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(edits.some((t) => t !== "one two three four" && "one two three four".startsWith(t))).toBe(true);
    expect(edits.at(-1)).toBe("one two three four");
  });
});
