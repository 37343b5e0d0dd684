/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4),
 * for bulk inserts into embedded PGlite: the server reads fixed-width numbers and timestamps as they are
 * instead of parsing text, which is most of the cost of an insert when Postgres runs as WebAssembly on
 * the request thread. The column types must match the table's exactly (binary COPY does not cast).
 */

export type CopyType = "text" | "bool" | "int4" | "float8" | "timestamptz" | "jsonb";
export interface CopyColumn<Row> {
  name: string;
  type: CopyType;
  /** The value to store; null or undefined stores NULL. */
  value(row: Row): unknown;
}

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // "PGCOPY\n\xff\r\n\0"
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const JSONB_VERSION = 1;
const encoder = new TextEncoder();

/** `COPY table (columns) FROM '/dev/blob' WITH (FORMAT binary)` for these columns. */
export function copyStatement<Row>(table: string, columns: CopyColumn<Row>[]): string {
  return `copy ${table} (${columns.map((c) => c.name).join(", ")}) from '/dev/blob' with (format binary)`;
}

/** A growable byte buffer with big-endian writers. */
class Out {
  bytes = new Uint8Array(16 * 1024);
  view = new DataView(this.bytes.buffer);
  at = 0;

  room(n: number) {
    if (this.at + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    next.set(this.bytes.subarray(0, this.at));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
}

function writeText(out: Out, text: string, prefix?: number) {
  const extra = prefix === undefined ? 0 : 1;
  out.room(4 + extra + text.length * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit
  const lengthAt = out.at;
  out.at += 4;
  if (prefix !== undefined) out.bytes[out.at++] = prefix;
  out.at += encoder.encodeInto(text, out.bytes.subarray(out.at)).written;
  out.view.setInt32(lengthAt, out.at - lengthAt - 4);
}

function writeValue(out: Out, type: CopyType, value: unknown) {
  if (value === null || value === undefined) {
    out.room(4);
    out.view.setInt32(out.at, -1);
    out.at += 4;
    return;
  }
  switch (type) {
    case "bool":
      out.room(5);
      out.view.setInt32(out.at, 1);
      out.bytes[out.at + 4] = value ? 1 : 0;
      out.at += 5;
      return;
    case "int4":
      out.room(8);
      out.view.setInt32(out.at, 4);
      out.view.setInt32(out.at + 4, Number(value));
      out.at += 8;
      return;
    case "float8":
      out.room(12);
      out.view.setInt32(out.at, 8);
      out.view.setFloat64(out.at + 4, Number(value));
      out.at += 12;
      return;
    case "timestamptz": {
      const ms = value instanceof Date ? value.getTime() : new Date(value as string | number).getTime();
      out.room(12);
      out.view.setInt32(out.at, 8);
      out.view.setBigInt64(out.at + 4, BigInt(Math.round((ms - PG_EPOCH_MS) * 1000))); // µs since 2000-01-01 UTC
      out.at += 12;
      return;
    }
    case "jsonb":
      writeText(out, JSON.stringify(value), JSONB_VERSION);
      return;
    case "text":
      writeText(out, String(value));
      return;
  }
}

/** The rows in binary COPY format: header, one tuple per row, trailer. */
export function encodeBinaryCopy<Row>(columns: CopyColumn<Row>[], rows: readonly Row[]): Uint8Array<ArrayBuffer> {
  const out = new Out();
  out.room(19);
  out.bytes.set(SIGNATURE, 0);
  out.view.setInt32(11, 0); // flags
  out.view.setInt32(15, 0); // header extension length
  out.at = 19;
  for (const row of rows) {
    out.room(2);
    out.view.setInt16(out.at, columns.length);
    out.at += 2;
    for (const c of columns) writeValue(out, c.type, c.value(row));
  }
  out.room(2);
  out.view.setInt16(out.at, -1);
  out.at += 2;
  return out.bytes.subarray(0, out.at);
}
