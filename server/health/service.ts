import type { Database } from "../db/client";
import { migrationStatus, type MigrationStatus } from "../db/migrate";

export interface Readiness {
  ready: boolean;
  database: { mode: Database["mode"]; reachable: boolean; error?: string };
  migrations: MigrationStatus | null;
}

export async function checkReadiness(database: Database, timeoutMs = 2000): Promise<Readiness> {
  try {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref?.(),
    );
    await Promise.race([database.query("select 1"), timeout]);
    const migrations = await migrationStatus(database);
    return { ready: migrations.pending === 0, database: { mode: database.mode, reachable: true }, migrations };
  } catch (err) {
    return { ready: false, database: { mode: database.mode, reachable: false, error: (err as Error).message }, migrations: null };
  }
}
