/**
 * Slack on the real sessions service over a runtime that streams its replies in pieces (LAP's
 * sandbox runtime does: test/support/chunked-runtime.ts): the thread gets the deltas as edits while
 * the reply streams and ends with the whole message, each message's text once (docs/sessions.md
 * "Messages and deltas"). Slack is played by FakeSlack.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { chunkedRuntimes } from "../test/support/chunked-runtime";
import { FakeManagedAgents, type FakeStep } from "../test/support/fake-managed-agents";
import { nextTs, slackHarness, type SlackHarness } from "../test/support/slack-harness";

let h: SlackHarness;
let runtime: FakeManagedAgents;
beforeAll(async () => {
  runtime = new FakeManagedAgents().start();
  h = await slackHarness({ real: { runtime, sessionOptions: chunkedRuntimes } });
  const rt = await h.api("POST", "/api/runtimes", { alias: "fake", base_url: runtime.url, api_key: runtime.apiKey });
  expect(rt.status).toBe(201);
  const ag = await h.api("POST", "/api/agents", { name: "helper", model: "claude-sonnet-4-5", runtime_id: rt.body.id });
  expect(ag.status).toBe(201);
  expect((await h.api("PUT", "/api/slack/bindings", { agent_id: "helper" })).body.agent_id).toBe(ag.body.id);
}, 60_000);
afterAll(async () => {
  await h?.close();
  await runtime?.stop();
});
beforeEach(() => h.fake.reset());

const piece = (text: string): FakeStep[] => [{ delay: 60 }, { event: { type: "agent.message", content: [{ type: "text", text }] } }];
const mention = (text: string, ts: string) => ({ type: "app_mention", user: "U1", text: `<@UBOTT1> ${text}`, ts, channel: "C1" });

test("a reply streamed in pieces is posted whole, each message's text once", async () => {
  runtime.reply = () => [
    { event: { type: "session.status_running" } },
    ...["Looking ", "at ", "it."].flatMap(piece),
    { event: { type: "agent.tool_use", id: "toolu_1", name: "bash", input: { command: "ls" } } },
    { event: { type: "agent.tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "a b" }], is_error: false } },
    ...[" Found ", "two ", "files."].flatMap(piece),
    { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
  ];
  const ts = nextTs();
  await h.event(mention("what is here", ts));
  await h.idle();
  expect(h.fake.thread("C1", ts).map((m) => m.text)).toEqual(["Looking at it. Found two files."]);
  const edits = h.fake
    .callsTo("chat.update")
    .filter((c) => c.args.ts === h.fake.thread("C1", ts)[0]!.ts)
    .map((c) => String(c.args.text));
  expect(edits.at(-1)).toBe("Looking at it. Found two files.");
  // Never a doubled text on the way (a message added on top of its own deltas).
  for (const t of edits) expect(t.includes("it.Looking") || t.split("Looking").length > 2).toBe(false);
  // The session's event list reads the two messages, not their pieces.
  const row = (await h.rows()).find((r) => r.message_ts === ts)!;
  const events = (await h.api("GET", `/api/sessions/${row.session_id}/events?after=0&limit=1000`)).body.data as Array<{
    type: string;
    data: { content?: Array<{ text: string }> };
  }>;
  expect(events.filter((e) => e.type === "agent.message").map((e) => e.data.content![0]!.text)).toEqual([
    "Looking at it.",
    " Found two files.",
  ]);
  expect(events.some((e) => e.type === "agent.message_delta")).toBe(false);
}, 30_000);
