import { gatewaySpendLogs } from "../../../schema";
import type { Database, SqlTx } from "../../db/client";
import { BatchWriter } from "../../lib/batch-writer";

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

export type { BatchWriterStats as SpendWriterStats } from "../../lib/batch-writer";

/** Spend rows, written in batches off the request path (see BatchWriter). */
export class SpendWriter extends BatchWriter<SpendRow> {
  constructor(deps: { database: Database; maxQueue: number; batchSize?: number; maxRowsPerFlush?: number; onError?: (err: unknown) => void }) {
    super({ ...deps, insert: insertBatch });
  }
}
