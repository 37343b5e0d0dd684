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
 * The durable, ordered event log of each session.
 *
 * Sequence numbers come from `sessions.last_seq`: an append locks the session row
 * (`SELECT … FOR UPDATE`), skips events already stored for this turn, inserts the rest with
 * consecutive numbers and moves the counter, all in one transaction. Concurrent appenders to one
 * session therefore queue on the row lock instead of racing on `MAX(seq)+1`, and seqs have no holes.
 * `onAppended` runs after commit, so a subscriber never sees an event that could still roll back.
 */
export class EventStore {
  constructor(private readonly deps: { database: Database; onAppended?: (sessionId: string, events: StoredEvent[]) => void }) {}

  /** `alsoInTx` writes related rows (a turn's resume cursor) atomically with the events. */
  async append(sessionId: string, events: NewEvent[], turnId: string | null = null, alsoInTx?: (tx: SqlTx) => Promise<void>): Promise<StoredEvent[]> {
    if (!events.length) return [];
    const stored = await this.deps.database.transaction(async (tx) => {
      const rows = await this.appendInTx(tx, sessionId, events, turnId);
      await alsoInTx?.(tx);
      return rows;
    });
    if (stored.length) this.deps.onAppended?.(sessionId, stored);
    return stored;
  }

  /** For callers that must write other rows atomically with the events (a turn with its user message). */
  async appendInTx(tx: SqlTx, sessionId: string, events: NewEvent[], turnId: string | null): Promise<StoredEvent[]> {
    const [session] = await tx.query<{ last_seq: string | number }>("select last_seq from sessions where id = $1 for update", [sessionId]);
    if (!session) throw notFound("Session");
    let fresh = events;
    const providerIds = events.map((e) => e.providerEventId).filter((id): id is string => !!id);
    if (providerIds.length && turnId) {
      const seen = await tx.query<{ provider_event_id: string }>(
        "select provider_event_id from session_events where session_id = $1 and turn_id = $2 and provider_event_id = any($3::text[])",
        [sessionId, turnId, providerIds],
      );
      const dup = new Set(seen.map((r) => r.provider_event_id));
      const inBatch = new Set<string>();
      fresh = events.filter((e) => {
        if (!e.providerEventId) return true;
        if (dup.has(e.providerEventId) || inBatch.has(e.providerEventId)) return false;
        inBatch.add(e.providerEventId);
        return true;
      });
    }
    if (!fresh.length) return [];
    const first = Number(session.last_seq) + 1;
    const rows = await tx.query<EventRowSql>(
      `insert into session_events (session_id, seq, type, data, turn_id, provider_event_id)
       select $1, $2::bigint + t.ord - 1, t.type, t.data, $3, t.pid
       from unnest($4::text[], $5::jsonb[], $6::text[]) with ordinality as t(type, data, pid, ord)
       returning seq, type, data, turn_id, created_at`,
      [sessionId, first, turnId, fresh.map((e) => e.type), fresh.map((e) => JSON.stringify(e.data)), fresh.map((e) => e.providerEventId ?? null)],
    );
    await tx.query("update sessions set last_seq = $2, updated_at = now() where id = $1", [sessionId, first + fresh.length - 1]);
    return rows.map(toStoredEvent).sort((a, b) => a.seq - b.seq);
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
