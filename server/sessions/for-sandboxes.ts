/**
 * The sandboxes' port to sessions (server/sandboxes/ports.ts): what the warm pool sizes itself by and
 * what the reconcile passes keep. Reads only; wired in server/app.ts.
 */
import type { Database, SqlTx } from "../db/client";

export function sessionsForSandboxes(database: Pick<Database, "query">) {
  return {
    async agentDemand(since: Date, window: Date, limit: number) {
      const rows = await database.query<{ agent_id: string; recent: number }>(
        `select s.agent_id, count(*) filter (where s.created_at > $2)::int as recent from sessions s join agents a on a.id = s.agent_id
          where s.created_at > $1 and a.status = 'active'
          group by s.agent_id order by max(s.created_at) desc limit $3`,
        [since.toISOString(), window.toISOString(), limit],
      );
      return rows.map((r) => ({ agentId: r.agent_id, recent: Number(r.recent) }));
    },
    async latestSessionOf(agentId: string) {
      const [latest] = await database.query<{ id: string }>(
        "select id from sessions where agent_id = $1 order by created_at desc limit 1",
        [agentId],
      );
      return latest?.id ?? null;
    },
    async live(sessionIds: string[]) {
      if (!sessionIds.length) return new Set<string>();
      const rows = await database.query<{ id: string }>(
        "select id from sessions where id = any($1::text[]) and status not in ('stopped', 'error')",
        [sessionIds],
      );
      return new Set(rows.map((r) => r.id));
    },
    /** Who a session acts for: the user it belongs to, and its parent session (a sub-agent's); null: no such session. */
    async ownerAndParent(sessionId: string) {
      const [s] = await database.query<{ owner_user_id: string | null; parent_session_id: string | null }>(
        "select owner_user_id, parent_session_id from sessions where id = $1",
        [sessionId],
      );
      return s ? { ownerUserId: s.owner_user_id, parentSessionId: s.parent_session_id } : null;
    },
    async teamsOf(sessionIds: string[], tx: Pick<SqlTx, "query"> = database) {
      if (!sessionIds.length) return new Map<string, string>();
      const rows = await tx.query<{ id: string; team_id: string }>("select id, team_id from sessions where id = any($1::text[])", [
        sessionIds,
      ]);
      return new Map(rows.map((r) => [r.id, r.team_id]));
    },
  };
}
