/**
 * The warm pool's hits and misses per agent (the Sandboxes page, docs/sandboxes.md "Warm pool"): how
 * the sessions started in the last STATS_HOURS got their sandbox (schema/sandboxes.ts `start_kind`),
 * with each agent's harness. Host sandboxes count on their own host only, as the pool does.
 */
import type { Database } from "../db/client";
import { hostScope } from "./host-scope";
import type { AgentSandboxSettingsPort } from "./ports";

export const STATS_HOURS = 24;

export interface PoolAgentStats {
  agent_id: string;
  agent_name: string | null;
  harness: string;
  hits: number;
  misses: number;
  /** Took a warm sandbox whose pre-started harness the bind restarted (a cold CLI start after all). */
  restarted: number;
}

export async function poolStats(
  database: Pick<Database, "query">,
  agents: Pick<AgentSandboxSettingsPort, "summaries">,
  host: string | null,
): Promise<PoolAgentStats[]> {
  const rows = await database.query<{ agent_id: string; hits: number; misses: number; restarted: number }>(
    `select s.agent_id,
            count(*) filter (where s.start_kind = 'warm')::int as hits, count(*) filter (where s.start_kind = 'cold')::int as misses,
            count(*) filter (where s.start_kind = 'warm_restarted')::int as restarted
       from sandboxes s
      where s.start_kind in ('warm', 'warm_restarted', 'cold') and coalesce(s.claimed_at, s.created_at) > now() - ($2 || ' hours')::interval and ${hostScope(1, "s.host")}
      group by s.agent_id
      order by count(*) desc, s.agent_id limit 100`,
    [host, String(STATS_HOURS)],
  );
  // Names and harnesses from the agents module (one read for the page, not per row).
  const agent = await agents.summaries(rows.map((r) => r.agent_id));
  return rows.map((r) => {
    const a = agent.get(r.agent_id);
    return {
      agent_id: r.agent_id,
      agent_name: a?.name ?? null,
      harness: a?.harness === "default" || !a?.harness ? "builtin" : a.harness,
      hits: Number(r.hits),
      misses: Number(r.misses),
      restarted: Number(r.restarted),
    };
  });
}
