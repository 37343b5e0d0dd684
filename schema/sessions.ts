import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { agents } from "./agents";
import { apiKeys } from "./api-keys";
import { DEFAULT_TEAM_ID, teams, users } from "./teams";

/** `awaiting_approval`: idle, with a tool call waiting for a person's decision (docs/approvals.md). */
export const SESSION_STATUSES = ["creating", "idle", "awaiting_approval", "running", "recovering", "stopped", "error"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/**
 * A conversation with an agent on a runtime. `last_seq` is the per-session event counter: appends
 * lock this row and bump it in the same transaction as the insert, so seq allocation never races.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").references(() => agents.id, { onDelete: "set null" }),
    title: text("title").notNull().default(""),
    status: text("status", { enum: SESSION_STATUSES }).notNull().default("creating"),
    runtimeId: text("runtime_id"),
    remoteSessionId: text("remote_session_id"),
    error: text("error"),
    lastSeq: bigint("last_seq", { mode: "number" }).notNull().default(0),
    /** The API key that created the session (null: master key, Slack, LAP itself); see agents.owner_key_id. */
    ownerKeyId: text("owner_key_id").references(() => apiKeys.id, { onDelete: "set null" }),
    /** Always its agent's team (server/auth/policy.ts). */
    teamId: text("team_id")
      .notNull()
      .default(DEFAULT_TEAM_ID)
      .references(() => teams.id, { onDelete: "restrict" }),
    ownerUserId: text("owner_user_id").references(() => users.id, { onDelete: "set null" }),
    /** The session that started this one as a sub-agent (docs/memory.md), and how deep it is (0: started by a person). */
    parentSessionId: text("parent_session_id"),
    depth: integer("depth").notNull().default(0),
    /** A sub-agent's spend already charged to its parent session's key (docs/memory.md "Who pays"): kept across restarts. */
    chargedToParent: doublePrecision("charged_to_parent").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("sessions_parent_idx").on(t.parentSessionId),
    index("sessions_created_at_idx").on(t.createdAt, t.id),
    index("sessions_agent_idx").on(t.agentId, t.createdAt),
    index("sessions_status_idx").on(t.status),
    index("sessions_owner_idx").on(t.ownerKeyId, t.createdAt),
    index("sessions_team_idx").on(t.teamId, t.createdAt),
  ],
);

export type SessionRow = typeof sessions.$inferSelect;

/** The durable event log. `provider_event_id` dedupes a runtime's retries within one turn only. */
export const sessionEvents = pgTable(
  "session_events",
  {
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    seq: bigint("seq", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    turnId: text("turn_id"),
    providerEventId: text("provider_event_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.seq] }),
    uniqueIndex("session_events_provider_uq").on(t.sessionId, t.turnId, t.providerEventId).where(sql`provider_event_id is not null`),
  ],
);

export type SessionEventRow = typeof sessionEvents.$inferSelect;

export const TURN_STATUSES = ["queued", "running", "completed", "interrupted", "failed"] as const;
export type TurnStatus = (typeof TURN_STATUSES)[number];

/**
 * The per-session turn queue: one user message each, run one at a time in creation order.
 * `sent_at` set means the runtime has the message; null on a `running` turn means a crash may have
 * come before or after the runtime got it, and re-attach asks the runtime's event list.
 */
export const sessionTurns = pgTable(
  "session_turns",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    status: text("status", { enum: TURN_STATUSES }).notNull().default("queued"),
    content: jsonb("content").$type<Array<Record<string, unknown>>>().notNull(),
    userSeq: bigint("user_seq", { mode: "number" }).notNull(),
    interruptRequested: boolean("interrupt_requested").notNull().default(false),
    /** When the runtime accepted the message (written right after its answer): a re-attach never sends it again. */
    sentAt: timestamp("sent_at", { withTimezone: true }),
    /** The runtime's id for the user.message it recorded, when it said: where a re-attached stream resumes. */
    remoteEventId: text("remote_event_id"),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [
    index("session_turns_queue_idx").on(t.sessionId, t.status, t.createdAt),
    // The worker's sweep looks for open turns every few seconds; this keeps that a tiny index scan.
    index("session_turns_open_idx").on(t.sessionId).where(sql`status in ('queued', 'running')`),
  ],
);

export type SessionTurnRow = typeof sessionTurns.$inferSelect;

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

/**
 * The bytes of images and documents attached to user messages (docs/sessions.md "Attachments"). The
 * user.message event and the turn refer to a row by id (`source: {type: "file", file_id}`), so reading
 * or streaming events never carries megabytes; the worker puts the bytes back when it sends the turn.
 */
export const sessionAttachments = pgTable(
  "session_attachments",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["image", "document"] }).notNull(),
    mediaType: text("media_type").notNull(),
    title: text("title"),
    sizeBytes: integer("size_bytes").notNull(),
    sha256: text("sha256").notNull(),
    data: bytea("data").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("session_attachments_session_idx").on(t.sessionId)],
);
