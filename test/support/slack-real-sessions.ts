/**
 * The Slack bot on the real sessions service (agents, runtimes, turn worker, event store) over the
 * FakeManagedAgents runtime, with Slack played by FakeSlack (./slack-harness.ts), for the
 * slack/real-sessions*.test.ts files: the set-up, and the Slack payloads and reads they share.
 */
import { expect } from "bun:test";
import { askReply, echoReply, FakeManagedAgents } from "./fake-managed-agents";
import { nextTs, type SlackHarness, slackHarness } from "./slack-harness";

/** LAP with Slack bound to one agent, `helper`, on a fake Managed Agents runtime. */
export async function startSlackOnRealSessions(): Promise<{ h: SlackHarness; runtime: FakeManagedAgents; agentId: string }> {
  const runtime = new FakeManagedAgents().start();
  const h = await slackHarness({ real: { runtime } });
  const rt = await h.api("POST", "/api/runtimes", { alias: "fake", base_url: runtime.url, api_key: runtime.apiKey });
  expect(rt.status).toBe(201);
  const ag = await h.api("POST", "/api/agents", {
    name: "helper",
    model: "claude-sonnet-4-5",
    system_prompt: "Be brief.",
    runtime_id: rt.body.id,
  });
  expect(ag.status).toBe(201);
  const agentId = ag.body.id;
  expect((await h.api("PUT", "/api/slack/bindings", { agent_id: "helper" })).body.agent_id).toBe(agentId);
  return { h, runtime, agentId };
}

/** Each test starts with no turn running, Slack's record empty and the runtime echoing. */
export async function resetSlackOnRealSessions(h: SlackHarness, runtime: FakeManagedAgents) {
  await h.idle();
  h.fake.reset();
  runtime.reply = (text) => echoReply(text);
}

export const mention = (text: string, ts = nextTs()) => ({ type: "app_mention", user: "U1", text: `<@UBOTT1> ${text}`, ts, channel: "C1" });

/** Reads of the sessions and threads and a button click, on the harness a test file started. */
export function slackSessionReads(harness: () => SlackHarness) {
  const sessionEvents = async (id: string) =>
    (await harness().api("GET", `/api/sessions/${id}/events?after=0&limit=1000`)).body.data as Array<{ type: string; data: any }>;
  const rowFor = async (ts: string) => (await harness().rows()).find((r) => r.message_ts === ts)!;
  const click = (action_id: string, value: string, messageTs: string, o: { team?: string; user?: string; trigger?: string } = {}) => ({
    type: "block_actions",
    team: { id: o.team ?? "T1" },
    user: { id: o.user ?? "U1" },
    channel: { id: "C1" },
    message: { ts: messageTs },
    api_app_id: "AFAKE",
    trigger_id: o.trigger ?? harness().fake.issueTrigger(),
    actions: [{ type: "button", action_id, block_id: "lap_approval", value, action_ts: "1" }],
  });
  const approvalMessageIn = (ts: string) =>
    harness()
      .fake.thread("C1", ts)
      .find((m) =>
        m.blocks?.some((b: any) => b.block_id === "lap_approval" || (b.type === "section" && b.text.text.includes("Approval needed"))),
      );
  return { sessionEvents, rowFor, click, approvalMessageIn };
}

/** An approval asked in a thread, and the Deny dialog's steps, for an agent with `bash` approval-required. */
export function slackApprovalSteps(parts: () => { h: SlackHarness; runtime: FakeManagedAgents }) {
  const { sessionEvents, rowFor, click, approvalMessageIn } = slackSessionReads(() => parts().h);

  /** A mention whose agent asks to run `command`; returns the thread ts, the approval message and its id. */
  async function ask(command: string) {
    const { h, runtime } = parts();
    runtime.reply = () => askReply("bash", { command });
    const ts = nextTs();
    await h.event(mention(`please run ${command}`, ts));
    await h.idle();
    for (let i = 0; i < 100 && !approvalMessageIn(ts); i++) await Bun.sleep(20);
    const message = approvalMessageIn(ts)!;
    const buttons = message.blocks!.find((b: any) => b.type === "actions").elements;
    return { ts, message, buttons, approvalId: buttons[0].value as string, sessionId: (await rowFor(ts)).session_id as string };
  }

  /** Clicks Deny and returns the modal Slack opened for it. */
  async function openDeny(approvalId: string, messageTs: string, user = "U1") {
    const { h } = parts();
    const opened = h.fake.callsTo("views.open").length;
    expect((await h.interaction(click("lap_approval_deny", approvalId, messageTs, { user }))).status).toBe(200);
    await h.idle();
    const call = h.fake.callsTo("views.open")[opened];
    expect(call).toBeDefined();
    return [...h.fake.views.values()].at(-1)!;
  }
  const submit = (viewId: string, reason: string | null, user = "U1") =>
    parts().h.interaction(parts().h.fake.viewSubmission(viewId, user, { reason }));
  const confirmationsIn = async (sessionId: string) => (await sessionEvents(sessionId)).filter((e) => e.type === "user.tool_confirmation");
  return { ask, openDeny, submit, confirmationsIn };
}
