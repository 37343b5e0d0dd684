import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { nextTs, slackHarness, type SlackHarness } from "../test/support/slack-harness";

let h: SlackHarness;
beforeAll(async () => {
  h = await slackHarness();
  expect((await h.api("PUT", "/api/slack/bindings", { agent_id: "helper" })).status).toBe(200);
}, 60_000);
afterAll(() => h?.close());
beforeEach(async () => {
  await h.idle();
  h.fake.reset();
  h.sessions.script = (p) => [{ type: "agent.message", data: { text: `You said: ${p}` } }, { type: "session.status_idle" }];
});

const mention = (text: string, ts = nextTs(), extra: Record<string, unknown> = {}) => ({
  type: "app_mention",
  user: "U1",
  text: `<@UBOTT1> ${text}`,
  ts,
  channel: "C1",
  ...extra,
});
const lastText = (channel: string, thread: string) => h.fake.thread(channel, thread).map((m) => m.text);

describe("Slack events", () => {
  test("URL verification answers the challenge, only when signed", async () => {
    const body = JSON.stringify({ type: "url_verification", challenge: "abc123", token: "x" });
    const { signedRequest } = await import("../test/support/slack-signing");
    const ok = await h.send(
      signedRequest("http://lap.test/slack/events", body, "application/json", { secret: "test-signing-secret-0123456789abcdef" }),
    );
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ challenge: "abc123" });
    const bad = await h.send(signedRequest("http://lap.test/slack/events", body, "application/json", { secret: "wrong" }));
    expect(bad.status).toBe(401);
  });

  test("bad and stale signatures are 401 and change nothing", async () => {
    const before = (await h.rows()).length;
    const ts = nextTs();
    const wrong = await h.event(mention("hi", ts), { secret: "not-the-secret" });
    expect(wrong.status).toBe(401);
    const stale = await h.event(mention("hi", ts), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    const garbage = await h.event(mention("hi", ts), { signature: "v0=deadbeef" });
    expect(garbage.status).toBe(401);
    await h.idle();
    expect((await h.rows()).length).toBe(before);
    expect(h.fake.calls.length).toBe(0);
  });

  test("a mention gets :eyes:, a placeholder, the streamed answer and a View session button", async () => {
    const ts = nextTs();
    const res = await h.event(mention("hello **world**", ts));
    expect(res.status).toBe(200);
    await h.idle();
    expect(h.fake.callsTo("reactions.add").map((c) => [c.args.timestamp, c.args.name])).toEqual([[ts, "eyes"]]);
    const replies = h.fake.thread("C1", ts);
    expect(replies.length).toBe(1);
    expect(replies[0]!.text).toBe("You said: hello *world*");
    expect(h.fake.callsTo("chat.postMessage")[0]!.args.text).toBe("_Thinking…_");
    const actions = replies[0]!.blocks!.find((b: any) => b.type === "actions");
    const view = actions.elements.find((e: any) => e.action_id === "lap_view_session");
    expect(view.url).toMatch(/^http:\/\/lap\.test\/sessions\/sess-\d+$/);
    expect(actions.elements.some((e: any) => e.action_id === "lap_stop")).toBe(false); // Stop is gone once done
    const [row] = (await h.rows()).filter((r) => r.message_ts === ts);
    expect(row.status).toBe("answered");
    expect(h.sessions.sessions.get(row.session_id)!.prompts).toEqual(["hello **world**"]); // sent exactly once
  });

  test("the same event delivered twice, and Slack's retries, get one answer", async () => {
    const ts = nextTs();
    const ev = mention("once please", ts);
    const first = await h.event(ev, { eventId: "EvDUP1" });
    const second = await h.event(ev, { eventId: "EvDUP1" });
    const retry = await h.event(ev, { eventId: "EvDUP1", retryNum: 1, retryReason: "http_timeout" });
    expect([first.status, second.status, retry.status]).toEqual([200, 200, 200]);
    await h.idle();
    expect(h.fake.thread("C1", ts).length).toBe(1);
    const rows = (await h.rows()).filter((r) => r.message_ts === ts);
    expect(rows.length).toBe(1);
    expect(rows[0].duplicates).toBe(2);
    expect(rows[0].last_retry_reason).toBe("1:http_timeout");
  });

  test("a mention inside a thread arrives as app_mention and message: answered once", async () => {
    const root = nextTs();
    await h.event(mention("start", root));
    await h.idle();
    const reply = nextTs();
    const thread = { ts: reply, thread_ts: root, channel: "C1", user: "U1", text: "<@UBOTT1> again" };
    await Promise.all([h.event({ type: "message", channel_type: "channel", ...thread }), h.event({ type: "app_mention", ...thread })]);
    await h.idle();
    const replies = h.fake.thread("C1", root);
    expect(replies.map((m) => m.text)).toEqual(["You said: start", "You said: again"]);
    const sessionIds = new Set((await h.rows()).filter((r) => r.thread_ts === root).map((r) => r.session_id));
    expect(sessionIds.size).toBe(1); // the thread kept its one session
  });

  test("replies in a thread the bot owns continue the session without a mention; other threads are ignored", async () => {
    const root = nextTs();
    await h.event(mention("remember 42", root));
    await h.idle();
    await h.event({
      type: "message",
      channel_type: "channel",
      channel: "C1",
      user: "U2",
      text: "what number?",
      ts: nextTs(),
      thread_ts: root,
    });
    await h.event({
      type: "message",
      channel_type: "channel",
      channel: "C1",
      user: "U2",
      text: "not for the bot",
      ts: nextTs(),
      thread_ts: "1600000000.000001",
    });
    await h.event({ type: "message", channel_type: "channel", channel: "C1", user: "U2", text: "top-level chatter", ts: nextTs() });
    await h.idle();
    expect(lastText("C1", root)).toEqual(["You said: remember 42", "You said: what number?"]);
    const session = [...h.sessions.sessions.values()].find((s) => s.metadata.thread_ts === root)!;
    expect(session.prompts).toEqual(["remember 42", "what number?"]);
    expect(h.fake.thread("C1", "1600000000.000001").length).toBe(0);
    expect((await h.rows()).some((r) => r.text === "not for the bot" || r.text === "top-level chatter")).toBe(false);
  });

  test("a first mention inside an existing thread brings the thread so far as context", async () => {
    const root = nextTs();
    h.fake.addUserMessage("C1", root, "the deploy failed at 10:02", "U7");
    h.fake.addUserMessage("C1", nextTs(), "logs say <disk full>", "U8", root);
    const ts = nextTs();
    await h.event(mention("what happened?", ts, { thread_ts: root }));
    await h.idle();
    const row = (await h.rows()).find((r) => r.message_ts === ts);
    expect(row.thread_ts).toBe(root);
    const [prompt] = h.sessions.sessions.get(row.session_id)!.prompts;
    expect(prompt).toBe(
      "Earlier messages in this Slack thread, oldest first:\n<@U7>: the deploy failed at 10:02\n<@U8>: logs say <disk full>\n\nThe message to answer:\nwhat happened?",
    );
    expect(h.fake.callsTo("conversations.replies")[0]!.args).toEqual(expect.objectContaining({ channel: "C1", ts: root }));
    // Later messages in the now-owned thread are sent as they are.
    await h.event({ type: "message", channel_type: "channel", channel: "C1", user: "U7", text: "thanks", ts: nextTs(), thread_ts: root });
    await h.idle();
    expect(h.sessions.sessions.get(row.session_id)!.prompts[1]).toBe("thanks");
  });

  test("a mention is stored even when Slack's API is unreachable, and answered once it is back", async () => {
    // A fresh harness: its single-workspace token has not been checked with auth.test yet.
    const h2 = await slackHarness();
    try {
      await h2.api("PUT", "/api/slack/bindings", { agent_id: "helper" });
      h2.fake.failNext("auth.test", { status: 429, retryAfterSec: 30 });
      h2.fake.failNext("chat.postMessage", { error: "service_unavailable" });
      const ts = nextTs();
      expect((await h2.event(mention("are you up?", ts))).status).toBe(200);
      await h2.idle();
      expect((await h2.rows()).find((r) => r.message_ts === ts)!.status).toBe("failed");
      expect(await h2.slack.service.resumeStuck(0)).toBe(1);
      await h2.idle();
      expect(h2.fake.thread("C1", ts).map((m) => m.text)).toEqual([
        ":warning: Could not start the agent: could not post the reply: service_unavailable (LAP will try again)",
        "You said: are you up?",
      ]);
    } finally {
      await h2.close();
    }
  }, 60_000);

  test("bot messages and edits are ignored", async () => {
    const before = (await h.rows()).length;
    await h.event({ type: "message", channel_type: "im", channel: "D1", user: "U1", text: "x", ts: nextTs(), bot_id: "B1" });
    await h.event({ type: "message", subtype: "message_changed", channel_type: "im", channel: "D1", user: "U1", text: "x", ts: nextTs() });
    await h.event({ type: "message", channel_type: "im", channel: "D1", user: "UBOTT1", text: "echo", ts: nextTs() });
    await h.idle();
    expect((await h.rows()).length).toBe(before);
  });

  test("a DM starts a session; the DM allow-list blocks others and tells them once", async () => {
    const dm = nextTs();
    await h.event({ type: "message", channel_type: "im", channel: "D1", user: "U1AAA", text: "hi in DM", ts: dm });
    await h.idle();
    expect(lastText("D1", dm)).toEqual(["You said: hi in DM"]);

    expect((await h.api("PUT", "/api/slack/dm-allowlist", { team_id: "T1", user_ids: ["<@U1aaa|alice>"] })).status).toBe(200);
    const blocked = nextTs();
    const ev = { type: "message", channel_type: "im", channel: "D2", user: "U9ZZZ", text: "let me in", ts: blocked };
    await h.event(ev, { eventId: "EvBLOCK" });
    await h.event(ev, { eventId: "EvBLOCK", retryNum: 1 });
    await h.idle();
    expect(lastText("D2", blocked)).toEqual([expect.stringContaining("do not have permission")]);
    const allowed = nextTs();
    await h.event({ type: "message", channel_type: "im", channel: "D1", user: "U1AAA", text: "still me", ts: allowed });
    await h.idle();
    expect(lastText("D1", allowed)).toEqual(["You said: still me"]);
    const list = await h.api("GET", "/api/slack/dm-allowlist");
    expect(list.body.data).toEqual([{ team_id: "T1", user_id: "U1AAA" }]);
    const bad = await h.api("PUT", "/api/slack/dm-allowlist", { team_id: "T1", user_ids: ["U1AAA", "alice"] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toContain("user_ids");
    expect((await h.api("GET", "/api/slack/dm-allowlist")).body.data.length).toBe(1); // unchanged
    await h.api("PUT", "/api/slack/dm-allowlist", { team_id: "T1", user_ids: [] });
  });

  test("a failure after the acknowledgement is not lost: Slack's retry re-claims it and it is answered once", async () => {
    h.sessions.failCreate = 1;
    const ts = nextTs();
    const ev = mention("survive this", ts);
    expect((await h.event(ev, { eventId: "EvFAIL" })).status).toBe(200);
    await h.idle();
    let [row] = (await h.rows()).filter((r) => r.message_ts === ts);
    expect(row.status).toBe("failed");
    expect(row.error).toContain("runtime unavailable");
    expect(lastText("C1", ts)).toEqual([":warning: Could not start the agent: runtime unavailable (LAP will try again)"]);
    expect((await h.event(ev, { eventId: "EvFAIL", retryNum: 1, retryReason: "http_error" })).status).toBe(200);
    await h.idle();
    [row] = (await h.rows()).filter((r) => r.message_ts === ts);
    expect(row.status).toBe("answered");
    expect(row.attempts).toBe(2);
    const texts = lastText("C1", ts);
    expect(texts.filter((t) => t === "You said: survive this").length).toBe(1);
    const session = h.sessions.sessions.get(row.session_id)!;
    expect(session.prompts).toEqual(["survive this"]);
  });

  test("a turn queued just before a failure is not sent again by the retry", async () => {
    const original = h.sessions.sendMessage.bind(h.sessions);
    let calls = 0;
    // The turn is queued, then the answer is lost (a crash or a dropped connection right after).
    h.sessions.sendMessage = async (id, text) => {
      if (text === "only once" && ++calls === 1) {
        await original(id, text);
        throw new Error("connection reset");
      }
      return original(id, text);
    };
    try {
      const root = nextTs();
      await h.event(mention("first", root));
      await h.idle();
      const reply = nextTs();
      const ev = { type: "message", channel_type: "channel", channel: "C1", user: "U1", text: "only once", ts: reply, thread_ts: root };
      await h.event(ev, { eventId: "EvLOST" });
      await h.idle();
      expect((await h.rows()).find((r) => r.message_ts === reply)!.status).toBe("failed");
      await h.event(ev, { eventId: "EvLOST", retryNum: 1 });
      await h.idle();
      const row = (await h.rows()).find((r) => r.message_ts === reply)!;
      expect(row.status).toBe("answered");
      expect(h.sessions.sessions.get(row.session_id)!.prompts).toEqual(["first", "only once"]);
      expect(lastText("C1", root).filter((t) => t === "You said: only once").length).toBe(1);
    } finally {
      h.sessions.sendMessage = original;
    }
  });

  test("a failed message is retried by the sweeper even without a Slack retry", async () => {
    h.sessions.failSend = 1;
    const ts = nextTs();
    await h.event(mention("sweep me", ts));
    await h.idle();
    expect((await h.rows()).find((r) => r.message_ts === ts)!.status).toBe("failed");
    expect(await h.slack.service.resumeStuck(0)).toBeGreaterThanOrEqual(1);
    await h.idle();
    const row = (await h.rows()).find((r) => r.message_ts === ts)!;
    expect(row.status).toBe("answered");
    // The first placeholder was closed with the reason, never left "Thinking…".
    expect(lastText("C1", ts)).toEqual([":warning: *The agent run failed:* queue unavailable (LAP will try again)", "You said: sweep me"]);
  });

  test("a database failure before the row is written answers 500 so Slack retries", async () => {
    const ts = nextTs();
    await h.database.query(`alter table slack_events rename to slack_events_off`);
    try {
      const res = await h.event(mention("during outage", ts), { eventId: "EvOUTAGE" });
      expect(res.status).toBe(500);
    } finally {
      await h.database.query(`alter table slack_events_off rename to slack_events`);
    }
    const res = await h.event(mention("during outage", ts), { eventId: "EvOUTAGE", retryNum: 1 });
    expect(res.status).toBe(200);
    await h.idle();
    expect(lastText("C1", ts)).toEqual(["You said: during outage"]);
  });

  test("two threads at once each get their own session and answer", async () => {
    h.sessions.script = (p) => [
      { type: "agent.message", data: { text: `${p}: part one. ` }, delayMs: 30 },
      { type: "agent.message", data: { text: "part two." }, delayMs: 30 },
      { type: "session.status_idle" },
    ];
    const a = nextTs();
    const b = nextTs();
    await Promise.all([h.event(mention("A", a)), h.event(mention("B", b, { channel: "C2" }))]);
    await h.idle();
    expect(lastText("C1", a)).toEqual(["A: part one. part two."]);
    expect(lastText("C2", b)).toEqual(["B: part one. part two."]);
    const rows = (await h.rows()).filter((r) => r.message_ts === a || r.message_ts === b);
    expect(new Set(rows.map((r) => r.session_id)).size).toBe(2);
  });

  test("a channel the bot cannot post in fails the message with Slack's reason, before any turn is queued", async () => {
    h.fake.failNext("chat.postMessage", { error: "not_in_channel" });
    const ts = nextTs();
    expect((await h.event(mention("hello?", ts))).status).toBe(200);
    await h.idle();
    const row = (await h.rows()).find((r) => r.message_ts === ts)!;
    expect(row.status).toBe("failed");
    expect(row.error).toBe("could not post the reply: not_in_channel");
    expect([...h.sessions.sessions.values()].some((s) => s.prompts.includes("hello?"))).toBe(false);
  });

  test("a channel with no agent gets a clear message", async () => {
    const bindings = (await h.api("GET", "/api/slack/bindings")).body.data;
    for (const b of bindings) await h.api("DELETE", `/api/slack/bindings/${b.id}`);
    const ts = nextTs();
    await h.event(mention("anyone?", ts));
    await h.idle();
    expect(lastText("C1", ts)).toEqual([expect.stringContaining("No agent answers in this channel")]);
    expect((await h.rows()).find((r) => r.message_ts === ts)!.status).toBe("ignored");
    await h.api("PUT", "/api/slack/bindings", { agent_id: "helper" });
  });
});
