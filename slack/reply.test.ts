import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { gate } from "../test/support/gate";
import { nextTs, slackHarness, type SlackHarness } from "../test/support/slack-harness";

const INTERVAL = 250;
let h: SlackHarness;
beforeAll(async () => {
  h = await slackHarness({ minEditIntervalMs: INTERVAL });
  await h.api("PUT", "/api/slack/bindings", { agent_id: "helper" });
}, 60_000);
afterAll(() => h?.close());
beforeEach(async () => {
  await h.idle();
  h.fake.reset();
});

const mention = (text: string, ts = nextTs()) => ({ type: "app_mention", user: "U1", text: `<@UBOTT1> ${text}`, ts, channel: "C1" });
const updatesOf = (ts: string) => h.fake.calls.filter((c) => c.method === "chat.update" && c.args.ts === ts);

describe("Slack reply streaming", () => {
  test("Slack gets its 200 at once; the slow work happens after", async () => {
    // The agent answers only after Slack got its 200: a handler that waited for the answer would wait
    // for the guard (15 s).
    const answer = gate();
    h.sessions.script = () => [
      { type: "agent.message", data: { text: "slow answer" }, until: answer.opened },
      { type: "session.status_idle" },
    ];
    const ts = nextTs();
    const res = await h.event(mention("take your time", ts));
    expect(h.fake.thread("C1", ts).map((m) => m.text)).not.toContain("slow answer");
    answer.open();
    expect(answer.forcedOpen).toBe(false);
    expect(res.status).toBe(200);
    await h.idle();
    expect(h.fake.thread("C1", ts).map((m) => m.text)).toEqual(["slow answer"]);
  }, 30_000);

  test("deltas stream in by editing the placeholder at most once per interval", async () => {
    h.sessions.script = () => [
      ...Array.from({ length: 30 }, (_, i) => ({ type: "agent.message", data: { text: `w${i} ` }, delayMs: 25 })),
      { type: "session.status_idle" },
    ];
    const ts = nextTs();
    await h.event(mention("stream", ts));
    await h.idle();
    const [msg] = h.fake.thread("C1", ts);
    expect(msg!.text).toBe(Array.from({ length: 30 }, (_, i) => `w${i}`).join(" "));
    const updates = updatesOf(msg!.ts);
    expect(updates.length).toBeGreaterThanOrEqual(2); // it streamed, not one final write
    expect(updates.length).toBeLessThan(10); // 30 deltas were coalesced
    const writes = [h.fake.callsTo("chat.postMessage").find((c) => c.args.thread_ts === ts)!, ...updates];
    for (let i = 1; i < writes.length; i++) expect(writes[i]!.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL - 15);
    // While running the reply shows a Stop button; at the end only View session remains.
    const running = updates[0]!.args.blocks.find((b: any) => b.type === "actions").elements.map((e: any) => e.action_id);
    expect(running).toEqual(["lap_view_session", "lap_stop"]);
    expect(msg!.blocks!.find((b: any) => b.type === "actions").elements.map((e: any) => e.action_id)).toEqual(["lap_view_session"]);
  });

  test("a 429 with Retry-After holds the next edit back that long, and nothing is lost", async () => {
    h.sessions.script = () => [
      { type: "agent.message", data: { text: "first " }, delayMs: 20 },
      { type: "agent.message", data: { text: "second " }, delayMs: 300 },
      { type: "agent.message", data: { text: "third" }, delayMs: 300 },
      { type: "session.status_idle", delayMs: 50 },
    ];
    h.fake.failNext("chat.update", { status: 429, retryAfterSec: 1 });
    const ts = nextTs();
    await h.event(mention("rate limit me", ts));
    await h.idle();
    const all = h.fake.calls.filter((c) => c.method === "chat.update");
    const limited = all.find((c) => c.status === 429)!;
    const after = all.filter((c) => c.at > limited.at);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]!.at - limited.at).toBeGreaterThanOrEqual(990);
    expect(h.fake.thread("C1", ts).map((m) => m.text)).toEqual(["first second third"]);
  });

  test("a long answer continues in new messages, each within Slack's limits", async () => {
    const paragraph = (i: number) => `Paragraph ${i}: ${"lorem ipsum dolor sit amet ".repeat(12).trim()}.`;
    const long = Array.from({ length: 40 }, (_, i) => paragraph(i)).join("\n\n");
    h.sessions.script = () => [
      { type: "agent.message", data: { text: long.slice(0, 5000) } },
      { type: "agent.message", data: { text: long.slice(5000) } },
      { type: "session.status_idle" },
    ];
    const ts = nextTs();
    await h.event(mention("write a lot", ts));
    await h.idle();
    const msgs = h.fake.thread("C1", ts);
    expect(msgs.length).toBeGreaterThanOrEqual(3);
    for (const m of msgs) expect(m.text.length).toBeLessThanOrEqual(3900);
    expect(msgs.map((m) => m.text).join("")).toBe(long);
    expect(h.fake.calls.filter((c) => c.error).map((c) => c.error)).toEqual([]); // no invalid_blocks, no msg_too_long
    // Only the last message carries the buttons.
    expect(msgs.slice(0, -1).every((m) => !m.blocks!.some((b: any) => b.type === "actions"))).toBe(true);
    expect(msgs.at(-1)!.blocks!.some((b: any) => b.type === "actions")).toBe(true);
  });

  test("tool activity is summarized under the answer", async () => {
    h.sessions.script = () => [
      { type: "agent.tool_use", data: { name: "web_search" } },
      { type: "agent.tool_use", data: { name: "web_search" } },
      { type: "agent.tool_use", data: { name: "bash" } },
      { type: "agent.message", data: { text: "Found it." } },
      { type: "session.status_idle" },
    ];
    const ts = nextTs();
    await h.event(mention("look it up", ts));
    await h.idle();
    const [msg] = h.fake.thread("C1", ts);
    const context = msg!.blocks!.find((b: any) => b.type === "context");
    expect(context.elements[0].text).toBe(":hammer_and_wrench: Used web_search ×2, bash");
    expect(msg!.text).toBe("Found it.");
  });

  test("a failed run says so clearly, keeping what was already written", async () => {
    h.sessions.script = () => [
      { type: "agent.message", data: { text: "Working on <it>" } },
      { type: "session.error", data: { error: { message: "model overloaded" } } },
    ];
    const ts = nextTs();
    await h.event(mention("fail please", ts));
    await h.idle();
    const [msg] = h.fake.thread("C1", ts);
    expect(msg!.text).toBe("Working on &lt;it&gt;\n\n:warning: *The agent run failed:* model overloaded");
    const row = (await h.rows()).find((r) => r.message_ts === ts)!;
    expect(row.status).toBe("answered");
    expect(row.error).toBe("model overloaded");
  });

  test("replies are posted under the agent's name, and without it when the install lacks chat:write.customize", async () => {
    h.sessions.script = () => [{ type: "agent.message", data: { text: "hi" } }, { type: "session.status_idle" }];
    const a = nextTs();
    await h.event(mention("who are you", a));
    await h.idle();
    expect(h.fake.callsTo("chat.postMessage").find((c) => c.args.thread_ts === a)!.args.username).toBe("helper");
    h.fake.failNext("chat.postMessage", { error: "missing_scope" });
    const b = nextTs();
    await h.event(mention("again", b));
    await h.idle();
    expect(h.fake.thread("C1", b).map((m) => m.text)).toEqual(["hi"]);
    expect(h.fake.callsTo("chat.postMessage").find((c) => c.args.thread_ts === b)!.args.username).toBeUndefined();
  });

  test("an empty successful run says Done.", async () => {
    h.sessions.script = () => [{ type: "session.status_idle" }];
    const ts = nextTs();
    await h.event(mention("nothing to say", ts));
    await h.idle();
    expect(h.fake.thread("C1", ts).map((m) => m.text)).toEqual(["Done."]);
  });
});
