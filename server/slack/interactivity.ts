import type { WebClient } from "@slack/web-api";
import type { Logger } from "../lib/logger";
import { ALLOW_ACTION, approvalMessage, deciderText, DENY_ACTION } from "./approval-blocks";
import type { SlackService } from "./service";
import { withRateLimit } from "./web";

interface ActionBody {
  team?: { id: string };
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
    const decision = action.action_id === ALLOW_ACTION ? "allow" : "deny";
    const result = await sessions.decideApproval(approval.id, decision, `slack:${body.user.id}`);
    if (result.kind === "not_found") return void (await post("This approval no longer exists."));
    // Either way the message now shows the outcome and who decided, without buttons.
    if (body.channel && body.message) {
      const msg = approvalMessage(result.approval);
      await withRateLimit(() => client.chat.update({ channel: body.channel!.id, ts: body.message!.ts, text: msg.text, blocks: msg.blocks as never })).catch((err) =>
        log.warn({ err: String(err) }, "slack: could not update the approval message"),
      );
    }
    if (result.kind === "conflict") {
      const a = result.approval;
      return void (await post(a.status === "expired" ? `This approval expired${a.message ? ` (${a.message})` : ""}.` : `Already ${a.status === "allowed" ? "allowed" : "denied"} by ${deciderText(a.decidedBy)}.`));
    }
    log.info({ approval_id: approval.id, decision, user: body.user.id }, "slack approval decided");
    await service.followTurn(client, approval.sessionId, result.turnId, result.afterSeq);
  }
}
