/**
 * Group commit for event appends. One append statement is in flight at a time; appends that
 * arrive meanwhile, to any session, are written together by the next one. An idle log writes at
 * once (one round trip, as before); a busy one pays one commit for many appends instead of one each,
 * which is what bounds throughput when many sessions stream at once.
 */
import type { Database } from "../../db/client";
import { writeAppends, type Append } from "./append-sql";
import type { StoredEvent } from "../../../schema/session-events";

interface Waiting extends Append {
  resolve(events: StoredEvent[]): void;
  reject(err: unknown): void;
}

/** Keeps one statement's parameters to a sensible size; the rest waits for the next. */
const MAX_EVENTS_PER_STATEMENT = 2000;

export class GroupCommit {
  private waiting: Waiting[] = [];
  private draining = false;

  constructor(
    private readonly database: Database,
    /** Called after commit, in append order, before the appender's promise resolves. */
    private readonly onCommitted: (sessionId: string, events: StoredEvent[]) => void,
  ) {}

  append(a: Append): Promise<StoredEvent[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ...a, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // Appends made in the same tick (Promise.all over sessions) share the first statement too.
      queueMicrotask(() => void this.drain());
    });
  }

  private async drain() {
    while (this.waiting.length) {
      let events = 0;
      let n = 0;
      while (n < this.waiting.length && (n === 0 || events + this.waiting[n]!.events.length <= MAX_EVENTS_PER_STATEMENT))
        events += this.waiting[n++]!.events.length;
      await this.write(this.waiting.splice(0, n));
    }
    this.draining = false;
  }

  private async write(batch: Waiting[]) {
    let results: Array<StoredEvent[] | Error>;
    try {
      results = await writeAppends((text, params) => this.database.query(text, params), batch);
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // One bad append (say, text Postgres will not store) must not fail the others: write each alone.
      for (const w of batch) await this.write([w]);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r instanceof Error) return w.reject(r);
      if (r.length) {
        try {
          this.onCommitted(w.sessionId, r);
        } catch {}
      }
      w.resolve(r);
    });
  }
}
