import { boolean, doublePrecision, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";

/**
 * Gateway limits on top of a foundation API key: a LiteLLM "virtual key" is an `api_keys` row (role user)
 * plus this row. `spend` is the running total since `budget_reset_at` was last advanced.
 */
export const gatewayKeys = pgTable("gateway_keys", {
  keyId: text("key_id")
    .primaryKey()
    .references(() => apiKeys.id, { onDelete: "cascade" }),
  keyAlias: text("key_alias"),
  models: jsonb("models").$type<string[]>().notNull().default([]),
  maxBudget: doublePrecision("max_budget"),
  budgetDuration: text("budget_duration"),
  budgetResetAt: timestamp("budget_reset_at", { withTimezone: true }),
  spend: doublePrecision("spend").notNull().default(0),
  rpmLimit: integer("rpm_limit"),
  tpmLimit: integer("tpm_limit"),
  maxParallelRequests: integer("max_parallel_requests"),
  userId: text("user_id"),
  teamId: text("team_id"),
  sessionId: text("session_id"),
  agentId: text("agent_id"),
  metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
export type GatewayKeyRow = typeof gatewayKeys.$inferSelect;

/**
 * Deployments added through the API or dashboard. `api_key_sealed` and `params_sealed` (a JSON object
 * of every other credential-like param, server/gateway/models/sealed-params.ts) are encrypted with the
 * secret box; `litellm_params` keeps only routing and pricing fields.
 */
export const gatewayModels = pgTable("gateway_models", {
  id: text("id").primaryKey(),
  modelName: text("model_name").notNull(),
  litellmParams: jsonb("litellm_params").$type<Record<string, unknown>>().notNull(),
  apiKeySealed: text("api_key_sealed"),
  paramsSealed: text("params_sealed"),
  modelInfo: jsonb("model_info").$type<Record<string, unknown>>().notNull().default({}),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
export type GatewayModelRow = typeof gatewayModels.$inferSelect;

/** One row per gateway request, written in batches off the request path. */
export const gatewaySpendLogs = pgTable(
  "gateway_spend_logs",
  {
    requestId: text("request_id").primaryKey(),
    keyHash: text("key_hash"),
    keyId: text("key_id"),
    keyAlias: text("key_alias"),
    route: text("route").notNull(),
    modelGroup: text("model_group"),
    deployment: text("deployment"),
    provider: text("provider"),
    apiBase: text("api_base"),
    promptTokens: integer("prompt_tokens").notNull().default(0),
    completionTokens: integer("completion_tokens").notNull().default(0),
    totalTokens: integer("total_tokens").notNull().default(0),
    spend: doublePrecision("spend").notNull().default(0),
    /**
     * Whether the deployment had a price when the call was made: false means `spend` is 0 because
     * nothing says what the model costs (the dashboard shows "no price"); null when no provider was called.
     */
    priced: boolean("priced"),
    latencyMs: doublePrecision("latency_ms"),
    ttftMs: doublePrecision("ttft_ms"),
    stream: integer("stream").notNull().default(0),
    status: text("status").notNull(),
    httpStatus: integer("http_status"),
    error: text("error"),
    /** Every attempt (deployment, status, error, ms): retries, fallbacks and cooldowns are visible here. */
    attempts: jsonb("attempts").$type<unknown[]>().notNull().default([]),
    sessionId: text("session_id"),
    agentId: text("agent_id"),
    endUser: text("end_user"),
    /** The LAP user and team the call was made for (the key's, or the session's), for spend per team and user. */
    userId: text("user_id"),
    teamId: text("team_id"),
    /** Only with LAP_GATEWAY_STORE_PROMPTS=true: the request body and the response (truncated). */
    requestBody: jsonb("request_body"),
    responseBody: jsonb("response_body"),
    startTime: timestamp("start_time", { withTimezone: true }).notNull(),
    endTime: timestamp("end_time", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("gateway_spend_logs_start_idx").on(t.startTime),
    index("gateway_spend_logs_key_idx").on(t.keyId, t.startTime),
    index("gateway_spend_logs_session_idx").on(t.sessionId),
    // Cost per agent in the agents list and `/spend/logs?agent_id=` (docs/sessions.md "Cost").
    index("gateway_spend_logs_agent_idx").on(t.agentId, t.startTime),
    index("gateway_spend_logs_team_idx").on(t.teamId, t.startTime),
    index("gateway_spend_logs_user_idx").on(t.userId, t.startTime),
  ],
);
export type GatewaySpendLogRow = typeof gatewaySpendLogs.$inferSelect;

/**
 * The last "Test" of each gateway model (the dashboard's Test button, POST /api/gateway/models/test), so
 * the agent form can show which models answered. Keyed by model name: config and stored models alike.
 */
export const gatewayModelChecks = pgTable("gateway_model_checks", {
  modelName: text("model_name").primaryKey(),
  ok: boolean("ok").notNull(),
  latencyMs: integer("latency_ms").notNull(),
  error: text("error"),
  checkedAt: timestamp("checked_at", { withTimezone: true }).notNull().defaultNow(),
});
export type GatewayModelCheckRow = typeof gatewayModelChecks.$inferSelect;
