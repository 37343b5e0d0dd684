import { readMigrationFiles } from "drizzle-orm/migrator";
import { fileURLToPath } from "node:url";
import type { Database } from "./client";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../drizzle", import.meta.url));
/** Arbitrary constant: every LAP process migrating the same database takes this lock. */
const MIGRATION_LOCK_ID = 7_331_001;

export interface MigrationStatus {
  applied: number;
  total: number;
  pending: number;
}

/**
 * Applies drizzle-kit's SQL migrations in one transaction under a transaction-scoped advisory lock,
 * so two processes starting at once never both migrate: the second waits, then finds nothing to do.
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<{ applied: string[] }> {
  const migrations = readMigrationFiles({ migrationsFolder: dir });
  return database.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
    await tx.query(
      `create table if not exists lap_migrations (
         hash text primary key,
         created_at bigint not null,
         applied_at timestamptz not null default now())`,
    );
    const done = new Set((await tx.query<{ hash: string }>("select hash from lap_migrations")).map((r) => r.hash));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.hash)) continue;
      for (const statement of m.sql) if (statement.trim()) await tx.query(statement);
      await tx.query("insert into lap_migrations (hash, created_at) values ($1, $2)", [m.hash, m.folderMillis]);
      applied.push(m.hash);
    }
    return { applied };
  });
}

export async function migrationStatus(database: Database, dir = MIGRATIONS_DIR): Promise<MigrationStatus> {
  const total = readMigrationFiles({ migrationsFolder: dir }).length;
  const rows = await database.query<{ n: number }>("select count(*)::int as n from lap_migrations").catch(() => [{ n: 0 }]);
  const applied = rows[0]?.n ?? 0;
  return { applied, total, pending: Math.max(0, total - applied) };
}
