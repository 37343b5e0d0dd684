/** The sessions list: keyset-paginated, newest first, and light (no events, no counts per row). */
import { and, desc, eq, sql } from "drizzle-orm";
import { agents, sessions, type SessionRow } from "../../schema";
import type { Principal } from "../auth/model";
import { scopeOf, scopeWhere } from "../auth/policy";
import type { Database } from "../db/client";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import type { SessionView } from "./model";
import { sessionSpend, sessionView } from "./view";

export interface SessionListQuery {
  limit: number;
  cursor?: string;
  agent_id?: string;
  status?: SessionView["status"];
}

export async function listSessions(db: Database["db"], opts: SessionListQuery, actor: Principal) {
  const filters = [];
  const scoped = scopeWhere(scopeOf(actor), sessions.teamId, sessions.id);
  if (scoped) filters.push(scoped);
  if (opts.agent_id) filters.push(eq(sessions.agentId, opts.agent_id));
  if (opts.status) filters.push(eq(sessions.status, opts.status));
  if (opts.cursor) {
    // Compare in SQL against the cursor row, so microsecond timestamps never lose precision in JS.
    const id = decodeCursor(opts.cursor);
    filters.push(sql`(${sessions.createdAt}, ${sessions.id}) < (select s2.created_at, s2.id from sessions s2 where s2.id = ${id})`);
  }
  const rows = await db
    .select({
      id: sessions.id,
      agentId: sessions.agentId,
      title: sessions.title,
      status: sessions.status,
      runtimeId: sessions.runtimeId,
      error: sessions.error,
      lastSeq: sessions.lastSeq,
      createdAt: sessions.createdAt,
      updatedAt: sessions.updatedAt,
      ownerKeyId: sessions.ownerKeyId,
      ownerUserId: sessions.ownerUserId,
      teamId: sessions.teamId,
      agentName: agents.name,
      spend: sessionSpend,
    })
    .from(sessions)
    .leftJoin(agents, eq(agents.id, sessions.agentId))
    .where(filters.length ? and(...filters) : undefined)
    .orderBy(desc(sessions.createdAt), desc(sessions.id))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return {
    data: page
      .map((r) => ({ ...sessionView(r as unknown as SessionRow, r.agentName, Number(r.spend)) }))
      .map(({ queued_turns: _q, ...v }) => v),
    next_cursor: rows.length > opts.limit && last ? encodeCursor(last.id) : null,
  };
}
