import type { WebClient } from "@slack/web-api";
import type { Logger } from "../server/lib/logger";
import { ALLOW_ACTION, approvalMessage, deciderText, DENY_ACTION } from "./approval-blocks";
import { denyModal, parseDenySubmission, REASON_BLOCK, type SubmittedView } from "./deny-modal";
import type { ApprovalRef } from "../server/sessions/port";
import type { SlackService } from "./service";
import { slackErrorCode, withRateLimit } from "./web";

interface ActionBody {
  team?: { id: string };
  trigger_id?: string;
  user: { id: string };
  channel?: { id: string };
  message?: { ts: string };
}

interface Action {
  action_id: string;
  value?: string;
}

/**
 * Block Kit buttons. Every target is checked against the clicking workspace: a session id from a
 * button only counts if that session belongs to a thread of this team.
 */
export async function handleAction(args: { service: SlackService; client: WebClient; body: ActionBody; action: Action; log: Logger }) {
  const { service, client, body, action, log } = args;
  const { store, sessions } = service.deps;
  const teamId = body.team?.id ?? "";
  const post = (text: string) =>
    body.channel ? client.chat.postEphemeral({ channel: body.channel.id, user: body.user.id, text }).catch(() => {}) : Promise.resolve();

  if (action.action_id === "lap_view_session") return; // a link button; Slack still sends the click
  if (action.action_id === "lap_stop") {
    const thread = action.value ? await store.threadOfSession(action.value) : null;
    if (!thread || thread.teamId !== teamId) return void (await post("That session is not part of this workspace."));
    await sessions.interrupt(action.value!);
    log.info({ session_id: action.value, user: body.user.id }, "slack stop requested");
    return;
  }
  if (action.action_id === ALLOW_ACTION || action.action_id === DENY_ACTION) {
    const approval = action.value ? await sessions.getApproval(action.value) : null;
    const thread = approval ? await store.threadOfSession(approval.sessionId) : null;
    if (!approval || !thread || thread.teamId !== teamId) return void (await post("That approval is not part of this workspace."));
    // Deny asks why first; the decision is made when the dialog is submitted (handleDenySubmission).
    if (action.action_id === DENY_ACTION && approval.status === "pending") {
      if (!body.trigger_id) return void (await post("Slack did not send what is needed to open the Deny dialog; click Deny again."));
      const view = denyModal(approval, { channelId: body.channel?.id, messageTs: body.message?.ts });
      await client.views.open({ trigger_id: body.trigger_id, view }).catch(async (err) => {
        log.warn({ approval_id: approval.id, err: slackErrorCode(err) }, "slack: could not open the Deny dialog");
        await post(`Slack could not open the Deny dialog (${slackErrorCode(err)}); click Deny again.`);
      });
      return;
    }
    const decision = action.action_id === ALLOW_ACTION ? "allow" : "deny";
    const result = await sessions.decideApproval(approval.id, decision, `slack:${body.user.id}`);
    if (result.kind === "not_found") return void (await post("This approval no longer exists."));
    // Either way the message now shows the outcome and who decided, without buttons.
    if (body.channel && body.message) await showOutcome(client, body.channel.id, body.message.ts, result.approval, log);
    if (result.kind === "conflict") {
      const a = result.approval;
      return void (await post(
        a.status === "expired"
          ? `This approval expired${a.message ? ` (${a.message})` : ""}.`
          : `Already ${a.status === "allowed" ? "allowed" : "denied"} by ${deciderText(a.decidedBy)}.`,
      ));
    }
    log.info({ approval_id: approval.id, decision, user: body.user.id }, "slack approval decided");
    await service.followTurn(client, approval.sessionId, result.turnId, result.afterSeq);
  }
}

/** Edits the thread's approval message to show the outcome and who decided, without buttons. */
async function showOutcome(client: WebClient, channel: string, ts: string, approval: ApprovalRef, log: Logger) {
  const msg = approvalMessage(approval);
  await withRateLimit(() => client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks as never })).catch((err) =>
    log.warn({ err: slackErrorCode(err) }, "slack: could not update the approval message"),
  );
}

/** Modal errors are plain text: a Slack mention would show as `<@U1>`. */
function plainDecider(decidedBy: string | null) {
  const m = decidedBy ? /^slack:([UW][A-Z0-9]+)$/.exec(decidedBy) : null;
  return m ? `Slack user ${m[1]}` : (decidedBy ?? "someone");
}

function alreadyDecided(a: ApprovalRef) {
  if (a.status === "expired") return `This approval expired${a.message ? ` (${a.message})` : ""}; nothing was changed.`;
  return `Already ${a.status === "allowed" ? "allowed" : "denied"} by ${plainDecider(a.decidedBy)}; nothing was changed.`;
}

interface ViewSubmissionBody {
  team?: { id: string } | null;
  user: { id: string; team_id?: string };
  view: SubmittedView;
}

type ViewAck = (response?: { response_action: "errors"; errors: Record<string, string> }) => Promise<void>;

/**
 * The Deny dialog submitted: denies through the same approvals service as the button and the
 * dashboard, with the reason as the deny message. Anything that prevents the denial (a bad reason,
 * an approval decided meanwhile, another workspace's approval) is answered in the dialog and changes
 * nothing. The thread message is updated after Slack has its answer.
 */
export async function handleDenySubmission(args: {
  service: SlackService;
  client: WebClient;
  body: ViewSubmissionBody;
  ack: ViewAck;
  log: Logger;
}) {
  const { service, client, body, ack, log } = args;
  const { store, sessions } = service.deps;
  const refuse = (text: string) => ack({ response_action: "errors", errors: { [REASON_BLOCK]: text } });
  const submission = parseDenySubmission(body.view);
  if (!submission.ok) return void (await ack({ response_action: "errors", errors: submission.errors }));
  const teamId = body.team?.id ?? body.user.team_id ?? "";
  const approval = await sessions.getApproval(submission.approvalId);
  const thread = approval ? await store.threadOfSession(approval.sessionId) : null;
  if (!approval || !thread || thread.teamId !== teamId) return void (await refuse("That approval is not part of this workspace."));
  const result = await sessions.decideApproval(approval.id, "deny", `slack:${body.user.id}`, submission.reason);
  if (result.kind === "not_found") return void (await refuse("This approval no longer exists."));
  if (result.kind === "conflict") {
    await refuse(alreadyDecided(result.approval));
    // The thread may still show buttons (say, it was decided in the dashboard): show what happened.
    if (submission.channelId && submission.messageTs)
      await showOutcome(client, submission.channelId, submission.messageTs, result.approval, log);
    return;
  }
  await ack();
  log.info({ approval_id: approval.id, decision: "deny", user: body.user.id, with_reason: !!submission.reason }, "slack approval decided");
  if (submission.channelId && submission.messageTs)
    await showOutcome(client, submission.channelId, submission.messageTs, result.approval, log);
  await service.followTurn(client, approval.sessionId, result.turnId, result.afterSeq);
}
