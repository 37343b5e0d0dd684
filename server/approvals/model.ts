import { z } from "zod";
import { APPROVAL_STATUSES } from "../../schema/approvals";
import { idString } from "../lib/strings";

export const approvalStatus = z.enum(APPROVAL_STATUSES);

export const listApprovalsQuery = z.object({
  status: approvalStatus.optional(),
  session_id: z.string().min(1).max(64).optional(),
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(200, "at most 200").default(50),
  /** Opaque cursor from `next_cursor`. */
  cursor: z.string().max(200).optional(),
});
export type ListApprovalsQuery = z.infer<typeof listApprovalsQuery>;

export const approvalIdParams = z.object({ id: idString(64) });

/** Longest message a decision may carry (the dashboard, the API and Slack's Deny dialog share it). */
export const DECISION_MESSAGE_MAX = 2000;

export const decisionBody = z
  .object({
    decision: z.enum(["allow", "deny"], { error: 'must be "allow" or "deny"' }),
    /** Shown to the agent with a denial (why not, what to do instead); kept with the approval either way. */
    message: z.string().trim().max(DECISION_MESSAGE_MAX, `at most ${DECISION_MESSAGE_MAX} characters`).optional(),
  })
  .strict();
export type DecisionInput = z.infer<typeof decisionBody>;

export const approvalView = z.object({
  id: z.string(),
  session_id: z.string(),
  agent_id: z.string().nullable(),
  /** The provider's id for the call: unique only among a session's pending approvals (it may be reused later). */
  tool_use_id: z.string(),
  /** Seq of the `agent.tool_use` event that asked: which call in the session's log this decides. */
  event_seq: z.number().nullable(),
  tool_name: z.string(),
  input: z.unknown(),
  status: approvalStatus,
  decided_by: z.string().nullable(),
  message: z.string().nullable(),
  created_at: z.string(),
  decided_at: z.string().nullable(),
});
export type ApprovalView = z.infer<typeof approvalView>;

export const approvalListView = z.object({ data: z.array(approvalView), next_cursor: z.string().nullable() });
export const approvalSummaryView = z.object({ pending: z.number() });
/** `seq` is the confirmation's user event: the resumed turn's events follow it. */
export const decisionView = z.object({ approval: approvalView, turn_id: z.string(), seq: z.number() });
