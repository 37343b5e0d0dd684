/**
 * The Deny dialog and the approval buttons when something else happened first (./real-sessions-approvals.test.ts):
 * decided elsewhere, two dialogs, forged, too long or closed submissions, an expired trigger, bad metadata.
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
const { click } = slackSessionReads(() => h);
const { ask, openDeny, submit, confirmationsIn } = slackApprovalSteps(() => ({ h, runtime }));

describe("Slack on the real sessions service", () => {
  describe("approvals", () => {
    beforeAll(async () => {
      expect((await h.api("PATCH", `/api/agents/${agentId}`, { approval_required_tools: ["bash"] })).status).toBe(200);
    });
    afterAll(async () => {
      await h.api("PATCH", `/api/agents/${agentId}`, { approval_required_tools: [] });
    });

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
