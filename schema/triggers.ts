import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { agents } from "./agents";
import { DEFAULT_TEAM_ID, teams } from "./teams";
import { SESSION_MODES } from "./schedules";

/**
 * An inbound webhook: a signed POST /api/triggers/:id becomes a prompt for an agent (docs/schedules.md).
 * `secret_sealed` is the HMAC secret, sealed with the secret box; it is shown once, at creation or rotation.
 */
export const triggers = pgTable(
  "triggers",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    promptTemplate: text("prompt_template").notNull(),
    sessionMode: text("session_mode", { enum: SESSION_MODES }).notNull().default("new"),
    sessionId: text("session_id"),
    callbackUrl: text("callback_url"),
    secretSealed: text("secret_sealed").notNull(),
    status: text("status", { enum: ["active", "paused"] })
      .notNull()
      .default("active"),
    /** Its agent's team (server/auth/policy.ts): members see it; its creator or a team admin changes it. */
    teamId: text("team_id")
      .notNull()
      .default(DEFAULT_TEAM_ID)
      .references(() => teams.id, { onDelete: "restrict" }),
    /** Who created it (key and/or user); its runs act for them and stop when they no longer can. */
    ownerKeyId: text("owner_key_id"),
    ownerUserId: text("owner_user_id"),
    createdBy: text("created_by").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("triggers_team_idx").on(t.teamId, t.createdAt)],
);
export type TriggerRow = typeof triggers.$inferSelect;

export const DELIVERY_STATUSES = ["started", "completed", "failed", "interrupted"] as const;
export const CALLBACK_STATUSES = ["none", "pending", "delivered", "failed"] as const;

/**
 * One accepted webhook call. Unique by (trigger, idempotency key): a replay finds this row and gets
 * the same answer. Written in the transaction that creates the session and its turn. The callback
 * (when the trigger has a URL) is sent by whichever replica claims it when the turn has ended.
 */
export const triggerDeliveries = pgTable(
  "trigger_deliveries",
  {
    id: text("id").primaryKey(),
    triggerId: text("trigger_id")
      .notNull()
      .references(() => triggers.id, { onDelete: "cascade" }),
    idempotencyKey: text("idempotency_key").notNull(),
    /** SHA-256 of the body: the same key with another body is a conflict, not a replay. */
    bodySha256: text("body_sha256").notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("started"),
    sessionId: text("session_id"),
    turnId: text("turn_id"),
    error: text("error"),
    callbackStatus: text("callback_status", { enum: CALLBACK_STATUSES }).notNull().default("none"),
    callbackAttempts: integer("callback_attempts").notNull().default(0),
    callbackNextAt: timestamp("callback_next_at", { withTimezone: true }),
    callbackError: text("callback_error"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("trigger_deliveries_key_uq").on(t.triggerId, t.idempotencyKey),
    index("trigger_deliveries_history_idx").on(t.triggerId, t.receivedAt),
    index("trigger_deliveries_open_idx").on(t.status).where(sql`status = 'started'`),
    index("trigger_deliveries_callback_idx").on(t.callbackNextAt).where(sql`callback_status = 'pending'`),
  ],
);
export type TriggerDeliveryRow = typeof triggerDeliveries.$inferSelect;
