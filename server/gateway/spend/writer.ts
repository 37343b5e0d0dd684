import type { gatewaySpendLogs } from "../../../schema";
import { copyStatement, encodeBinaryCopy, type CopyColumn } from "../../db/binary-copy";
import type { Database, SqlTx } from "../../db/client";
import { BatchWriter } from "../../lib/batch-writer";
import { storableJsonText, storableText } from "../../lib/strings";

export type SpendRow = typeof gatewaySpendLogs.$inferInsert;

/**
 * Every column of gateway_spend_logs, declared once: its snake_case name, its exact type for binary COPY
 * (spend.test.ts checks them against the table) and the row's value, which also makes the JSON rows.
 */
export const SPEND_COPY_COLUMNS: CopyColumn<SpendRow>[] = [
  { name: "request_id", type: "text", value: (r) => r.requestId },
  { name: "key_hash", type: "text", value: (r) => r.keyHash },
  { name: "key_id", type: "text", value: (r) => r.keyId },
  { name: "key_alias", type: "text", value: (r) => r.keyAlias },
  { name: "route", type: "text", value: (r) => r.route },
  { name: "model_group", type: "text", value: (r) => r.modelGroup },
  { name: "deployment", type: "text", value: (r) => r.deployment },
  { name: "provider", type: "text", value: (r) => r.provider },
  { name: "api_base", type: "text", value: (r) => r.apiBase },
  { name: "prompt_tokens", type: "int4", value: (r) => r.promptTokens ?? 0 },
  { name: "completion_tokens", type: "int4", value: (r) => r.completionTokens ?? 0 },
  { name: "total_tokens", type: "int4", value: (r) => r.totalTokens ?? 0 },
  { name: "spend", type: "float8", value: (r) => r.spend ?? 0 },
  { name: "priced", type: "bool", value: (r) => r.priced },
  { name: "latency_ms", type: "float8", value: (r) => r.latencyMs },
  { name: "ttft_ms", type: "float8", value: (r) => r.ttftMs },
  { name: "stream", type: "int4", value: (r) => r.stream ?? 0 },
  { name: "status", type: "text", value: (r) => r.status },
  { name: "http_status", type: "int4", value: (r) => r.httpStatus },
  { name: "error", type: "text", value: (r) => r.error },
  { name: "attempts", type: "jsonb", value: (r) => r.attempts ?? [] },
  { name: "session_id", type: "text", value: (r) => r.sessionId },
  { name: "agent_id", type: "text", value: (r) => r.agentId },
  { name: "end_user", type: "text", value: (r) => r.endUser },
  { name: "user_id", type: "text", value: (r) => r.userId },
  { name: "team_id", type: "text", value: (r) => r.teamId },
  { name: "request_body", type: "jsonb", value: (r) => r.requestBody },
  { name: "response_body", type: "jsonb", value: (r) => r.responseBody },
  { name: "start_time", type: "timestamptz", value: (r) => r.startTime },
  { name: "end_time", type: "timestamptz", value: (r) => r.endTime },
];
const COPY = copyStatement("gateway_spend_logs", SPEND_COPY_COLUMNS);

/** A row in the table's column names, so the JSON rows map onto the table type exactly. */
const toRecord = (r: SpendRow) => Object.fromEntries(SPEND_COPY_COLUMNS.map((c) => [c.name, c.value(r) ?? null]));
const UNIQUE_VIOLATION = "23505";

/**
 * One statement per batch with the rows as a single JSON parameter: far cheaper to build than a
 * 25-column multi-row VALUES list. Used on PostgreSQL, and on PGlite when a batch repeats a request id.
 */
async function insertJson(tx: SqlTx, batch: SpendRow[]) {
  await tx.query(
    `insert into gateway_spend_logs select * from jsonb_populate_recordset(null::gateway_spend_logs, $1::jsonb) on conflict (request_id) do nothing`,
    [JSON.stringify(batch.map(toRecord))],
  );
}

/**
 * Embedded PGlite runs on the request thread, and parsing the JSON parameter was most of the gateway's
 * CPU per request; binary COPY costs about a third as much per row. COPY has no ON CONFLICT, so a batch
 * that repeats a request id (a caller reusing `x-request-id`) is rolled back to its savepoint and
 * written the JSON way, which skips the repeats as before.
 */
async function insertBatch(tx: SqlTx, batch: SpendRow[]) {
  if (!tx.copyFrom) return insertJson(tx, batch);
  await tx.query("savepoint spend_copy");
  try {
    await tx.copyFrom(COPY, encodeBinaryCopy(SPEND_COPY_COLUMNS, batch));
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    await tx.query("rollback to savepoint spend_copy");
    await insertJson(tx, batch);
  }
  await tx.query("release savepoint spend_copy");
}

export type { BatchWriterStats as SpendWriterStats } from "../../lib/batch-writer";

const TEXT_FIELDS = ["requestId", "keyAlias", "modelGroup", "deployment", "apiBase", "error", "sessionId", "agentId", "endUser"] as const;
const JSON_FIELDS = ["attempts", "requestBody", "responseBody"] as const;

/**
 * A row PostgreSQL will take: caller-supplied strings (`user`, model names, bodies, upstream errors)
 * may hold NUL or lone surrogates, and one such row would fail its whole batch again and again.
 */
export function storableRow(row: SpendRow): SpendRow {
  const out: SpendRow = { ...row };
  for (const f of TEXT_FIELDS) {
    const v = out[f];
    if (typeof v === "string") (out as Record<string, unknown>)[f] = storableText(v, 2000);
  }
  for (const f of JSON_FIELDS) {
    const v = out[f];
    if (v === undefined || v === null) continue;
    const text = JSON.stringify(v);
    const clean = storableJsonText(text);
    if (clean !== text) (out as Record<string, unknown>)[f] = JSON.parse(clean);
  }
  return out;
}

/** Spend rows, written in batches off the request path (see BatchWriter). */
export class SpendWriter extends BatchWriter<SpendRow> {
  constructor(deps: {
    database: Database;
    maxQueue: number;
    batchSize?: number;
    maxRowsPerFlush?: number;
    onError?: (err: unknown) => void;
  }) {
    // 250 rows take about as long to COPY as 100 took to insert from JSON, so the pause between
    // statements (where requests run) stays the same while the per-statement overhead is spread wider.
    super({ batchSize: 250, ...deps, insert: insertBatch });
  }

  override push(row: SpendRow) {
    super.push(storableRow(row));
  }
}
