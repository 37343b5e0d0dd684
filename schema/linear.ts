import { index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { DEFAULT_TEAM_ID, teams } from "./teams";

/**
 * One row per Linear workspace (organization) that installed LAP's Linear app through OAuth
 * (docs/linear.md). Its tokens are sealed with the SecretBox and never leave the server.
 */
export const linearInstallations = pgTable("linear_installations", {
  organizationId: text("organization_id").primaryKey(),
  organizationName: text("organization_name").notNull().default(""),
  urlKey: text("url_key").notNull().default(""),
  /** The app's own user in that workspace (webhooks name it as `appUserId`). */
  appUserId: text("app_user_id").notNull().default(""),
  accessTokenSealed: text("access_token_sealed").notNull(),
  refreshTokenSealed: text("refresh_token_sealed"),
  tokenExpiresAt: timestamp("token_expires_at", { withTimezone: true }),
  scopes: text("scopes").notNull().default(""),
  installedBy: text("installed_by"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** One-time OAuth `state` values: minted by the install route, consumed atomically by the callback. */
export const linearOauthStates = pgTable("linear_oauth_states", {
  state: text("state").primaryKey(),
  createdBy: text("created_by"),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Which agent works for which Linear workspace; `*` is the default for every workspace. */
export const linearBindings = pgTable("linear_bindings", {
  organizationId: text("organization_id").primaryKey(),
  agentId: text("agent_id").notNull(),
  /** The LAP team the binding answers for: its agent's (sessions started from Linear belong to it). */
  lapTeamId: text("lap_team_id")
    .notNull()
    .default(DEFAULT_TEAM_ID)
    .references(() => teams.id, { onDelete: "cascade" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A Linear agent session (one per mention or delegation) -> the LAP session working on it. */
export const linearAgentSessions = pgTable(
  "linear_agent_sessions",
  {
    agentSessionId: text("agent_session_id").primaryKey(),
    organizationId: text("organization_id").notNull(),
    sessionId: text("session_id").notNull(),
    agentId: text("agent_id").notNull(),
    issueId: text("issue_id"),
    issueIdentifier: text("issue_identifier"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("linear_agent_sessions_session_idx").on(t.sessionId)],
);

export const LINEAR_EVENT_STATUSES = ["started", "stopped", "ignored", "refused"] as const;
export type LinearEventStatus = (typeof LINEAR_EVENT_STATUSES)[number];

/**
 * Every verified webhook LAP acted on, unique by what it is (`created:<agent session>`,
 * `prompted:<agent activity>`, else the delivery): a replay or a redelivery finds its row and
 * starts nothing. The row and the turn it started are written in one transaction.
 */
export const linearEvents = pgTable(
  "linear_events",
  {
    id: text("id").primaryKey(),
    dedupeKey: text("dedupe_key").notNull(),
    organizationId: text("organization_id").notNull(),
    agentSessionId: text("agent_session_id"),
    action: text("action").notNull(),
    status: text("status").$type<LinearEventStatus>().notNull(),
    sessionId: text("session_id"),
    turnId: text("turn_id"),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("linear_events_dedupe_uq").on(t.dedupeKey), index("linear_events_created_idx").on(t.createdAt)],
);
