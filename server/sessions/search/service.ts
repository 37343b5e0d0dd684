import type { Principal } from "../../auth/model";
import { scopeOf, scopeSql, SYSTEM } from "../../auth/policy";
import type { Database } from "../../db/client";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { SearchSessionsQuery } from "../model";

/**
 * The indexed expressions (drizzle/0014_session_search.sql): a message's text parts and a title, as
 * English full text. PostgreSQL and PGlite both have `to_tsvector`; the query must use exactly these
 * expressions for the GIN indexes to apply.
 */
export const MESSAGE_TSV = "to_tsvector('english'::regconfig, jsonb_path_query_array(e.data, '$.content[*].text'))";
const TITLE_TSV = "to_tsvector('english'::regconfig, s.title)";
const MESSAGE_TEXT = "(select string_agg(x, ' ') from jsonb_array_elements_text(jsonb_path_query_array(e.data, '$.content[*].text')) x)";
/** Private-use characters mark the matched words inside ts_headline's output; never in stored text we show. */
const START = "\uE000";
const STOP = "\uE001";
const HEADLINE = `StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`;

interface HitRow {
  id: string;
  agent_id: string | null;
  agent_name: string | null;
  title: string;
  status: string;
  runtime_id: string | null;
  error: string | null;
  last_seq: number;
  team_id: string;
  created_at: Date | string;
  updated_at: Date | string;
  spend: number;
  seq: number | null;
  title_hit: boolean;
  headline: string | null;
}

/**
 * Sessions whose title or messages match `q` (websearch syntax: words, "phrases", -not, or), newest
 * first, each with a highlighted snippet and the seq of its first matching message. Only sessions the
 * caller may see are searched: the scope is part of the query, so another team's never match.
 */
export async function searchSessions(database: Database, query: SearchSessionsQuery, actor: Principal = SYSTEM) {
  const params: unknown[] = [query.q.trim()];
  const where: string[] = [];
  const scope = scopeSql(scopeOf(actor), params, "s.team_id", "s.id");
  if (scope) where.push(scope);
  if (query.agent_id) where.push(`s.agent_id = $${params.push(query.agent_id)}`);
  if (query.cursor) {
    const id = decodeCursor(query.cursor);
    where.push(`(s.created_at, s.id) < (select s2.created_at, s2.id from sessions s2 where s2.id = $${params.push(id)})`);
  }
  const limit = params.push(query.limit + 1);
  const rows = await database.query<HitRow>(
    `with q as (select websearch_to_tsquery('english', $1) as query),
          hits as (
            select e.session_id, min(e.seq) as seq from session_events e, q
             where e.type in ('user.message', 'agent.message') and ${MESSAGE_TSV} @@ q.query
             group by e.session_id)
     select s.id, s.agent_id, a.name as agent_name, s.title, s.status, s.runtime_id, s.error, s.last_seq, s.team_id, s.created_at, s.updated_at,
            (select coalesce(sum(l.spend), 0)::float8 from gateway_spend_logs l where l.session_id = s.id) as spend,
            h.seq, (${TITLE_TSV} @@ q.query) as title_hit,
            case when h.seq is not null then
              (select ts_headline('english', ${MESSAGE_TEXT}, q.query, '${HEADLINE}') from session_events e where e.session_id = s.id and e.seq = h.seq)
            else ts_headline('english', s.title, q.query, '${HEADLINE}') end as headline
       from sessions s cross join q
       left join hits h on h.session_id = s.id
       left join agents a on a.id = s.agent_id
      where (h.seq is not null or ${TITLE_TSV} @@ q.query)${where.length ? ` and ${where.join(" and ")}` : ""}
      order by s.created_at desc, s.id desc
      limit $${limit}`,
    params,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map((r) => {
      const highlights = splitHeadline(r.headline ?? r.title);
      return {
        session: {
          id: r.id,
          agent_id: r.agent_id,
          agent_name: r.agent_name,
          title: r.title,
          status: r.status as never,
          runtime_id: r.runtime_id,
          error: r.error,
          last_seq: Number(r.last_seq),
          team_id: r.team_id,
          spend: Number(r.spend),
          created_at: new Date(r.created_at).toISOString(),
          updated_at: new Date(r.updated_at).toISOString(),
        },
        matched: (r.seq !== null ? "message" : "title") as "message" | "title",
        seq: r.seq === null ? null : Number(r.seq),
        snippet: highlights.map((p) => p.text).join(""),
        highlights,
      };
    }),
    next_cursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
  };
}

/** ts_headline's output, split at its markers into plain and matched pieces (no HTML anywhere). */
export function splitHeadline(headline: string): Array<{ text: string; match: boolean }> {
  const parts: Array<{ text: string; match: boolean }> = [];
  for (const [i, chunk] of headline.split(START).entries()) {
    if (i === 0) {
      if (chunk) parts.push({ text: chunk.replaceAll(STOP, ""), match: false });
      continue;
    }
    const end = chunk.indexOf(STOP);
    const hit = end < 0 ? chunk : chunk.slice(0, end);
    const rest = end < 0 ? "" : chunk.slice(end + 1).replaceAll(STOP, "");
    if (hit) parts.push({ text: hit, match: true });
    if (rest) parts.push({ text: rest, match: false });
  }
  return parts;
}
