import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { sessions } from "./sessions";

export const APPROVAL_STATUSES = ["pending", "allowed", "denied", "expired"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * A tool call an agent asked a person to confirm (`agent.tool_use` with evaluated_permission "ask").
 * One row per asking event (session, event_seq), written in the transaction that stores it. The
 * provider's tool_use_id is not unique over a session (some OpenAI-compatible servers number calls
 * `call_0`, `call_1` … in every response), so it identifies a call only among the pending ones: at
 * most one pending row per (session, tool_use_id), which also makes a replayed ask one approval.
 * Decided once: a conditional UPDATE on `pending`.
 */
export const approvals = pgTable(
  "approvals",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    agentId: text("agent_id"),
    toolUseId: text("tool_use_id").notNull(),
    toolName: text("tool_name").notNull(),
    input: jsonb("input").$type<unknown>(),
    status: text("status", { enum: APPROVAL_STATUSES }).notNull().default("pending"),
    /** Seq of the agent.tool_use event that asked. */
    eventSeq: bigint("event_seq", { mode: "number" }),
    decidedBy: text("decided_by"),
    message: text("message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("approvals_session_event_uq").on(t.sessionId, t.eventSeq),
    uniqueIndex("approvals_pending_call_uq").on(t.sessionId, t.toolUseId).where(sql`status = 'pending'`),
    index("approvals_status_idx").on(t.status, t.createdAt),
    index("approvals_session_idx").on(t.sessionId, t.createdAt),
  ],
);

export type ApprovalRow = typeof approvals.$inferSelect;
