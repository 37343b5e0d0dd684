import type { WebClient } from "@slack/web-api";
import type { Logger } from "../lib/logger";
import type { SlackService } from "./service";

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
  if (action.action_id === "lap_approval_accept" || action.action_id === "lap_approval_reject") {
    let parsed: { approval_id?: string; session_id?: string } = {};
    try {
      parsed = JSON.parse(action.value ?? "{}");
    } catch {}
    const thread = parsed.session_id ? await store.threadOfSession(parsed.session_id) : null;
    if (!parsed.approval_id || !thread || thread.teamId !== teamId) return void (await post("That approval is not part of this workspace."));
    if (!sessions.decideApproval) return void (await post("Approvals are not available on this LAP."));
    const decision = action.action_id === "lap_approval_accept" ? "accept" : "reject";
    const result = await sessions.decideApproval(parsed.approval_id, decision, `slack:${body.user.id}`);
    const text =
      result === "decided"
        ? `${decision === "accept" ? ":white_check_mark: Approved" : ":x: Rejected"} by <@${body.user.id}>`
        : result === "already_handled" ? "This approval was already handled." : "This approval no longer exists.";
    if (body.channel && body.message) {
      await client.chat.update({ channel: body.channel.id, ts: body.message.ts, text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });
    }
  }
}
