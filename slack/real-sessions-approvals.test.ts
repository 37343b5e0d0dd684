/**
 * Approvals in Slack on the real sessions service (./real-sessions.test.ts): an ask posts Allow/Deny,
 * Allow resumes the session, Deny's dialog carries the reason to the runtime.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { FakeManagedAgents } from "../test/support/fake-managed-agents";
import type { SlackHarness } from "../test/support/slack-harness";
import {
  resetSlackOnRealSessions,
  slackApprovalSteps,
  slackSessionReads,
  startSlackOnRealSessions,
} from "../test/support/slack-real-sessions";

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
const { sessionEvents, click } = slackSessionReads(() => h);
const { ask, openDeny, submit, confirmationsIn } = slackApprovalSteps(() => ({ h, runtime }));

describe("Slack on the real sessions service", () => {
  describe("approvals", () => {
    beforeAll(async () => {
      expect((await h.api("PATCH", `/api/agents/${agentId}`, { approval_required_tools: ["bash"] })).status).toBe(200);
    });
    afterAll(async () => {
      await h.api("PATCH", `/api/agents/${agentId}`, { approval_required_tools: [] });
    });

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
  });
});
