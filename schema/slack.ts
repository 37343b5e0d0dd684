import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { DEFAULT_TEAM_ID, teams } from "./teams";

/** One row per workspace that installed LAP's Slack app through OAuth. The bot token is sealed with the SecretBox. */
export const slackInstallations = pgTable("slack_installations", {
  teamId: text("team_id").primaryKey(),
  teamName: text("team_name").notNull().default(""),
  appId: text("app_id"),
  botUserId: text("bot_user_id").notNull(),
  botTokenSealed: text("bot_token_sealed").notNull(),
  scopes: text("scopes").notNull().default(""),
  installedBy: text("installed_by"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** One-time OAuth `state` values: minted by /slack/install, consumed atomically by /slack/oauth_redirect. */
export const slackOauthStates = pgTable("slack_oauth_states", {
  state: text("state").primaryKey(),
  createdBy: text("created_by"),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Which agent answers where. `*` is a wildcard: (team, `*`) is a workspace's default agent,
 * (`*`, `*`) the default everywhere. The most specific row wins.
 */
export const slackBindings = pgTable(
  "slack_bindings",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().default("*"),
    channelId: text("channel_id").notNull().default("*"),
    agentId: text("agent_id").notNull(),
    /** The LAP team the binding answers for: its agent's team (`team_id` above is the Slack workspace). */
    lapTeamId: text("lap_team_id")
      .notNull()
      .default(DEFAULT_TEAM_ID)
      .references(() => teams.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("slack_bindings_scope_uq").on(t.teamId, t.channelId)],
);

/** Slack users allowed to DM the bot, per workspace (`*` = every workspace). No rows for a team = DMs open. */
export const slackDmAllowlist = pgTable(
  "slack_dm_allowlist",
  {
    teamId: text("team_id").notNull().default("*"),
    userId: text("user_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] })],
);

/** Slack thread -> LAP session. One session per thread; the unique key makes concurrent creation converge. */
export const slackThreads = pgTable(
  "slack_threads",
  {
    teamId: text("team_id").notNull(),
    channelId: text("channel_id").notNull(),
    threadTs: text("thread_ts").notNull(),
    sessionId: text("session_id").notNull(),
    agentId: text("agent_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.channelId, t.threadTs] }), index("slack_threads_session_idx").on(t.sessionId)],
);

export const SLACK_EVENT_STATUSES = ["pending", "processing", "enqueued", "answered", "failed", "ignored", "blocked"] as const;
export type SlackEventStatus = (typeof SLACK_EVENT_STATUSES)[number];

/**
 * The inbox: the dedupe record and the queued work are one row, written before Slack gets its 200.
 * Unique by Slack `event_id` and by message identity (team, channel, ts), so an `app_mention` and
 * the `message` event for the same message collapse into one. `failed` rows are re-claimed by a retry.
 */
export const slackEvents = pgTable(
  "slack_events",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull(),
    teamId: text("team_id").notNull(),
    channelId: text("channel_id").notNull(),
    messageTs: text("message_ts").notNull(),
    threadTs: text("thread_ts").notNull(),
    userId: text("user_id").notNull(),
    kind: text("kind", { enum: ["mention", "dm", "thread_reply", "command"] }).notNull(),
    text: text("text").notNull(),
    status: text("status", { enum: SLACK_EVENT_STATUSES }).notNull().default("pending"),
    agentId: text("agent_id"),
    sessionId: text("session_id"),
    turnId: text("turn_id"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    /** How many more deliveries of this message Slack sent (retries, or the twin event). */
    duplicates: integer("duplicates").notNull().default(0),
    lastRetryReason: text("last_retry_reason"),
    meta: jsonb("meta").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("slack_events_event_id_uq").on(t.eventId),
    uniqueIndex("slack_events_message_uq").on(t.teamId, t.channelId, t.messageTs),
    index("slack_events_created_at_idx").on(t.createdAt),
    index("slack_events_status_idx").on(t.status, t.updatedAt),
  ],
);

export type SlackEventRow = typeof slackEvents.$inferSelect;

/**
 * Signatures of verified interactivity and slash-command requests (slack/receiver.ts): a
 * replay of one within Slack's 5-minute window finds its row and is not run twice, on any replica.
 */
export const slackSeenRequests = pgTable("slack_seen_requests", {
  signature: text("signature").primaryKey(),
  seenAt: timestamp("seen_at", { withTimezone: true }).notNull().defaultNow(),
});
