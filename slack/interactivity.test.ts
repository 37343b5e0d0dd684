import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { nextTs, slackHarness, type SlackHarness } from "../test/support/slack-harness";
import { createSecretBox } from "../server/lib/crypto";
import { SlackStore } from "./store";

let h: SlackHarness;
beforeAll(async () => {
  h = await slackHarness();
  await h.api("PUT", "/api/slack/bindings", { agent_id: "helper" });
}, 60_000);
afterAll(() => h?.close());
beforeEach(async () => {
  await h.idle();
  h.fake.reset();
});

const mention = (text: string, ts = nextTs()) => ({ type: "app_mention", user: "U1", text: `<@UBOTT1> ${text}`, ts, channel: "C1" });
const click = (action_id: string, value: string, extra: Record<string, unknown> = {}) => ({
  type: "block_actions",
  team: { id: "T1", domain: "acme" },
  user: { id: "U1", team_id: "T1" },
  api_app_id: "AFAKE",
  channel: { id: "C1" },
  trigger_id: "trig",
  response_url: "http://127.0.0.1:1/unused",
  actions: [{ type: "button", action_id, block_id: "b", value, action_ts: "1" }],
  ...extra,
});
const command = (text: string, extra: Record<string, string> = {}) => ({
  command: "/lap",
  text,
  team_id: "T1",
  team_domain: "acme",
  channel_id: "C1",
  channel_name: "general",
  user_id: "U1",
  user_name: "alice",
  trigger_id: `trig-${Math.random()}`,
  response_url: "http://127.0.0.1:1/unused",
  api_app_id: "AFAKE",
  ...extra,
});

describe("Slack interactivity", () => {
  test("the Stop button interrupts the session and the reply says Stopped", async () => {
    h.sessions.script = () => [
      { type: "agent.message", data: { text: "Working…" } },
      { type: "wait", untilInterrupted: true },
    ];
    const ts = nextTs();
    await h.event(mention("long job", ts));
    let row = (await h.rows()).find((r) => r.message_ts === ts)!;
    for (let i = 0; i < 250 && row.status !== "enqueued"; i++) {
      await Bun.sleep(20);
      row = (await h.rows()).find((r) => r.message_ts === ts)!;
    }
    expect(row.status).toBe("enqueued");
    const res = await h.interaction(click("lap_stop", row.session_id));
    expect(res.status).toBe(200);
    await h.idle();
    expect(h.fake.thread("C1", ts).map((m) => m.text)).toEqual(["Working…\n\n:octagonal_sign: _Stopped._"]);
  });

  test("Stop for a session outside this workspace does nothing", async () => {
    let interrupted = false;
    const original = h.sessions.interrupt.bind(h.sessions);
    h.sessions.interrupt = async (id) => {
      interrupted = true;
      return original(id);
    };
    const res = await h.interaction(click("lap_stop", "sess-not-from-slack"));
    expect(res.status).toBe(200);
    await h.idle();
    expect(interrupted).toBe(false);
    expect(h.fake.callsTo("chat.postEphemeral")[0]!.args.text).toContain("not part of this workspace");
    h.sessions.interrupt = original;
  });

  test("interactivity with a bad signature is 401 and interrupts nothing", async () => {
    const res = await h.interaction(click("lap_stop", "sess-1"), { secret: "wrong" });
    expect(res.status).toBe(401);
    await h.idle();
    expect(h.fake.calls.length).toBe(0);
  });
});

describe("/lap slash command", () => {
  test("status, agent list and agent choice answer ephemerally within the request", async () => {
    let res = await h.command(command("status"));
    expect(res.status).toBe(200);
    const first = await res.json();
    expect(first.response_type).toBe("ephemeral");
    expect(first.text).toMatch(/^\*helper\* answers in this channel\. \d+ threads? here have a session\.$/);
    res = await h.command(command("agent"));
    expect((await res.json()).text).toBe("Agents: `helper`, `coder`");
    res = await h.command(command("agent nobody"));
    expect((await res.json()).text).toContain("No agent named `nobody`");
    res = await h.command(command("agent coder"));
    expect((await res.json()).text).toBe("*coder* now answers in this channel.");
    res = await h.command(command("status"));
    expect((await res.json()).text).toStartWith("*coder* answers in this channel.");
    const bindings = (await h.api("GET", "/api/slack/bindings")).body.data;
    expect(bindings).toContainEqual(expect.objectContaining({ team_id: "T1", channel_id: "C1", agent_id: "agent-coder" }));
    res = await h.command(command(""));
    expect((await res.json()).text).toContain("/lap status");
  });

  test("new with a prompt starts a thread, a session and streams the answer into it", async () => {
    h.sessions.script = (p) => [{ type: "agent.message", data: { text: `On it: ${p}` } }, { type: "session.status_idle" }];
    const res = await h.command(command("new summarize the incident"));
    expect((await res.json()).text).toContain("Starting a session");
    await h.idle();
    const root = h.fake.messages.find((m) => m.channel === "C1" && !m.thread_ts && m.text.includes("started a session"))!;
    expect(root.text).toContain("summarize the incident");
    expect(h.fake.thread("C1", root.ts).map((m) => m.text)).toEqual(["On it: summarize the incident"]);
    // A later reply in that thread continues the same session.
    await h.event({
      type: "message",
      channel_type: "channel",
      channel: "C1",
      user: "U1",
      text: "and the timeline?",
      ts: nextTs(),
      thread_ts: root.ts,
    });
    await h.idle();
    expect(h.fake.thread("C1", root.ts).map((m) => m.text)).toEqual(["On it: summarize the incident", "On it: and the timeline?"]);
  });

  test("a command timestamped 10 minutes in the future is 401 and runs nothing (issue 15, item 11)", async () => {
    const res = await h.command(command("new from the future"), { timestamp: Math.floor(Date.now() / 1000) + 600 });
    expect(res.status).toBe(401);
    await h.idle();
    expect(h.fake.callsTo("chat.postMessage")).toEqual([]);
  });

  test("a replayed /lap new (the same signed request again) starts one thread, not two (issue 15, item 11)", async () => {
    h.sessions.script = (p) => [{ type: "agent.message", data: { text: `On it: ${p}` } }, { type: "session.status_idle" }];
    const fields = command("new replay me");
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await h.command(fields, { timestamp });
    expect((await first.json()).text).toContain("Starting a session");
    const replay = await h.command(fields, { timestamp });
    expect(replay.status).toBe(200);
    expect(await replay.text()).toBe("");
    await h.idle();
    const roots = h.fake.messages.filter((m) => m.channel === "C1" && !m.thread_ts && m.text.includes("replay me"));
    expect(roots.length).toBe(1);
    // A new command (new trigger, new signature) is not a replay.
    expect((await (await h.command(command("status"))).json()).text).toContain("answers in this channel");
  });

  test("the replay record is shared: a second replica on the same database sees the first one's request", async () => {
    const box = createSecretBox(h.config.encryptionKey);
    const replicaA = new SlackStore({ database: h.database, secretBox: box });
    const replicaB = new SlackStore({ database: h.database, secretBox: box });
    const signature = `v0=${"ab".repeat(32)}`;
    expect(await replicaA.firstSeen(signature)).toBe(true);
    expect(await replicaB.firstSeen(signature)).toBe(false);
    expect(await replicaA.firstSeen(signature)).toBe(false);
  });

  test("a command with a stale signature is 401", async () => {
    const res = await h.command(command("status"), { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(res.status).toBe(401);
  });
});
