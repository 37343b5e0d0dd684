import type { gatewaySpendLogs } from "../../../schema";
import { copyStatement, encodeBinaryCopy, type CopyColumn, type CopyType } from "../../db/binary-copy";
import type { Database, SqlTx } from "../../db/client";
import { BatchWriter } from "../../lib/batch-writer";
import { storableJsonText, storableText } from "../../lib/strings";

export type SpendRow = typeof gatewaySpendLogs.$inferInsert;

/** A column of gateway_spend_logs: the row's field, its snake_case name and its exact type for binary COPY. */
interface SpendColumn extends CopyColumn<SpendRow> {
  field: keyof SpendRow;
}

const snakeCase = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const column = <K extends keyof SpendRow>(field: K, type: CopyType, fallback?: NonNullable<SpendRow[K]>): SpendColumn => ({
  field,
  name: snakeCase(field),
  type,
  value: fallback === undefined ? (r) => r[field] : (r) => r[field] ?? fallback,
});

/**
 * Every column of gateway_spend_logs, declared once: the row's field (its name in snake_case is the
 * column's), its exact type for binary COPY (writer.test.ts checks them against the table) and the
 * value stored when the row has none. The COPY rows, the JSON rows and what is made storable
 * (storableRow: every text and jsonb column) all come from this list.
 */
export const SPEND_COPY_COLUMNS: SpendColumn[] = [
  column("requestId", "text"),
  column("keyHash", "text"),
  column("keyId", "text"),
  column("keyAlias", "text"),
  column("route", "text"),
  column("modelGroup", "text"),
  column("deployment", "text"),
  column("provider", "text"),
  column("apiBase", "text"),
  column("promptTokens", "int4", 0),
  column("completionTokens", "int4", 0),
  column("totalTokens", "int4", 0),
  column("spend", "float8", 0),
  column("priced", "bool"),
  column("latencyMs", "float8"),
  column("ttftMs", "float8"),
  column("stream", "int4", 0),
  column("status", "text"),
  column("httpStatus", "int4"),
  column("error", "text"),
  column("attempts", "jsonb", []),
  column("sessionId", "text"),
  column("agentId", "text"),
  column("endUser", "text"),
  column("userId", "text"),
  column("teamId", "text"),
  column("requestBody", "jsonb"),
  column("responseBody", "jsonb"),
  column("startTime", "timestamptz"),
  column("endTime", "timestamptz"),
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

/**
 * A row PostgreSQL will take: caller-supplied strings (`user`, model names, bodies, upstream errors)
 * may hold NUL or lone surrogates, and one such row would fail its whole batch again and again. Every
 * text column is cut at 2000 characters; every jsonb column has such escapes replaced.
 */
export function storableRow(row: SpendRow): SpendRow {
  const out: Record<string, unknown> = { ...row };
  for (const { field, type } of SPEND_COPY_COLUMNS) {
    const v = out[field];
    if (type === "text") {
      if (typeof v === "string") out[field] = storableText(v, 2000);
    } else if (type === "jsonb" && v !== undefined && v !== null) {
      const text = JSON.stringify(v);
      const clean = storableJsonText(text);
      if (clean !== text) out[field] = JSON.parse(clean);
    }
  }
  return out as SpendRow;
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
