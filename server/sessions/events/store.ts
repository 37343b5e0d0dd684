import type { Database, SqlTx } from "../../db/client";
import { toStoredEvent, writeAppends, type EventRowSql, type NewEvent } from "./append-sql";
import { GroupCommit } from "./group-commit";
import type { StoredEvent } from "./types";

export { toStoredEvent, type NewEvent } from "./append-sql";

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
 * The durable, ordered event log of each session (the statement and its numbering: append-sql.ts).
 * Ordinary appends go through group commit; appends with side effects run in their own
 * transaction. `onAppended` runs after commit, so a subscriber never sees an event that could still
 * roll back.
 */
export class EventStore {
  private readonly commits: GroupCommit;

  constructor(
    private readonly deps: {
      database: Database;
      onAppended?: (sessionId: string, events: StoredEvent[]) => void;
      sideEffects?: EventSideEffects;
      /** How long each append took, commit included (server/metrics). */
      appendSeconds?: (seconds: number) => void;
    },
  ) {
    this.commits = new GroupCommit(deps.database, (id, events) => deps.onAppended?.(id, events));
  }

  private wantsSideEffects(events: NewEvent[]) {
    const fx = this.deps.sideEffects;
    return !!fx && events.some((e) => fx.wants(e));
  }

  async append(sessionId: string, events: NewEvent[], turnId: string | null = null): Promise<StoredEvent[]> {
    if (!events.length) return [];
    const started = performance.now();
    let stored: StoredEvent[];
    if (!this.wantsSideEffects(events)) stored = await this.commits.append({ sessionId, events, turnId });
    else {
      stored = await this.deps.database.transaction((tx) => this.appendInTx(tx, sessionId, events, turnId));
      if (stored.length) this.deps.onAppended?.(sessionId, stored);
    }
    this.deps.appendSeconds?.((performance.now() - started) / 1000);
    return stored;
  }

  /** For callers that must write other rows atomically with the events (a turn with its user message). */
  async appendInTx(tx: SqlTx, sessionId: string, events: NewEvent[], turnId: string | null): Promise<StoredEvent[]> {
    if (!events.length) return [];
    const query: SqlTx["query"] = (text, params) => tx.query(text, params);
    const [stored] = await writeAppends(query, [{ sessionId, events, turnId }]);
    if (stored instanceof Error) throw stored;
    if (stored!.length && this.wantsSideEffects(events)) await this.deps.sideEffects!.apply(query, sessionId, stored!);
    return stored!;
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
