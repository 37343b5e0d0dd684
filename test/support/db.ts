/**
 * A fresh, migrated database per test file, on the driver the run asks for:
 * LAP_TEST_DB=postgres uses the local PostgreSQL server (a new database each time, dropped at close);
 * anything else uses embedded PGlite restored from a migrated template built once per process.
 */
import { randomBytes } from "node:crypto";
import { createDatabase, type Database } from "../../server/db/client";
import { migrate } from "../../server/db/migrate";

export const TEST_DB_DRIVER = process.env.LAP_TEST_DB === "postgres" ? "postgres" : "pglite";
export const TEST_PG_ADMIN_URL = process.env.LAP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

let template: Promise<Blob> | undefined;

async function pgliteTemplate(): Promise<Blob> {
  const db = await createDatabase({});
  await migrate(db);
  const dump = await db.dump!();
  await db.close();
  return dump;
}

/** URL of a brand-new, empty database on the local server (for tests that start LAP as a child process). */
export async function freshPostgresUrl(prefix = "lap_t"): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = await createDatabase({ url: TEST_PG_ADMIN_URL, max: 1 });
  await admin.query(`create database ${name}`);
  await admin.close();
  const url = TEST_PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const a = await createDatabase({ url: TEST_PG_ADMIN_URL, max: 1 });
      await a.query(`drop database if exists ${name} with (force)`);
      await a.close();
    },
  };
}

export async function testDatabase(): Promise<Database> {
  if (TEST_DB_DRIVER === "postgres") {
    const fresh = await freshPostgresUrl();
    const db = await createDatabase({ url: fresh.url, max: 5 });
    await migrate(db);
    const close = db.close;
    db.close = async () => {
      await close();
      await fresh.drop();
    };
    return db;
  }
  template ??= pgliteTemplate();
  const db = await createDatabase({ loadDataDir: await template });
  return db;
}
