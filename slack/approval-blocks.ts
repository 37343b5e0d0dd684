/**
 * The Slack message for a tool call waiting for a person: what the agent wants to run, with
 * Allow / Deny buttons (value = approval id), and the same message once decided, naming who.
 */
import { escapeSlack } from "./mrkdwn";
import type { ApprovalRef } from "../server/sessions/port";

export const ALLOW_ACTION = "lap_approval_allow";
export const DENY_ACTION = "lap_approval_deny";

const INPUT_CHARS = 2500;

/** `slack:U123` → a Slack mention; other principals (an API key's label) as text. */
export const deciderText = (decidedBy: string | null) => {
  if (!decidedBy) return "someone";
  const m = /^slack:([UW][A-Z0-9]+)$/.exec(decidedBy);
  return m ? `<@${m[1]}>` : escapeSlack(decidedBy);
};

function request(a: ApprovalRef): string {
  let input = JSON.stringify(a.input ?? {}, null, 2);
  if (input.length > INPUT_CHARS) input = `${input.slice(0, INPUT_CHARS)}\n…`;
  // Inside a code block Slack only needs the three escapes; backticks would end the block.
  return `:raising_hand: *Approval needed:* the agent wants to use \`${escapeSlack(a.toolName)}\`\n\`\`\`${escapeSlack(input).replaceAll("```", "'''")}\`\`\``;
}

export function outcomeText(a: ApprovalRef): string {
  if (a.status === "allowed") return `:white_check_mark: Allowed by ${deciderText(a.decidedBy)}`;
  if (a.status === "denied")
    return `:no_entry_sign: Denied by ${deciderText(a.decidedBy)}${a.message ? `: ${escapeSlack(a.message)}` : ""}`;
  if (a.status === "expired") return `:hourglass: Expired${a.message ? ` (${escapeSlack(a.message)})` : ""}`;
  return "Waiting for a decision";
}

export function approvalMessage(a: ApprovalRef): { text: string; blocks: unknown[] } {
  const section = { type: "section", text: { type: "mrkdwn", text: request(a) } };
  if (a.status !== "pending") {
    const outcome = outcomeText(a);
    return { text: `${outcome}: ${a.toolName}`, blocks: [section, { type: "context", elements: [{ type: "mrkdwn", text: outcome }] }] };
  }
  return {
    text: `Approval needed: the agent wants to use ${a.toolName}`,
    blocks: [
      section,
      {
        type: "actions",
        block_id: "lap_approval",
        elements: [
          { type: "button", action_id: ALLOW_ACTION, style: "primary", text: { type: "plain_text", text: "Allow" }, value: a.id },
          { type: "button", action_id: DENY_ACTION, style: "danger", text: { type: "plain_text", text: "Deny" }, value: a.id },
        ],
      },
    ],
  };
}
