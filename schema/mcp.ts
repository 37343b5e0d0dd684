import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uniqueIndex } from "drizzle-orm/pg-core";
import { teams } from "./teams";

/**
 * MCP servers the platform team registered. Everything secret (stdio env, static header values,
 * bearer/API key/basic credentials, OAuth client secret, instance variable values) lives in
 * `secrets_sealed`, one AES-GCM sealed JSON document; the other columns are safe to show.
 */
export const mcpServers = pgTable(
  "mcp_servers",
  {
    id: text("id").primaryKey(),
    /**
     * URL and namespace segment: `/mcp/<name>`, tools appear as `<name>__<tool>` on `/mcp`. Unique per
     * team (and once org-wide); a caller's own team's server shadows an org-wide one of the same name.
     */
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    transport: text("transport", { enum: ["stdio", "streamable-http", "sse"] }).notNull(),
    /** stdio: command, args, env names, bind paths, network; http/sse: url, header names. */
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
    authType: text("auth_type", { enum: ["none", "bearer", "api_key", "basic", "oauth"] })
      .notNull()
      .default("none"),
    /** Non-secret auth settings: API key header name, OAuth scopes, OAuth client id. */
    authConfig: jsonb("auth_config").$type<Record<string, unknown>>().notNull().default({}),
    secretsSealed: text("secrets_sealed"),
    variables: jsonb("variables").$type<Array<{ name: string; scope: "instance" | "user" }>>().notNull().default([]),
    /** null: every tool the upstream offers; otherwise only these names. */
    allowedTools: jsonb("allowed_tools").$type<string[] | null>(),
    disabledTools: jsonb("disabled_tools").$type<string[]>().notNull().default([]),
    enabled: boolean("enabled").notNull().default(true),
    timeoutMs: integer("timeout_ms"),
    /** Store tool call arguments and results in the call log (off by default: they may hold data). */
    logPayloads: boolean("log_payloads").notNull().default(false),
    /** null: org-wide, registered by org admins; else that team's (docs/security.md "Users, teams and roles"). */
    teamId: text("team_id").references(() => teams.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("mcp_servers_team_name_key").on(t.teamId, t.name).nullsNotDistinct()],
);
export type McpServerRow = typeof mcpServers.$inferSelect;

/**
 * Who may use which server: a grant targets an API key, a user or an agent (ids from key metadata).
 * `tools` null grants every tool the server exposes; a list grants only those.
 */
export const mcpGrants = pgTable(
  "mcp_grants",
  {
    id: text("id").primaryKey(),
    serverId: text("server_id")
      .notNull()
      .references(() => mcpServers.id, { onDelete: "cascade" }),
    subjectType: text("subject_type", { enum: ["key", "user", "agent", "team"] }).notNull(),
    subjectId: text("subject_id").notNull(),
    tools: jsonb("tools").$type<string[] | null>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("mcp_grants_subject_server_idx").on(t.subjectType, t.subjectId, t.serverId)],
);
export type McpGrantRow = typeof mcpGrants.$inferSelect;

/** Per-user credentials for a server: a personal key, per-user variables, OAuth tokens (all sealed). */
export const mcpUserCredentials = pgTable(
  "mcp_user_credentials",
  {
    serverId: text("server_id")
      .notNull()
      .references(() => mcpServers.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull(),
    sealed: text("sealed").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.userId] })],
);

/** In-flight OAuth authorization-code flows (state -> PKCE verifier), so any replica can finish one. */
export const mcpOauthFlows = pgTable("mcp_oauth_flows", {
  state: text("state").primaryKey(),
  serverId: text("server_id")
    .notNull()
    .references(() => mcpServers.id, { onDelete: "cascade" }),
  userId: text("user_id").notNull(),
  sealed: text("sealed").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** One row per tools/call through the proxy, including denied ones. */
export const mcpToolCalls = pgTable(
  "mcp_tool_calls",
  {
    id: text("id").primaryKey(),
    serverId: text("server_id"),
    serverName: text("server_name").notNull(),
    tool: text("tool").notNull(),
    keyId: text("key_id"),
    callerLabel: text("caller_label").notNull(),
    userId: text("user_id"),
    agentId: text("agent_id"),
    sessionId: text("session_id"),
    status: text("status", { enum: ["ok", "error", "denied", "timeout", "cancelled", "unavailable"] }).notNull(),
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
    arguments: jsonb("arguments"),
    result: jsonb("result"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("mcp_tool_calls_created_at_idx").on(t.createdAt),
    index("mcp_tool_calls_server_idx").on(t.serverName, t.createdAt),
    index("mcp_tool_calls_session_idx").on(t.sessionId),
  ],
);
export type McpToolCallRow = typeof mcpToolCalls.$inferSelect;
