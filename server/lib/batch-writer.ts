import type { Database, SqlTx } from "../db/client";

export interface BatchWriterStats {
  queued: number;
  written: number;
  dropped: number;
  failedFlushes: number;
}

export interface BatchWriterOptions<T> {
  database: Database;
  maxQueue: number;
  /** Writes one batch inside the flush's transaction. */
  insert(tx: SqlTx, batch: T[]): Promise<void>;
  batchSize?: number;
  maxRowsPerFlush?: number;
  /** After a flush committed (outside its transaction). */
  afterFlush?(rows: T[]): Promise<void>;
  onError?: (err: unknown) => void;
}

/**
 * Rows wait in a bounded in-memory queue and are inserted in batches by `flush()` (called on a
 * timer by the owner), so a slow or failing database never slows the path that produces them.
 * When the queue is full the newest row is dropped and counted; a failed batch goes back to the
 * front of the queue (as far as the bound allows).
 */
export class BatchWriter<T> {
  private queue: T[] = [];
  private flushing: Promise<number> | undefined;
  readonly stats: BatchWriterStats = { queued: 0, written: 0, dropped: 0, failedFlushes: 0 };

  constructor(private readonly opts: BatchWriterOptions<T>) {}

  push(row: T) {
    if (this.queue.length >= this.opts.maxQueue) {
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
    if (this.queue.length === 0) return 0;
    const size = this.opts.batchSize ?? 100;
    const taken = this.queue.splice(0, this.opts.maxRowsPerFlush ?? 20_000);
    try {
      // One transaction (one commit) per flush, written in small statements with a yield between them:
      // commits are what cost most on embedded PGlite, and PGlite runs on this thread, so one long
      // statement would hold up requests.
      await this.opts.database.transaction(async (tx) => {
        for (let i = 0; i < taken.length; i += size) {
          if (i > 0) await new Promise((r) => setTimeout(r, 0));
          await this.opts.insert(tx, taken.slice(i, i + size));
        }
      });
      this.stats.written += taken.length;
      this.stats.queued = this.queue.length;
    } catch (err) {
      this.stats.failedFlushes++;
      const room = Math.max(0, this.opts.maxQueue - this.queue.length);
      this.stats.dropped += Math.max(0, taken.length - room);
      this.queue.unshift(...taken.slice(0, room));
      this.stats.queued = this.queue.length;
      this.opts.onError?.(err);
      return 0;
    }
    await this.opts.afterFlush?.(taken).catch((err) => this.opts.onError?.(err));
    return taken.length;
  }
}
