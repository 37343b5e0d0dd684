/**
 * The Slack bot end to end on the real sessions service (agents, runtimes, turn worker, event
 * store) over the FakeManagedAgents runtime, with Slack played by FakeSlack.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { askReply, echoReply, FakeManagedAgents, type FakeStep } from "../test/support/fake-managed-agents";
import { nextTs, slackHarness, type SlackHarness } from "../test/support/slack-harness";

let h: SlackHarness;
let runtime: FakeManagedAgents;
let agentId: string;
beforeAll(async () => {
  runtime = new FakeManagedAgents().start();
  h = await slackHarness({ real: { runtime } });
  const rt = await h.api("POST", "/api/runtimes", { alias: "fake", base_url: runtime.url, api_key: runtime.apiKey });
  expect(rt.status).toBe(201);
  const ag = await h.api("POST", "/api/agents", {
    name: "helper",
    model: "claude-sonnet-4-5",
    system_prompt: "Be brief.",
    runtime_id: rt.body.id,
  });
  expect(ag.status).toBe(201);
  agentId = ag.body.id;
  expect((await h.api("PUT", "/api/slack/bindings", { agent_id: "helper" })).body.agent_id).toBe(agentId);
}, 60_000);
afterAll(async () => {
  await h?.close();
  await runtime?.stop();
});
beforeEach(async () => {
  await h.idle();
  h.fake.reset();
  runtime.reply = (text) => echoReply(text);
});

const mention = (text: string, ts = nextTs()) => ({ type: "app_mention", user: "U1", text: `<@UBOTT1> ${text}`, ts, channel: "C1" });
const sessionEvents = async (id: string) =>
  (await h.api("GET", `/api/sessions/${id}/events?after=0&limit=1000`)).body.data as Array<{ type: string; data: any }>;
const rowFor = async (ts: string) => (await h.rows()).find((r) => r.message_ts === ts)!;
const click = (action_id: string, value: string, messageTs: string, o: { team?: string; user?: string; trigger?: string } = {}) => ({
  type: "block_actions",
  team: { id: o.team ?? "T1" },
  user: { id: o.user ?? "U1" },
  channel: { id: "C1" },
  message: { ts: messageTs },
  api_app_id: "AFAKE",
  trigger_id: o.trigger ?? h.fake.issueTrigger(),
  actions: [{ type: "button", action_id, block_id: "lap_approval", value, action_ts: "1" }],
});
const approvalMessageIn = (ts: string) =>
  h.fake
    .thread("C1", ts)
    .find((m) =>
      m.blocks?.some((b: any) => b.block_id === "lap_approval" || (b.type === "section" && b.text.text.includes("Approval needed"))),
    );

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

  describe("approvals", () => {
    beforeAll(async () => {
      expect((await h.api("PATCH", `/api/agents/${agentId}`, { approval_required_tools: ["bash"] })).status).toBe(200);
    });
    afterAll(async () => {
      await h.api("PATCH", `/api/agents/${agentId}`, { approval_required_tools: [] });
    });

    /** A mention whose agent asks to run `command`; returns the thread ts, the approval message and its id. */
    async function ask(command: string) {
      runtime.reply = () => askReply("bash", { command });
      const ts = nextTs();
      await h.event(mention(`please run ${command}`, ts));
      await h.idle();
      for (let i = 0; i < 100 && !approvalMessageIn(ts); i++) await Bun.sleep(20);
      const message = approvalMessageIn(ts)!;
      const buttons = message.blocks!.find((b: any) => b.type === "actions").elements;
      return { ts, message, buttons, approvalId: buttons[0].value as string, sessionId: (await rowFor(ts)).session_id as string };
    }

    test("an ask posts Allow/Deny; Allow decides once, resumes the session and the answer streams into the thread", async () => {
      const { ts, message, buttons, approvalId, sessionId } = await ask("uptime");
      expect(buttons.map((b: any) => [b.action_id, b.value])).toEqual([
        ["lap_approval_allow", approvalId],
        ["lap_approval_deny", approvalId],
      ]);
      expect(message.blocks![0].text.text).toContain('"command": "uptime"');
      expect(h.fake.thread("C1", ts)[0]!.text).toBe(
        "I need to run a command.\n\n:raising_hand: _Waiting for approval: see the buttons below._",
      );
      const pending = await h.api("GET", `/api/approvals/${approvalId}`);
      expect(pending.body).toMatchObject({ status: "pending", session_id: sessionId, tool_name: "bash" });

      expect((await h.interaction(click("lap_approval_allow", approvalId, message.ts))).status).toBe(200);
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body).toMatchObject({ status: "allowed", decided_by: "slack:U1" });
      expect(message.text).toBe(":white_check_mark: Allowed by <@U1>: bash");
      expect(message.blocks!.some((b: any) => b.type === "actions")).toBe(false);
      expect(
        h.fake
          .thread("C1", ts)
          .map((m) => m.text)
          .at(-1),
      ).toBe("Done: bash ran.");
      expect(runtime.confirmations.filter((c) => c.result === "allow").length).toBeGreaterThanOrEqual(1);

      // A second click (say, a colleague on Deny) changes nothing and says who decided.
      const confirmationsBefore = runtime.confirmations.length;
      expect((await h.interaction(click("lap_approval_deny", approvalId, message.ts, { user: "U2" }))).status).toBe(200);
      await h.idle();
      expect(h.fake.callsTo("chat.postEphemeral").at(-1)!.args).toMatchObject({ user: "U2", text: "Already allowed by <@U1>." });
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body.status).toBe("allowed");
      expect(runtime.confirmations.length).toBe(confirmationsBefore);
      const confirmations = (await sessionEvents(sessionId)).filter((e) => e.type === "user.tool_confirmation");
      expect(confirmations).toHaveLength(1);
    }, 30_000);

    /** Clicks Deny and returns the modal Slack opened for it. */
    async function openDeny(approvalId: string, messageTs: string, user = "U1") {
      const opened = h.fake.callsTo("views.open").length;
      expect((await h.interaction(click("lap_approval_deny", approvalId, messageTs, { user }))).status).toBe(200);
      await h.idle();
      const call = h.fake.callsTo("views.open")[opened];
      expect(call).toBeDefined();
      return [...h.fake.views.values()].at(-1)!;
    }
    const submit = (viewId: string, reason: string | null, user = "U1") => h.interaction(h.fake.viewSubmission(viewId, user, { reason }));
    const confirmationsIn = async (sessionId: string) =>
      (await sessionEvents(sessionId)).filter((e) => e.type === "user.tool_confirmation");

    test("Deny opens a dialog; its reason reaches the runtime as deny_message and the thread says who and why", async () => {
      const { ts, message, approvalId, sessionId } = await ask("rm -rf /");
      const view = await openDeny(approvalId, message.ts);
      // The click only opened the dialog, for this approval and this message.
      expect(h.fake.callsTo("views.open").at(-1)!.args.trigger_id).toBeString();
      expect(view).toMatchObject({ type: "modal", callback_id: "lap_approval_deny_reason" });
      expect(JSON.parse(view.private_metadata)).toEqual({ approval_id: approvalId, channel_id: "C1", message_ts: message.ts });
      const input = view.blocks.find((b) => b.type === "input");
      expect(input).toMatchObject({ block_id: "reason", optional: true, element: { type: "plain_text_input", max_length: 2000 } });
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body.status).toBe("pending");
      expect(message.text).toContain("Approval needed");

      const reason = "Not on prod <!channel> & use a dry run";
      const res = await submit(view.id, `  ${reason}  `);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(""); // an empty ack closes the dialog
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body).toMatchObject({
        status: "denied",
        decided_by: "slack:U1",
        message: reason,
      });
      expect(runtime.confirmations.at(-1)).toMatchObject({ result: "deny", deny_message: reason });
      const confirmations = await confirmationsIn(sessionId);
      expect(confirmations).toHaveLength(1);
      expect(confirmations[0]!.data).toMatchObject({
        approval_id: approvalId,
        result: "deny",
        deny_message: reason,
        decided_by: "slack:U1",
      });
      // Escaped for mrkdwn: the reason cannot ping the channel.
      expect(message.text).toBe(":no_entry_sign: Denied by <@U1>: Not on prod &lt;!channel&gt; &amp; use a dry run: bash");
      expect(message.blocks!.some((b: any) => b.type === "actions")).toBe(false);
      expect(
        h.fake
          .thread("C1", ts)
          .map((m) => m.text)
          .at(-1),
      ).toBe("Understood, I did not run bash.");
    }, 30_000);

    test("Deny without a reason denies with no message; a click from another workspace decides nothing", async () => {
      const { ts, message, approvalId } = await ask("reboot");
      expect((await h.interaction(click("lap_approval_deny", approvalId, message.ts, { team: "T2" }))).status).toBe(200);
      await h.idle();
      // LAP has no installation for T2: Bolt refuses to authorize the click, no dialog, nothing edited.
      expect(h.fake.callsTo("views.open")).toHaveLength(0);
      expect(h.fake.callsTo("chat.update").filter((c) => c.args.ts === message.ts)).toHaveLength(0);

      const view = await openDeny(approvalId, message.ts);
      expect((await submit(view.id, null)).status).toBe(200);
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body).toMatchObject({
        status: "denied",
        decided_by: "slack:U1",
        message: null,
      });
      expect(runtime.confirmations.at(-1)).toEqual({ tool_use_id: expect.any(String), result: "deny" });
      expect(message.text).toBe(":no_entry_sign: Denied by <@U1>: bash");
      expect(
        h.fake
          .thread("C1", ts)
          .map((m) => m.text)
          .at(-1),
      ).toBe("Understood, I did not run bash.");
    }, 30_000);

    test("a dialog submitted after the approval was decided elsewhere answers with an error and changes nothing", async () => {
      const { message, approvalId, sessionId } = await ask("df -h");
      const mine = await openDeny(approvalId, message.ts, "U1");
      const colleague = await openDeny(approvalId, message.ts, "U2");
      // The dashboard allows while both dialogs are open. Its confirmation reaches the runtime from the
      // turn worker after the 200, so count from before it and wait for exactly that one (reading the
      // counter right after the 200 was this test's flake on PostgreSQL: 4 for 3).
      const before = runtime.confirmations.length + 1;
      expect((await h.api("POST", `/api/approvals/${approvalId}/decision`, { decision: "allow" })).status).toBe(200);
      for (let i = 0; i < 250 && runtime.confirmations.length < before; i++) await Bun.sleep(20);
      expect(runtime.confirmations.length).toBe(before);
      const res = await submit(mine.id, "too risky");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        response_action: "errors",
        errors: { reason: "Already allowed by master key; nothing was changed." },
      });
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body).toMatchObject({
        status: "allowed",
        decided_by: "master key",
        message: null,
      });
      expect(runtime.confirmations.length).toBe(before);
      expect(await confirmationsIn(sessionId)).toHaveLength(1);
      // The thread stops offering buttons and shows the real outcome.
      expect(message.text).toBe(":white_check_mark: Allowed by master key: bash");

      const again = await submit(colleague.id, "me neither", "U2");
      expect(await again.json()).toEqual({
        response_action: "errors",
        errors: { reason: "Already allowed by master key; nothing was changed." },
      });
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body.status).toBe("allowed");
      expect(await confirmationsIn(sessionId)).toHaveLength(1);
    }, 30_000);

    test("two dialogs for one approval: the second submission says who denied first", async () => {
      const { message, approvalId, sessionId } = await ask("whoami");
      const first = await openDeny(approvalId, message.ts, "U1");
      const second = await openDeny(approvalId, message.ts, "U2");
      expect((await submit(first.id, "no")).status).toBe(200);
      await h.idle();
      const res = await submit(second.id, "also no", "U2");
      expect(await res.json()).toEqual({
        response_action: "errors",
        errors: { reason: "Already denied by Slack user U1; nothing was changed." },
      });
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body).toMatchObject({
        status: "denied",
        decided_by: "slack:U1",
        message: "no",
      });
      expect(await confirmationsIn(sessionId)).toHaveLength(1);
    }, 30_000);

    test("an unsigned or wrongly signed submission is 401 and decides nothing", async () => {
      const { message, approvalId, sessionId } = await ask("cat /etc/passwd");
      const view = await openDeny(approvalId, message.ts);
      const payload = h.fake.viewSubmission(view.id, "U1", { reason: "forged" });
      const updates = h.fake.callsTo("chat.update").length;
      expect((await h.interaction(payload, { secret: "wrong-secret" })).status).toBe(401);
      expect((await h.interaction(payload, { signature: "" })).status).toBe(401);
      const unsigned = new Request(`${h.config.baseUrl}/slack/interactivity`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      });
      expect((await h.send(unsigned)).status).toBe(401);
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body).toMatchObject({ status: "pending", message: null });
      expect(await confirmationsIn(sessionId)).toHaveLength(0);
      expect(h.fake.callsTo("chat.update").length).toBe(updates);
      // The real submission still works afterwards.
      expect((await submit(view.id, "not that file")).status).toBe(200);
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body).toMatchObject({ status: "denied", message: "not that file" });
    }, 30_000);

    test("a reason over 2000 characters is refused in the dialog, naming the field; nothing is decided", async () => {
      const { message, approvalId, sessionId } = await ask("ls -la");
      const view = await openDeny(approvalId, message.ts);
      const res = await submit(view.id, "x".repeat(2001));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ response_action: "errors", errors: { reason: "Reason: at most 2000 characters" } });
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body.status).toBe("pending");
      expect(await confirmationsIn(sessionId)).toHaveLength(0);
      expect(message.text).toContain("Approval needed");
      // Exactly at the limit is fine.
      expect(await (await submit(view.id, "y".repeat(2000))).text()).toBe("");
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body.message).toBe("y".repeat(2000));
    }, 30_000);

    test("closing the dialog decides nothing", async () => {
      const { message, approvalId, sessionId } = await ask("top");
      const view = await openDeny(approvalId, message.ts);
      const updates = h.fake.callsTo("chat.update").length;
      expect((await h.interaction(h.fake.viewClosed(view.id, "U1"))).status).toBe(200);
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body.status).toBe("pending");
      expect(await confirmationsIn(sessionId)).toHaveLength(0);
      expect(h.fake.callsTo("chat.update").length).toBe(updates);
      expect(message.text).toContain("Approval needed");
    }, 30_000);

    test("a Deny click whose trigger_id expired says so and decides nothing", async () => {
      const { message, approvalId } = await ask("uname");
      const res = await h.interaction(click("lap_approval_deny", approvalId, message.ts, { trigger: h.fake.issueTrigger(4000) }));
      expect(res.status).toBe(200);
      await h.idle();
      expect(h.fake.calls.filter((c) => c.method === "views.open").map((c) => c.error)).toEqual(["expired_trigger_id"]);
      expect(h.fake.callsTo("chat.postEphemeral").at(-1)!.args.text).toBe(
        "Slack could not open the Deny dialog (expired_trigger_id); click Deny again.",
      );
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body.status).toBe("pending");
    }, 30_000);

    test("a submission whose metadata names an approval of no thread is refused", async () => {
      const { message, approvalId } = await ask("id");
      const view = await openDeny(approvalId, message.ts);
      const payload = h.fake.viewSubmission(view.id, "U1", { reason: "x" });
      payload.view.private_metadata = JSON.stringify({ approval_id: "apr_does_not_exist" });
      expect(await (await h.interaction(payload)).json()).toEqual({
        response_action: "errors",
        errors: { reason: "That approval is not part of this workspace." },
      });
      payload.view.private_metadata = "not json";
      expect(await (await h.interaction(payload)).json()).toEqual({
        response_action: "errors",
        errors: { reason: "This dialog does not name an approval. Close it and click Deny again." },
      });
      await h.idle();
      expect((await h.api("GET", `/api/approvals/${approvalId}`)).body.status).toBe("pending");
    }, 30_000);

    test("an approval decided in the dashboard first: the Slack click says so", async () => {
      const { message, approvalId } = await ask("ls");
      expect((await h.api("POST", `/api/approvals/${approvalId}/decision`, { decision: "deny", message: "not now" })).status).toBe(200);
      expect((await h.interaction(click("lap_approval_allow", approvalId, message.ts))).status).toBe(200);
      await h.idle();
      expect(h.fake.callsTo("chat.postEphemeral").at(-1)!.args.text).toBe("Already denied by master key.");
      expect(message.text).toBe(":no_entry_sign: Denied by master key: not now: bash");
    }, 30_000);
  });
});
