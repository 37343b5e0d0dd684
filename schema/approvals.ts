import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { sessions } from "./sessions";

export const APPROVAL_STATUSES = ["pending", "allowed", "denied", "expired"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * A tool call an agent asked a person to confirm (`agent.tool_use` with evaluated_permission "ask").
 * One row per (session, tool_use_id), written in the transaction that stores the event, so a
 * retried or replayed event never asks twice. Decided once: a conditional UPDATE on `pending`.
 */
export const approvals = pgTable(
  "approvals",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id").notNull().references(() => sessions.id, { onDelete: "cascade" }),
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
    uniqueIndex("approvals_session_tool_use_uq").on(t.sessionId, t.toolUseId),
    index("approvals_status_idx").on(t.status, t.createdAt),
    index("approvals_session_idx").on(t.sessionId, t.createdAt),
  ],
);

export type ApprovalRow = typeof approvals.$inferSelect;
