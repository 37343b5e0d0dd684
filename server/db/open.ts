import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/load";
import { createDatabase, type Database } from "./client";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Opens the configured database. Embedded PGlite has no locking of its own, so a pid file keeps a
 * second LAP from opening the same data directory and corrupting it.
 */
export async function openDatabase(config: Config): Promise<Database> {
  if (config.env.DATABASE_URL) return createDatabase({ url: config.env.DATABASE_URL });
  const lock = join(config.dataDir, "pgdata.pid");
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, "utf8"));
    if (pid && pid !== process.pid && alive(pid)) {
      throw new Error(
        `Another LAP (pid ${pid}) is using the embedded database in ${config.dataDir}. Stop it, or set LAP_DATA_DIR or DATABASE_URL.`,
      );
    }
  }
  writeFileSync(lock, String(process.pid));
  let database: Database;
  try {
    database = await createDatabase({ dataDir: join(config.dataDir, "pgdata"), sharedBuffers: config.env.LAP_PGLITE_SHARED_BUFFERS });
  } catch (err) {
    rmSync(lock, { force: true });
    throw err;
  }
  const close = database.close;
  database.close = async () => {
    await close();
    rmSync(lock, { force: true });
  };
  return database;
}
