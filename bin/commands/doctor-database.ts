/**
 * `lap doctor`'s database check, for real: the database answers `select 1` and says how many
 * migrations are applied. Embedded PGlite can be opened by one process only, and a second opener could
 * corrupt it: while a LAP holds it (pgdata.pid names a live process), LAP's readiness endpoint is asked
 * instead; otherwise doctor opens it itself, under the same pid lock LAP takes (server/db/open.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../server/config/load";
import { createDatabase, type Database } from "../../server/db/client";
import { migrationStatus } from "../../server/db/migrate";
import { openDatabase } from "../../server/db/open";

export interface DatabaseCheck {
  ok: boolean;
  detail: string;
  fix?: string;
}

const TIMEOUT_MS = 15_000;

function withTimeout<T>(what: Promise<T>, label: string): Promise<T> {
  return Promise.race([
    what,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${label}: no answer in ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS).unref?.(),
    ),
  ]);
}

async function probe(database: Database): Promise<string> {
  await withTimeout(database.query("select 1"), "select 1");
  const m = await withTimeout(migrationStatus(database), "migration status");
  return `${m.applied}/${m.total} migrations applied${m.pending ? ` (${m.pending} pending: LAP applies them at start)` : ""}`;
}

const livePid = (file: string): number | null => {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8"));
  if (!pid || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
};

/** Where a local LAP answers: LAP_URL, else its PORT on loopback (or on HOST when that is one address). */
export function localLapUrl(config: Config, env: Record<string, string | undefined>): string {
  if (env.LAP_URL) return env.LAP_URL.replace(/\/$/, "");
  const host = ["0.0.0.0", "::", ""].includes(config.env.HOST) ? "127.0.0.1" : config.env.HOST;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.env.PORT}`;
}

export async function checkDatabase(config: Config, env: Record<string, string | undefined>): Promise<DatabaseCheck> {
  if (config.env.DATABASE_URL) {
    const fix = "Check DATABASE_URL: the server must accept connections (psql \"$DATABASE_URL\" -c 'select 1')";
    let db: Database | undefined;
    try {
      db = await createDatabase({ url: config.env.DATABASE_URL, max: 1 });
      const [row] = await withTimeout(db.query<{ v: string }>("select version() as v"), "select version()");
      return { ok: true, detail: `external: ${String(row?.v).split(",")[0]}, ${await probe(db)}` };
    } catch (e) {
      return { ok: false, detail: `external: ${(e as Error).message}`, fix };
    } finally {
      await db?.close().catch(() => {});
    }
  }

  const dir = join(config.dataDir, "pgdata");
  const holder = livePid(join(config.dataDir, "pgdata.pid"));
  if (holder) {
    const url = `${localLapUrl(config, env)}/health/readiness`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = (await res.json()) as {
        ready?: boolean;
        migrations?: { applied: number; total: number } | null;
        database?: { error?: string };
      };
      if (res.ok && body.ready)
        return {
          ok: true,
          detail: `embedded PGlite in ${dir}, open in LAP (pid ${holder}): ready, ${body.migrations?.applied}/${body.migrations?.total} migrations applied`,
        };
      return {
        ok: false,
        detail: `embedded PGlite in ${dir}, open in LAP (pid ${holder}): not ready (${body.database?.error ?? `HTTP ${res.status}`})`,
        fix: "See LAP's log; `lap migrate --status` once it is stopped",
      };
    } catch (e) {
      return {
        ok: false,
        detail: `embedded PGlite in ${dir} is held by pid ${holder}, whose readiness endpoint ${url} did not answer (${(e as Error).message})`,
        fix: `If that process is LAP, set LAP_URL (or PORT) to where it listens; if it is not, stop it or remove ${join(config.dataDir, "pgdata.pid")}`,
      };
    }
  }
  if (!existsSync(dir))
    return { ok: true, detail: `embedded PGlite: none yet, LAP creates it in ${dir} at first start (set DATABASE_URL for PostgreSQL)` };

  let database: Database | undefined;
  try {
    database = await withTimeout(openDatabase(config), "opening it");
    return { ok: true, detail: `embedded PGlite in ${dir}: ${await probe(database)}` };
  } catch (e) {
    return {
      ok: false,
      detail: `embedded PGlite in ${dir} does not open: ${(e as Error).message}`,
      fix: `Restore ${dir} from a backup, or move it away to start with an empty database (LAP creates a new one)`,
    };
  } finally {
    await database?.close().catch(() => {});
  }
}
