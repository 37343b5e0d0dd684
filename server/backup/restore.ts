/**
 * `lap restore` (docs/operations.md "Backup and restore"): checks first, then replaces every LAP table in
 * one transaction. Refused, with nothing changed, when the backup's schema version (its migrations)
 * is not this LAP's, when its secrets were sealed with another ENCRYPTION_KEY, or when the target
 * already holds agents, sessions or keys and `replace` was not asked for.
 */
import { readMigrationFiles } from "drizzle-orm/migrator";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { Database, SqlTx } from "../db/client";
import { migrate, MIGRATIONS_DIR } from "../db/migrate";
import { createSecretBox } from "../lib/crypto";
import { BACKUP_FORMAT, KEY_CHECK_PLAIN, tablesInOrder, type BackupHeader, type Progress } from "./dump";

const CHUNK_ROWS = 500;
/** Tables whose rows make a LAP "not fresh" (a restore would silently drop them). */
const CONTENT_TABLES = ["agents", "sessions", "api_keys", "vault_secrets", "mcp_servers", "gateway_models", "users"];

/** A restore refused before it changed anything; `message` says what to do. */
export class RestoreRefused extends Error {}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The backup's lines one at a time, from a gzip'd stream (a file, or LAP's backup route's body). */
export async function* backupLines(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  const lines = createInterface({ input: input.pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) yield line;
}

function readHeader(line: string | undefined): BackupHeader {
  let header: Partial<BackupHeader> | undefined;
  try {
    header = line?.startsWith("#") ? (JSON.parse(line.slice(1)) as Partial<BackupHeader>) : undefined;
  } catch {
    header = undefined;
  }
  if (!header || typeof header.lap_backup !== "number" || !Array.isArray(header.migrations))
    throw new RestoreRefused("This is not a LAP backup (made by `lap backup`); nothing was changed.");
  if (header.lap_backup > BACKUP_FORMAT)
    throw new RestoreRefused(
      `This backup's format (${header.lap_backup}) is newer than this LAP reads (${BACKUP_FORMAT}): restore it with the LAP version that made it. Nothing was changed.`,
    );
  return header as BackupHeader;
}

/** Refuses a backup of another schema version, naming both and the way through. */
function checkSchema(header: BackupHeader, applied: string[]) {
  const same = header.migrations.length === applied.length && header.migrations.every((m, i) => m === applied[i]);
  if (same) return;
  const newer = header.migrations.length > applied.length && applied.every((m, i) => header.migrations[i] === m);
  const how = newer
    ? "It was made by a newer LAP: restore it with that version (or a newer one) of LAP."
    : "Restore it with the LAP version that made it into a fresh LAP, then start this version on that database: pending migrations apply at start-up.";
  throw new RestoreRefused(
    `This backup is of schema version ${header.migrations.length} (${header.migrations.length} migrations); this LAP's database is at ${applied.length}. ${how} Nothing was changed.`,
  );
}

function checkKey(header: BackupHeader, encryptionKey: Buffer) {
  const box = createSecretBox(encryptionKey);
  try {
    if (box.decrypt(header.key_check) === KEY_CHECK_PLAIN) return;
  } catch {
    // fall through: another key
  }
  throw new RestoreRefused(
    `This backup's secrets (provider keys, vault values, tokens) are sealed with the ENCRYPTION_KEY whose id is ${header.key_id}; this LAP's ENCRYPTION_KEY has id ${box.keyId}. ` +
      "Set ENCRYPTION_KEY to the key the backed-up LAP used (in development: the encryption.key file in its LAP_DATA_DIR) and run restore again. Nothing was changed.",
  );
}

async function appliedMigrations(tx: Pick<SqlTx, "query">): Promise<string[]> {
  return (await tx.query<{ hash: string }>("select hash from lap_migrations order by created_at, hash")).map((m) => m.hash);
}

/**
 * Restores `lines` (from `backupLines`) into `database`. A database never migrated is migrated to this
 * LAP's schema first; then the backup must be of exactly that schema.
 */
export async function restoreDatabase(
  database: Database,
  lines: AsyncIterable<string>,
  opts: { encryptionKey: Buffer; replace?: boolean; onProgress?: Progress },
): Promise<{ tables: Record<string, number> }> {
  const it = lines[Symbol.asyncIterator]();
  const header = readHeader((await it.next()).value as string | undefined);
  checkKey(header, opts.encryptionKey);
  const known = readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR }).map((m) => m.hash);
  if (
    (
      await database.query<{ n: number }>(
        "select count(*)::int as n from pg_tables where schemaname = 'public' and tablename = 'lap_migrations'",
      )
    )[0]?.n === 0
  ) {
    // A database no LAP has started on: give it this LAP's schema, then compare.
    if (header.migrations.length === known.length && header.migrations.every((m, i) => m === known[i])) await migrate(database);
  }
  checkSchema(header, await appliedMigrations(database).catch(() => []));
  if (!opts.replace) {
    const held: string[] = [];
    for (const t of CONTENT_TABLES) {
      const [{ n }] = (await database.query<{ n: number }>(`select count(*)::int as n from ${quote(t)}`)) as [{ n: number }];
      if (n > 0) held.push(`${n} ${t.replace("_", " ")}`);
    }
    if (held.length)
      throw new RestoreRefused(
        `This LAP's database is not empty (${held.join(", ")}). Restore replaces everything in it: run again with --replace to do so, or restore into a fresh LAP. Nothing was changed.`,
      );
  }

  return database.transaction(async (tx) => {
    const tables = await tablesInOrder(tx);
    const missing = header.tables.filter((t) => !tables.includes(t));
    if (missing.length) throw new RestoreRefused(`This backup has tables this LAP does not (${missing.join(", ")}); nothing was changed.`);
    if (tables.length) await tx.query(`truncate table ${tables.map(quote).join(", ")} restart identity cascade`);
    const counts: Record<string, number> = {};
    let table: string | null = null;
    let expected = 0;
    let chunk: string[] = [];
    const flush = async () => {
      if (!table || chunk.length === 0) return;
      await tx.query(`insert into ${quote(table)} select * from json_populate_recordset(null::${quote(table)}, $1::json)`, [
        `[${chunk.join(",")}]`,
      ]);
      counts[table] = (counts[table] ?? 0) + chunk.length;
      opts.onProgress?.(table, counts[table]!, expected);
      chunk = [];
    };
    let ended = false;
    for (let next = await it.next(); !next.done; next = await it.next()) {
      const line = next.value as string;
      if (!line) continue;
      if (line.startsWith("#")) {
        await flush();
        const control = JSON.parse(line.slice(1)) as { table?: string; rows?: number; end?: boolean };
        if (control.end) {
          ended = true;
          break;
        }
        table = control.table ?? null;
        expected = control.rows ?? 0;
        counts[table!] = 0;
        if (expected === 0) opts.onProgress?.(table!, 0, 0);
        continue;
      }
      chunk.push(line);
      if (chunk.length >= CHUNK_ROWS) await flush();
    }
    await flush();
    if (!ended) throw new RestoreRefused("The backup file is cut short (no end marker): it was not restored; nothing was changed.");
    // Serial columns continue after the restored rows.
    const serials = await tx.query<{ tbl: string; col: string; seq: string }>(
      `select c.table_name as tbl, c.column_name as col, pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) as seq
       from information_schema.columns c where c.table_schema = 'public' and c.column_default like 'nextval(%'`,
    );
    for (const s of serials) {
      if (s.seq) await tx.query(`select setval($1, coalesce((select max(${quote(s.col)}) from ${quote(s.tbl)}), 0) + 1, false)`, [s.seq]);
    }
    // The restore itself is the first thing the restored trail records.
    await tx.query(
      "insert into audit_log (actor_kind, actor_label, action, object_type, detail) values ('system', 'lap restore', 'lap.restore', 'database', $1::jsonb)",
      [JSON.stringify({ backup_created_at: header.created_at, tables: counts })],
    );
    return { tables: counts };
  });
}
