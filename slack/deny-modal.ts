/**
 * Slack's Deny dialog: a modal asking why (optional), opened from the Deny button. The approval it
 * is about (and the thread message to update) travel in `private_metadata`; nothing is decided until
 * the modal is submitted, and closing it decides nothing.
 */
import { z } from "zod";
import { DECISION_MESSAGE_MAX, decisionBody } from "../server/approvals/model";
import { escapeSlack } from "./mrkdwn";
import type { ApprovalRef } from "../server/sessions/port";

export const DENY_VIEW = "lap_approval_deny_reason";
/** block_id and action_id of the reason input; `response_action: "errors"` names it. */
export const REASON_BLOCK = "reason";
const REASON_ACTION = "reason";

const metadata = z.object({
  approval_id: z.string().min(1).max(64),
  channel_id: z.string().min(1).max(32).optional(),
  message_ts: z.string().min(1).max(32).optional(),
});
export type DenyModalMetadata = z.infer<typeof metadata>;

export function denyModal(approval: ApprovalRef, where: { channelId?: string; messageTs?: string }) {
  const meta: DenyModalMetadata = { approval_id: approval.id, channel_id: where.channelId, message_ts: where.messageTs };
  return {
    type: "modal" as const,
    callback_id: DENY_VIEW,
    private_metadata: JSON.stringify(meta),
    title: { type: "plain_text" as const, text: "Deny tool call" },
    submit: { type: "plain_text" as const, text: "Deny" },
    close: { type: "plain_text" as const, text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `The agent wants to use \`${escapeSlack(approval.toolName)}\`. Denying tells it so; a reason helps it choose what to do instead.`,
        },
      },
      {
        type: "input",
        block_id: REASON_BLOCK,
        optional: true,
        label: { type: "plain_text", text: "Reason" },
        hint: { type: "plain_text", text: "Sent to the agent with the denial and shown in the thread." },
        element: { type: "plain_text_input", action_id: REASON_ACTION, multiline: true, max_length: DECISION_MESSAGE_MAX },
      },
    ],
  };
}

/** What a submitted dialog carries, shaped as Slack sends it (`view_submission` payload's `view`). */
export interface SubmittedView {
  private_metadata?: string;
  state?: { values?: Record<string, Record<string, { value?: string | null }>> };
}

export type DenySubmission =
  | { ok: true; approvalId: string; reason?: string; channelId?: string; messageTs?: string }
  | { ok: false; errors: Record<string, string> };

/**
 * Validates a submission: the metadata we wrote, and the reason with the same rule as the API's
 * decision body (Slack enforces `max_length` in its client, but a request can be crafted).
 */
export function parseDenySubmission(view: SubmittedView): DenySubmission {
  let meta: DenyModalMetadata | undefined;
  try {
    const parsed = metadata.safeParse(JSON.parse(view.private_metadata ?? ""));
    if (parsed.success) meta = parsed.data;
  } catch {
    // not JSON: treated like any other metadata we did not write
  }
  if (!meta) return { ok: false, errors: { [REASON_BLOCK]: "This dialog does not name an approval. Close it and click Deny again." } };
  const raw = view.state?.values?.[REASON_BLOCK]?.[REASON_ACTION]?.value ?? undefined;
  const body = decisionBody.safeParse({ decision: "deny", message: raw ?? undefined });
  if (!body.success) {
    const issue = body.error.issues.find((i) => i.path[0] === "message") ?? body.error.issues[0];
    return { ok: false, errors: { [REASON_BLOCK]: `Reason: ${issue?.message ?? "invalid"}` } };
  }
  return {
    ok: true,
    approvalId: meta.approval_id,
    reason: body.data.message || undefined,
    channelId: meta.channel_id,
    messageTs: meta.message_ts,
  };
}
