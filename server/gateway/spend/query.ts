import { and, desc, eq, gte, lte, type SQL } from "drizzle-orm";
import { gatewayKeys, gatewaySpendLogs } from "../../../schema";
import type { Database } from "../../db/client";
import type { SpendLogView } from "../model";
import { sha256Hex } from "../../lib/crypto";

export interface SpendLogFilter {
  api_key?: string;
  key_id?: string;
  key_alias?: string;
  model?: string;
  session_id?: string;
  agent_id?: string;
  request_id?: string;
  status?: "success" | "failure";
  start_date?: string;
  end_date?: string;
  limit: number;
}

/** Spend rows, newest first; `api_key` takes the key itself or its hash. */
export async function spendLogs(database: Database, f: SpendLogFilter) {
  const t = gatewaySpendLogs;
  const conds: SQL[] = [];
  if (f.api_key) conds.push(eq(t.keyHash, f.api_key.startsWith("sk-") ? sha256Hex(f.api_key) : f.api_key));
  if (f.key_id) conds.push(eq(t.keyId, f.key_id));
  if (f.key_alias) conds.push(eq(t.keyAlias, f.key_alias));
  if (f.model) conds.push(eq(t.modelGroup, f.model));
  if (f.session_id) conds.push(eq(t.sessionId, f.session_id));
  if (f.agent_id) conds.push(eq(t.agentId, f.agent_id));
  if (f.request_id) conds.push(eq(t.requestId, f.request_id));
  if (f.status) conds.push(eq(t.status, f.status));
  if (f.start_date) conds.push(gte(t.startTime, new Date(f.start_date)));
  if (f.end_date) conds.push(lte(t.startTime, new Date(f.end_date)));
  // The user and team (LiteLLM's `user` and `team_id`): the row's (stamped at call time), else the key's.
  const rows = await database.db
    .select({ log: t, userId: gatewayKeys.userId, teamId: gatewayKeys.teamId })
    .from(t)
    .leftJoin(gatewayKeys, eq(gatewayKeys.keyId, t.keyId))
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(t.startTime))
    .limit(f.limit);
  // Stored bodies can be 32 KB a row: lists leave them out; asking for one request_id includes them.
  return rows.map(({ log, userId, teamId }) => ({
    ...spendLogView(f.request_id ? log : { ...log, requestBody: null, responseBody: null }),
    ...litellmSpendFields(log, { userId: log.userId ?? userId, teamId: log.teamId ?? teamId }),
  }));
}

/** LiteLLM's call_type for each route LAP logs. */
const CALL_TYPES: Record<string, string> = {
  "/v1/chat/completions": "acompletion",
  "/v1/completions": "atext_completion",
  "/v1/embeddings": "aembedding",
  "/v1/responses": "aresponses",
  "/v1/messages": "anthropic_messages",
};

/**
 * The fields LiteLLM documents for a spend log (https://docs.litellm.ai/docs/proxy/cost_tracking) that
 * LAP names differently or keeps elsewhere; test/support/litellm-key-api.ts holds the documented shape.
 */
function litellmSpendFields(row: typeof gatewaySpendLogs.$inferSelect, key: { userId: string | null; teamId: string | null }) {
  return {
    api_key: row.keyHash,
    call_type: CALL_TYPES[row.route] ?? row.route,
    user: key.userId,
    team_id: key.teamId,
    request_tags: [] as string[],
    metadata: {
      user_api_key: row.keyHash,
      user_api_key_alias: row.keyAlias,
      user_api_key_user_id: key.userId,
      user_api_key_team_id: key.teamId,
      spend_logs_metadata: null,
    },
  };
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** LiteLLM's spend log field names are snake_case (`request_id`, `model_group`, `spend`, ...). */
export function spendLogView(row: typeof gatewaySpendLogs.$inferSelect): SpendLogView {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[snake(k)] = v instanceof Date ? v.toISOString() : v;
  out.stream = row.stream === 1;
  // Each column under its snake_case name; the route's response schema (spendLogView in ../model) checks the shape.
  return out as SpendLogView;
}

/** Spend per day, key and model group. */
export async function dailyReport(database: Database, range: { start_date?: string; end_date?: string }) {
  const start = range.start_date ? new Date(range.start_date) : new Date(Date.now() - 30 * 86_400_000);
  const end = range.end_date ? new Date(range.end_date) : new Date(Date.now() + 86_400_000);
  const rows = await database.query<{
    day: string;
    key_id: string | null;
    key_alias: string | null;
    model_group: string | null;
    requests: number;
    failures: number;
    spend: number;
    prompt_tokens: number;
    completion_tokens: number;
  }>(
    `select to_char(date_trunc('day', start_time at time zone 'UTC'), 'YYYY-MM-DD') as day, key_id, max(key_alias) as key_alias, model_group,
            count(*)::int as requests, count(*) filter (where status = 'failure')::int as failures, coalesce(sum(spend), 0)::float8 as spend,
            coalesce(sum(prompt_tokens), 0)::int as prompt_tokens, coalesce(sum(completion_tokens), 0)::int as completion_tokens
       from gateway_spend_logs where start_time >= $1 and start_time <= $2
      group by 1, key_id, model_group order by 1, spend desc`,
    [start.toISOString(), end.toISOString()],
  );
  return rows.map((r) => ({ ...r, spend: Number(r.spend) }));
}
