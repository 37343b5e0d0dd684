import { sql } from "drizzle-orm";
import { boolean, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { agents } from "./agents";
import { DEFAULT_TEAM_ID, teams } from "./teams";

export const SESSION_MODES = ["new", "continue"] as const;
export type SessionMode = (typeof SESSION_MODES)[number];
export const CONCURRENCY_POLICIES = ["skip", "queue"] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

/**
 * A prompt sent to an agent on a cron schedule in an IANA time zone (docs/schedules.md).
 * `next_run_at` is the next slot to fire; the scheduler of any replica picks due rows and advances
 * it in the transaction that claims the slot. `session_id` is the session "continue" runs talk to
 * (made by the first run, replaced when it is stopped or gone).
 */
export const schedules = pgTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    cron: text("cron").notNull(),
    timezone: text("timezone").notNull(),
    prompt: text("prompt").notNull(),
    sessionMode: text("session_mode", { enum: SESSION_MODES }).notNull().default("new"),
    sessionId: text("session_id"),
    concurrency: text("concurrency", { enum: CONCURRENCY_POLICIES }).notNull().default("skip"),
    /** A slot missed while no LAP ran: true runs it once when LAP is back, false records it skipped. */
    catchUp: boolean("catch_up").notNull().default(false),
    status: text("status", { enum: ["active", "paused"] })
      .notNull()
      .default("active"),
    nextRunAt: timestamp("next_run_at", { withTimezone: true }),
    lastRunAt: timestamp("last_run_at", { withTimezone: true }),
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
  (t) => [index("schedules_due_idx").on(t.nextRunAt).where(sql`status = 'active'`), index("schedules_team_idx").on(t.teamId, t.createdAt)],
);
export type ScheduleRow = typeof schedules.$inferSelect;

export const RUN_STATUSES = ["pending", "started", "completed", "failed", "interrupted", "skipped"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const RUN_TRIGGERS = ["schedule", "catch_up", "manual"] as const;

/**
 * One firing of a schedule. The unique (schedule_id, slot_at) is the claim: whichever replica
 * inserts it fires the slot, in the same transaction that creates the session and its turn, so a
 * slot fires exactly once across replicas and restarts. Manual runs have no slot.
 * `pending`: waiting for the previous run (concurrency "queue"); `started`: its turn is queued or
 * running (the turn's own status says which); then completed / failed / interrupted, or skipped.
 */
export const scheduleRuns = pgTable(
  "schedule_runs",
  {
    id: text("id").primaryKey(),
    scheduleId: text("schedule_id")
      .notNull()
      .references(() => schedules.id, { onDelete: "cascade" }),
    slotAt: timestamp("slot_at", { withTimezone: true }),
    trigger: text("trigger", { enum: RUN_TRIGGERS }).notNull(),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    sessionId: text("session_id"),
    turnId: text("turn_id"),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("schedule_runs_slot_uq").on(t.scheduleId, t.slotAt),
    index("schedule_runs_history_idx").on(t.scheduleId, t.createdAt),
    index("schedule_runs_open_idx").on(t.scheduleId).where(sql`status in ('pending', 'started')`),
  ],
);
export type ScheduleRunRow = typeof scheduleRuns.$inferSelect;
