/**
 * `lap backup` (docs/operations.md "Backup and restore"): a logical dump of every LAP table through the
 * database driver, the same for PostgreSQL and embedded PGlite, taken in one read-only
 * repeatable-read transaction so it is one consistent snapshot while LAP keeps running.
 *
 * The format is gzip'd lines: control lines start with `#` (the header, one per table, the end), every
 * other line is one row as PostgreSQL's own `row_to_json` text. Rows are never parsed in JavaScript
 * (bigint and numeric values keep every digit); restore hands them back to `json_populate_recordset`.
 * Sealed secrets stay sealed: the header carries a check value sealed with the ENCRYPTION_KEY, so a
 * restore with another key is refused before it changes anything.
 */
import type { Database, SqlTx } from "../db/client";
import { createSecretBox } from "../lib/crypto";

export const BACKUP_FORMAT = 1;
/** Sealed into the header; a restore opens it with its own ENCRYPTION_KEY to prove the key matches. */
export const KEY_CHECK_PLAIN = "lap-backup-key-check";
const PAGE_ROWS = 1_000;

export interface BackupHeader {
  lap_backup: number;
  created_at: string;
  /** The migrations applied, in order (lap_migrations hashes): the schema version. */
  migrations: string[];
  database: "embedded" | "external";
  key_id: string;
  key_check: string;
  tables: string[];
}

export type Progress = (table: string, done: number, total: number) => void;

/** LAP's tables in an order where each comes after the tables it references (restore inserts in this order). */
export async function tablesInOrder(tx: Pick<SqlTx, "query">): Promise<string[]> {
  const tables = (
    await tx.query<{ name: string }>(
      "select tablename as name from pg_tables where schemaname = 'public' and tablename <> 'lap_migrations' order by 1",
    )
  ).map((t) => t.name);
  const deps = await tx.query<{ child: string; parent: string }>(
    `select c.relname as child, p.relname as parent from pg_constraint k
       join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
       join pg_namespace n on n.oid = c.relnamespace
     where k.contype = 'f' and n.nspname = 'public' and c.relname <> p.relname`,
  );
  const parents = new Map(tables.map((t) => [t, new Set(deps.filter((d) => d.child === t).map((d) => d.parent))]));
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const next = tables.filter((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p) || !parents.has(p)));
    if (next.length === 0) throw new Error(`tables reference each other in a cycle: ${tables.filter((t) => !placed.has(t)).join(", ")}`);
    for (const t of next) {
      ordered.push(t);
      placed.add(t);
    }
  }
  return ordered;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The columns a table's rows are ordered by: its primary key (every LAP table has one), else all. */
async function orderOf(tx: Pick<SqlTx, "query">, table: string): Promise<string> {
  const pk = await tx.query<{ name: string }>(
    `select a.attname as name from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = $1::regclass and i.indisprimary order by array_position(i.indkey, a.attnum)`,
    [quote(table)],
  );
  return pk.length ? pk.map((c) => quote(c.name)).join(", ") : "t::text";
}

/**
 * The dump's lines, in order. Runs in one transaction: a snapshot of the whole database, while writers
 * go on (PostgreSQL) or wait for it (embedded PGlite, one connection).
 */
export async function dumpDatabase(
  database: Database,
  opts: { encryptionKey: Buffer; write: (line: string) => Promise<void> | void; onProgress?: Progress },
): Promise<{ tables: Record<string, number> }> {
  const box = createSecretBox(opts.encryptionKey);
  return database.transaction(async (tx) => {
    await tx.query("set transaction isolation level repeatable read, read only");
    const migrations = (await tx.query<{ hash: string }>("select hash from lap_migrations order by created_at, hash")).map((m) => m.hash);
    const tables = await tablesInOrder(tx);
    const header: BackupHeader = {
      lap_backup: BACKUP_FORMAT,
      created_at: new Date().toISOString(),
      migrations,
      database: database.mode,
      key_id: box.keyId,
      key_check: box.encrypt(KEY_CHECK_PLAIN),
      tables,
    };
    await opts.write(`#${JSON.stringify(header)}`);
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const [{ n }] = (await tx.query<{ n: number }>(`select count(*)::int as n from ${quote(table)}`)) as [{ n: number }];
      await opts.write(`#${JSON.stringify({ table, rows: n })}`);
      const order = await orderOf(tx, table);
      let done = 0;
      while (done < n) {
        const page = await tx.query<{ j: string }>(
          `select row_to_json(t)::text as j from ${quote(table)} t order by ${order} limit ${PAGE_ROWS} offset ${done}`,
        );
        if (page.length === 0) break;
        for (const r of page) await opts.write(r.j);
        done += page.length;
        opts.onProgress?.(table, done, n);
      }
      if (n === 0) opts.onProgress?.(table, 0, 0);
      counts[table] = done;
    }
    await opts.write(`#${JSON.stringify({ end: true, tables: counts })}`);
    return { tables: counts };
  });
}
