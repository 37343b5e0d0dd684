/**
 * The append statement: any number of appends, to any number of sessions, in one round trip and
 * one commit. Sequence numbers come from `sessions.last_seq`: each session's counter row is bumped
 * by its count of fresh events (`UPDATE … RETURNING`, which row-locks it until commit) and the
 * INSERT numbers that session's events from it, in the order given. Concurrent appenders to one
 * session queue on that row lock instead of racing on `MAX(seq)+1`, and seqs have no holes.
 */
import type { SqlTx } from "../../db/client";
import { notFound } from "../../lib/errors";
import type { StoredEvent } from "../../../schema/session-events";

export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
  /** The runtime's id for the event: a retry of the same id in the same turn is stored once. */
  providerEventId?: string;
}

export interface Append {
  sessionId: string;
  events: NewEvent[];
  turnId: string | null;
}

export interface EventRowSql {
  seq: string | number;
  type: string;
  data: Record<string, unknown> | string;
  turn_id: string | null;
  created_at: Date | string;
}

export const toStoredEvent = (r: EventRowSql): StoredEvent => ({
  seq: Number(r.seq),
  type: r.type,
  data: typeof r.data === "string" ? JSON.parse(r.data) : r.data,
  turn_id: r.turn_id,
  created_at: (r.created_at instanceof Date ? r.created_at : new Date(r.created_at)).toISOString(),
});

/**
 * One row per event: $1 session, $2 turn, $3 type, $4 data (JSON text), $5 runtime event id.
 * - `fresh` drops runtime events already stored for their turn (a re-read stream) and repeats
 *   within the batch, before numbering, so seqs stay gapless. Only a turn's worker appends that
 *   turn's runtime events, so the check cannot race; the unique index
 *   (session_id, turn_id, provider_event_id) is the backstop.
 * - Row locks are taken in whatever order the UPDATE meets the sessions. Within one process only one
 *   such statement runs at a time (group-commit.ts); two processes' statements for overlapping
 *   sessions can deadlock, which Postgres detects, and group commit then writes each append alone.
 *   Locking in id order first (`SELECT … ORDER BY id FOR UPDATE`) would avoid that rare retry but
 *   costs a WAL record per session per statement: it made 20-event appends ~40% slower.
 * - The result carries each event's position in the input (`ord`), so the caller hands every
 *   append back exactly its own events.
 */
const APPEND = `with fresh as (
    select f.sid, f.tid, f.type, f.data, f.pid, f.ord,
      row_number() over (partition by f.sid order by f.ord) as k,
      count(*) over (partition by f.sid) as n
    from (
      select u.*, row_number() over (partition by u.sid, u.tid, u.pid order by u.ord) as nth
      from unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[]) with ordinality as u(sid, tid, type, data, pid, ord)
    ) f
    where f.pid is null or f.tid is null or (f.nth = 1 and not exists (
      select 1 from session_events e where e.session_id = f.sid and e.turn_id = f.tid and e.provider_event_id = f.pid))
  ),
  counter as (
    update sessions s set last_seq = s.last_seq + c.n, updated_at = now()
    from (select sid, max(n) as n from fresh group by sid) c
    where s.id = c.sid
    returning s.id, s.last_seq, c.n
  ),
  numbered as (
    select f.*, counter.last_seq - counter.n + f.k as seq from fresh f join counter on counter.id = f.sid
  ),
  ins as (
    insert into session_events (session_id, seq, type, data, turn_id, provider_event_id)
    select sid, seq, type, data, tid, pid from numbered
    returning session_id, seq, type, data, turn_id, created_at
  )
  select ins.*, numbered.ord from ins join numbered on numbered.sid = ins.session_id and numbered.seq = ins.seq`;

/**
 * Writes the appends in one statement and returns, for each, its stored events in seq order, or
 * the error it alone gets (its session does not exist). An append whose every event was a retry
 * already stored gets an empty list.
 */
export async function writeAppends(query: SqlTx["query"], appends: Append[]): Promise<Array<StoredEvent[] | Error>> {
  const owner: number[] = [];
  const cols: [string[], Array<string | null>, string[], string[], Array<string | null>] = [[], [], [], [], []];
  appends.forEach((a, i) => {
    for (const e of a.events) {
      owner.push(i);
      cols[0].push(a.sessionId);
      cols[1].push(a.turnId);
      cols[2].push(e.type);
      cols[3].push(JSON.stringify(e.data));
      cols[4].push(e.providerEventId ?? null);
    }
  });
  const rows = await query<EventRowSql & { ord: string | number }>(APPEND, cols);
  const out: Array<StoredEvent[] | Error> = appends.map(() => []);
  for (const r of rows) (out[owner[Number(r.ord) - 1]!] as StoredEvent[]).push(toStoredEvent(r));
  for (let i = 0; i < appends.length; i++) {
    const stored = out[i] as StoredEvent[];
    if (stored.length) stored.sort((a, b) => a.seq - b.seq);
    // Nothing stored: every event was a retry already stored, or the session is gone.
    else if (!(await sessionExists(query, appends[i]!.sessionId))) out[i] = notFound("Session");
  }
  return out;
}

const sessionExists = async (query: SqlTx["query"], id: string) => (await query("select 1 from sessions where id = $1", [id])).length > 0;
