import type { Principal } from "../auth/model";
import { isAdmin, teamsWhere } from "../auth/policy";
import type { Database } from "../db/client";

interface Range {
  start_date?: string;
  end_date?: string;
}

interface Row {
  id: string;
  name: string | null;
  requests: number;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * Gateway spend per team and per user, from the spend log's `team_id` and `user_id` (stamped on each
 * call from its key or session: server/gateway/proxy/attribution.ts). A member sees its teams' and its
 * own; admins everyone's. Rows reach the log within a flush interval.
 */
export class SpendReports {
  constructor(private readonly deps: { database: Database }) {}

  byTeam(p: Principal, range: Range) {
    const teams = teamsWhere(p, "read");
    return this.grouped("team_id", "teams", "x.alias", teams, range);
  }

  byUser(p: Principal, range: Range) {
    return this.grouped(
      "user_id",
      "users",
      "coalesce(nullif(x.email, ''), nullif(x.name, ''), x.id)",
      isAdmin(p) ? undefined : [p.userId ?? ""],
      range,
    );
  }

  private async grouped(
    column: "team_id" | "user_id",
    table: "teams" | "users",
    label: string,
    only: string[] | undefined,
    range: Range,
  ): Promise<Array<Row & { name: string }>> {
    const start = range.start_date ? new Date(range.start_date) : new Date(Date.now() - 30 * 86_400_000);
    const end = range.end_date ? new Date(range.end_date) : new Date(Date.now() + 86_400_000);
    const params: unknown[] = [start.toISOString(), end.toISOString()];
    const filter = only ? ` and l.${column} = any($${params.push(only)}::text[])` : "";
    const rows = await this.deps.database.query<Row>(
      `select l.${column} as id, max(${label}) as name, count(*)::int as requests, coalesce(sum(l.spend), 0)::float8 as spend,
              coalesce(sum(l.prompt_tokens), 0)::int as prompt_tokens, coalesce(sum(l.completion_tokens), 0)::int as completion_tokens
         from gateway_spend_logs l left join ${table} x on x.id = l.${column}
        where l.${column} is not null and l.start_time >= $1 and l.start_time <= $2${filter}
        group by l.${column} order by spend desc`,
      params,
    );
    return rows.map((r) => ({ ...r, name: r.name ?? r.id, spend: Number(r.spend) }));
  }
}
