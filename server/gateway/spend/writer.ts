import { gatewaySpendLogs } from "../../../schema";
import type { Database } from "../../db/client";

export type SpendRow = typeof gatewaySpendLogs.$inferInsert;

export interface SpendWriterStats {
  queued: number;
  written: number;
  dropped: number;
  failedFlushes: number;
}

/**
 * Spend rows wait in a bounded in-memory queue and are inserted in batches on a timer, so a slow or
 * failing database never slows or fails a response. When the queue is full the newest row is dropped
 * and counted; a failed batch goes back to the front of the queue (as far as the bound allows).
 */
export class SpendWriter {
  private queue: SpendRow[] = [];
  private flushing: Promise<number> | undefined;
  readonly stats: SpendWriterStats = { queued: 0, written: 0, dropped: 0, failedFlushes: 0 };

  constructor(private readonly deps: { database: Database; maxQueue: number; batchSize?: number; onError?: (err: unknown) => void }) {}

  push(row: SpendRow) {
    if (this.queue.length >= this.deps.maxQueue) {
      this.stats.dropped++;
      return;
    }
    this.queue.push(row);
    this.stats.queued = this.queue.length;
  }

  get pending() {
    return this.queue.length;
  }

  /** Writes everything queued (one batch at a time); concurrent callers share one flush. */
  flush(): Promise<number> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<number> {
    let written = 0;
    const size = this.deps.batchSize ?? 500;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, size);
      try {
        await this.deps.database.db.insert(gatewaySpendLogs).values(batch).onConflictDoNothing();
        written += batch.length;
        this.stats.written += batch.length;
      } catch (err) {
        this.stats.failedFlushes++;
        const room = Math.max(0, this.deps.maxQueue - this.queue.length);
        this.stats.dropped += Math.max(0, batch.length - room);
        this.queue.unshift(...batch.slice(0, room));
        this.deps.onError?.(err);
        break;
      }
    }
    this.stats.queued = this.queue.length;
    return written;
  }
}
