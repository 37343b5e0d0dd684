import type { Database } from "../../db/client";
import type { SpendUsageQuery } from "../model";

/** One group of calls: a UTC day, a model group, a key and an agent (any of the last three may be null). */
export interface UsageRow {
  day: string;
  model_group: string | null;
  key_id: string | null;
  key_alias: string | null;
  agent_id: string | null;
  agent_name: string | null;
  requests: number;
  failures: number;
  prompt_tokens: number;
  completion_tokens: number;
  spend: number;
  /** Calls of a model with no price (logged at $0). */
  unpriced: number;
}

export interface UsageReport {
  start_date: string;
  end_date: string;
  /** Every day of the range, oldest first (so charts have no gaps). */
  days: string[];
  rows: UsageRow[];
}

const DAY_MS = 86_400_000;
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * The Usage page's data in one query: calls grouped by UTC day, model group, key and agent. The page
 * sums these into its charts and its by-model / by-key / by-agent tables, and exports them as CSV.
 * Agent names come from the agents table (a deleted agent keeps its id, with no name).
 */
export async function usageReport(database: Database, query: SpendUsageQuery): Promise<UsageReport> {
  const end = query.end_date ?? isoDay(Date.now());
  const start = query.start_date ?? isoDay(Date.parse(end) - 29 * DAY_MS);
  const from = Date.parse(start);
  const until = Date.parse(end) + DAY_MS;
  const rows = await database.query<UsageRow>(
    `select to_char(date_trunc('day', l.start_time at time zone 'UTC'), 'YYYY-MM-DD') as day, l.model_group, l.key_id, max(l.key_alias) as key_alias,
            l.agent_id, max(a.name) as agent_name,
            count(*)::int as requests, count(*) filter (where l.status = 'failure')::int as failures,
            coalesce(sum(l.prompt_tokens), 0)::int as prompt_tokens, coalesce(sum(l.completion_tokens), 0)::int as completion_tokens,
            coalesce(sum(l.spend), 0)::float8 as spend, count(*) filter (where l.priced = false)::int as unpriced
       from gateway_spend_logs l left join agents a on a.id = l.agent_id
      where l.start_time >= $1 and l.start_time < $2
      group by 1, l.model_group, l.key_id, l.agent_id
      order by 1, spend desc`,
    [new Date(from).toISOString(), new Date(until).toISOString()],
  );
  const days: string[] = [];
  for (let t = from; t < until; t += DAY_MS) days.push(isoDay(t));
  return { start_date: start, end_date: end, days, rows: rows.map((r) => ({ ...r, spend: Number(r.spend) })) };
}
