import { gatewaySpendLogs } from "../../../schema";
import type { Database, SqlTx } from "../../db/client";

export type SpendRow = typeof gatewaySpendLogs.$inferInsert;

/** Every column, in the table's snake_case names, so the JSON rows map onto the table type exactly. */
function toRecord(r: SpendRow) {
  return {
    request_id: r.requestId, key_hash: r.keyHash ?? null, key_id: r.keyId ?? null, key_alias: r.keyAlias ?? null, route: r.route,
    model_group: r.modelGroup ?? null, deployment: r.deployment ?? null, provider: r.provider ?? null, api_base: r.apiBase ?? null,
    prompt_tokens: r.promptTokens ?? 0, completion_tokens: r.completionTokens ?? 0, total_tokens: r.totalTokens ?? 0, spend: r.spend ?? 0,
    latency_ms: r.latencyMs ?? null, ttft_ms: r.ttftMs ?? null, stream: r.stream ?? 0, status: r.status, http_status: r.httpStatus ?? null,
    error: r.error ?? null, attempts: r.attempts ?? [], session_id: r.sessionId ?? null, agent_id: r.agentId ?? null, end_user: r.endUser ?? null,
    request_body: r.requestBody ?? null, response_body: r.responseBody ?? null,
    start_time: r.startTime, end_time: r.endTime,
  };
}

/**
 * One statement per batch with the rows as a single JSON parameter: far cheaper to build than a
 * 25-column multi-row VALUES list, which matters when the database is PGlite in this same process.
 */
async function insertBatch(tx: SqlTx, batch: SpendRow[]) {
  await tx.query(
    `insert into gateway_spend_logs select * from jsonb_populate_recordset(null::gateway_spend_logs, $1::jsonb) on conflict (request_id) do nothing`,
    [JSON.stringify(batch.map(toRecord))],
  );
}

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

  constructor(private readonly deps: { database: Database; maxQueue: number; batchSize?: number; maxRowsPerFlush?: number; onError?: (err: unknown) => void }) {}

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
    if (this.queue.length === 0) return 0;
    const size = this.deps.batchSize ?? 100;
    const taken = this.queue.splice(0, this.deps.maxRowsPerFlush ?? 20_000);
    try {
      // One transaction (one commit) per flush, written in small statements with a yield between them:
      // commits are what cost most on embedded PGlite, and PGlite runs on this thread, so one long
      // statement would hold up requests.
      await this.deps.database.transaction(async (tx) => {
        for (let i = 0; i < taken.length; i += size) {
          if (i > 0) await new Promise((r) => setTimeout(r, 0));
          await insertBatch(tx, taken.slice(i, i + size));
        }
      });
      this.stats.written += taken.length;
      this.stats.queued = this.queue.length;
      return taken.length;
    } catch (err) {
      this.stats.failedFlushes++;
      const room = Math.max(0, this.deps.maxQueue - this.queue.length);
      this.stats.dropped += Math.max(0, taken.length - room);
      this.queue.unshift(...taken.slice(0, room));
      this.stats.queued = this.queue.length;
      this.deps.onError?.(err);
      return 0;
    }
  }
}
