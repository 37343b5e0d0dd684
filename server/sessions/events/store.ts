import type { Database, SqlTx } from "../../db/client";
import { notFound } from "../../lib/errors";
import type { StoredEvent } from "./types";

export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
  /** The runtime's id for the event: a retry of the same id in the same turn is stored once. */
  providerEventId?: string;
}

interface EventRowSql {
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
 * Rows other modules must write in the same transaction as certain events (an approval request
 * with the `agent.tool_use` that asks): an event stored means its row exists, and a crash between
 * the two cannot happen.
 */
export interface EventSideEffects {
  /** Whether this event needs `apply` (checked per event, so ordinary appends skip the transaction). */
  wants(event: NewEvent): boolean;
  apply(query: SqlTx["query"], sessionId: string, stored: StoredEvent[]): Promise<void>;
}

/**
 * The durable, ordered event log of each session.
 *
 * Sequence numbers come from `sessions.last_seq`. One statement does the whole append: a CTE bumps
 * the counter by the batch size (`UPDATE … RETURNING`, which row-locks the session until commit) and
 * the INSERT numbers the batch from it. Concurrent appenders to one session queue on that row lock
 * instead of racing on `MAX(seq)+1`, and seqs have no holes. `onAppended` runs after commit, so a
 * subscriber never sees an event that could still roll back.
 */
export class EventStore {
  constructor(
    private readonly deps: { database: Database; onAppended?: (sessionId: string, events: StoredEvent[]) => void; sideEffects?: EventSideEffects },
  ) {}

  private wantsSideEffects(events: NewEvent[]) {
    const fx = this.deps.sideEffects;
    return !!fx && events.some((e) => fx.wants(e));
  }

  async append(sessionId: string, events: NewEvent[], turnId: string | null = null): Promise<StoredEvent[]> {
    if (!events.length) return [];
    const stored = this.wantsSideEffects(events)
      ? await this.deps.database.transaction((tx) => this.insert((text, params) => tx.query(text, params), sessionId, events, turnId))
      : await this.insert((text, params) => this.deps.database.query(text, params), sessionId, events, turnId);
    if (stored.length) this.deps.onAppended?.(sessionId, stored);
    return stored;
  }

  /** For callers that must write other rows atomically with the events (a turn with its user message). */
  appendInTx(tx: SqlTx, sessionId: string, events: NewEvent[], turnId: string | null): Promise<StoredEvent[]> {
    return this.insert((text, params) => tx.query(text, params), sessionId, events, turnId);
  }

  private async insert(query: SqlTx["query"], sessionId: string, events: NewEvent[], turnId: string | null): Promise<StoredEvent[]> {
    let fresh = events;
    const providerIds = events.map((e) => e.providerEventId).filter((id): id is string => !!id);
    if (providerIds.length && turnId) {
      // Only the turn's worker appends a turn's runtime events, so this check cannot race; the
      // unique index (session_id, turn_id, provider_event_id) is the backstop.
      const seen = await query<{ provider_event_id: string }>(
        "select provider_event_id from session_events where session_id = $1 and turn_id = $2 and provider_event_id = any($3::text[])",
        [sessionId, turnId, providerIds],
      );
      const dup = new Set(seen.map((r) => r.provider_event_id));
      fresh = events.filter((e) => {
        if (!e.providerEventId) return true;
        if (dup.has(e.providerEventId)) return false;
        dup.add(e.providerEventId);
        return true;
      });
    }
    if (!fresh.length) return [];
    const rows = await query<EventRowSql>(
      `with counter as (
         update sessions set last_seq = last_seq + $2, updated_at = now() where id = $1 returning last_seq
       )
       insert into session_events (session_id, seq, type, data, turn_id, provider_event_id)
       select $1, counter.last_seq - $2 + t.ord, t.type, t.data, $3, t.pid
       from counter, unnest($4::text[], $5::jsonb[], $6::text[]) with ordinality as t(type, data, pid, ord)
       returning seq, type, data, turn_id, created_at`,
      [sessionId, fresh.length, turnId, fresh.map((e) => e.type), fresh.map((e) => JSON.stringify(e.data)), fresh.map((e) => e.providerEventId ?? null)],
    );
    if (!rows.length) throw notFound("Session");
    const stored = rows.map(toStoredEvent).sort((a, b) => a.seq - b.seq);
    if (this.wantsSideEffects(fresh)) await this.deps.sideEffects!.apply(query, sessionId, stored);
    return stored;
  }

  /** The last runtime event id stored for a turn: where a re-attached runtime stream resumes. */
  async lastProviderEventId(sessionId: string, turnId: string): Promise<string | null> {
    const [row] = await this.deps.database.query<{ provider_event_id: string }>(
      "select provider_event_id from session_events where session_id = $1 and turn_id = $2 and provider_event_id is not null order by seq desc limit 1",
      [sessionId, turnId],
    );
    return row?.provider_event_id ?? null;
  }

  /** Events with seq > after, oldest first. */
  async list(sessionId: string, after: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.deps.database.query<EventRowSql>(
      "select seq, type, data, turn_id, created_at from session_events where session_id = $1 and seq > $2 order by seq limit $3",
      [sessionId, after, limit],
    );
    return rows.map(toStoredEvent);
  }
}
