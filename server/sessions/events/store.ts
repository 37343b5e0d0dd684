import type { Database, SqlTx } from "../../db/client";
import { toStoredEvent, writeAppends, type EventRowSql, type NewEvent } from "./append-sql";
import { GroupCommit } from "./group-commit";
import { DELTA, pieceText, type Compaction, type OpenMessage } from "./messages";
import type { StoredEvent } from "../../../schema/session-events";

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

/** Rows the caller writes in the transaction of an append (a turn's end with its terminal event), after the events. */
export type AlsoInTx = (tx: SqlTx) => Promise<void>;

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

  /**
   * `compact`: stored `agent.message_delta` rows to delete in the same transaction, because a message
   * in `events` replaces them (events/messages.ts). They are deleted before the insert, so a reader
   * sees either the deltas or the message, never both and never neither. `alsoInTx` writes other rows
   * in the same transaction, so a subscriber told of the events reads those rows too.
   */
  async append(
    sessionId: string,
    events: NewEvent[],
    turnId: string | null = null,
    compact: Compaction[] = [],
    alsoInTx?: AlsoInTx,
  ): Promise<StoredEvent[]> {
    if (!events.length) return [];
    const started = performance.now();
    const stored = await this.write(sessionId, events, turnId, compact, alsoInTx);
    this.deps.appendSeconds?.((performance.now() - started) / 1000);
    return stored;
  }

  private async write(
    sessionId: string,
    events: NewEvent[],
    turnId: string | null,
    compact: Compaction[],
    alsoInTx?: AlsoInTx,
  ): Promise<StoredEvent[]> {
    if (!compact.length && !alsoInTx && !this.wantsSideEffects(events)) return this.commits.append({ sessionId, events, turnId });
    const stored = await this.deps.database.transaction(async (tx) => {
      for (const c of compact) {
        // The primary key's range (session_id, seq >= first delta) bounds the scan to this message's tail of the log.
        await tx.query("delete from session_events where session_id = $1 and seq >= $2 and type = $3 and data->>'message_id' = $4", [
          sessionId,
          c.fromSeq,
          DELTA,
          c.messageId,
        ]);
      }
      const stored = await this.appendInTx(tx, sessionId, events, turnId);
      await alsoInTx?.(tx);
      return stored;
    });
    if (stored.length) this.deps.onAppended?.(sessionId, stored);
    return stored;
  }

  /**
   * The message a turn was writing when its process stopped: its stored deltas (the last message's,
   * oldest first), or null. A re-attached turn continues it (run-turn.ts).
   */
  async openMessage(sessionId: string, turnId: string): Promise<OpenMessage | null> {
    const rows = await this.deps.database.query<EventRowSql>(
      "select seq, type, data, turn_id, created_at from session_events where session_id = $1 and turn_id = $2 and type = $3 order by seq",
      [sessionId, turnId, DELTA],
    );
    const deltas = rows.map(toStoredEvent);
    const last = deltas.at(-1);
    if (!last) return null;
    const messageId = String(last.data.message_id);
    const mine = deltas.filter((d) => d.data.message_id === messageId);
    return { messageId, text: mine.map((d) => pieceText(d.data)).join(""), fromSeq: mine[0]!.seq };
  }

  /**
   * For callers that must write other rows atomically with the events (a turn with its user message).
   * Nothing is published here: once the caller's transaction committed, it hands the events to `afterCommit`.
   */
  async appendInTx(tx: SqlTx, sessionId: string, events: NewEvent[], turnId: string | null): Promise<StoredEvent[]> {
    if (!events.length) return [];
    const query: SqlTx["query"] = (text, params) => tx.query(text, params);
    const [stored] = await writeAppends(query, [{ sessionId, events, turnId }]);
    if (stored instanceof Error) throw stored;
    if (stored!.length && this.wantsSideEffects(events)) await this.deps.sideEffects!.apply(query, sessionId, stored!);
    return stored!;
  }

  /**
   * The after-commit hook of `appendInTx`: subscribers get the events of a committed transaction from
   * here, so this store is the one publisher of session events, and never before their commit.
   */
  afterCommit(sessionId: string, events: StoredEvent[]): void {
    if (events.length) this.deps.onAppended?.(sessionId, events);
  }

  /** The last runtime event id stored for a turn: where a re-attached runtime stream resumes. */
  async lastProviderEventId(sessionId: string, turnId: string): Promise<string | null> {
    const [row] = await this.deps.database.query<{ provider_event_id: string }>(
      "select provider_event_id from session_events where session_id = $1 and turn_id = $2 and provider_event_id is not null order by seq desc limit 1",
      [sessionId, turnId],
    );
    return row?.provider_event_id ?? null;
  }

  /**
   * Events with seq > after, oldest first. `deltas: false` leaves out the pieces of a message still
   * being written (the event list reads whole messages; streams need the pieces to resume exactly).
   */
  async list(sessionId: string, after: number, limit: number, opts: { deltas?: boolean } = {}): Promise<StoredEvent[]> {
    const rows = await this.deps.database.query<EventRowSql>(
      `select seq, type, data, turn_id, created_at from session_events where session_id = $1 and seq > $2${opts.deltas === false ? ` and type <> '${DELTA}'` : ""} order by seq limit $3`,
      [sessionId, after, limit],
    );
    return rows.map(toStoredEvent);
  }
}
