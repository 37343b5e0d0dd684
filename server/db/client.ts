import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "../../schema";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Raw SQL inside one transaction, whichever driver is underneath. */
export interface SqlTx {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Embedded only: runs `COPY ... FROM '/dev/blob'` with `data` as the input. Far cheaper per row than
   * parsing a parameter when the database runs in this process (see server/db/binary-copy.ts).
   */
  copyFrom?(statement: string, data: Uint8Array<ArrayBuffer>): Promise<void>;
}

export interface Database {
  db: Db;
  mode: "embedded" | "external";
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** Postgres LISTEN; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  /**
   * External only: one pooled connection held apart (session-level advisory locks live on a
   * connection, and are released by Postgres if this process dies). Embedded PGlite has one session.
   */
  reserve?: () => Promise<{ query: SqlTx["query"]; release(): void }>;
  close(): Promise<void>;
  /** Embedded only: a tarball of the data directory (backups, fast test fixtures). */
  dump?: () => Promise<Blob>;
}

export type DatabaseOptions = { url: string; max?: number } | { dataDir?: string; loadDataDir?: Blob | File; sharedBuffers?: string };

/** `postgres` when a URL is given, embedded PGlite otherwise. */
export async function createDatabase(opts: DatabaseOptions): Promise<Database> {
  return "url" in opts ? createPostgres(opts.url, opts.max) : createPglite(opts);
}

function createPostgres(url: string, max = 10): Database {
  const sql = postgres(url, { max, onnotice: () => {}, connection: { application_name: "lap" } });
  const db = drizzlePostgres({ client: sql, schema }) as unknown as Db;
  const query = async <T>(text: string, params: unknown[] = []) =>
    (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[];
  return {
    db,
    mode: "external",
    query,
    transaction: async (fn) =>
      (await sql.begin((tx) =>
        fn({ query: async (text, params = []) => (await tx.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as never }),
      )) as never,
    listen: async (channel, onPayload) => {
      const sub = await sql.listen(channel, onPayload);
      return () => sub.unlisten();
    },
    notify: async (channel, payload) => {
      await sql.notify(channel, payload);
    },
    reserve: async () => {
      const conn = await sql.reserve();
      return {
        query: async (text, params = []) => (await conn.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as never,
        release: () => conn.release(),
      };
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * Embedded PGlite's buffer cache. The WebAssembly Postgres initializes its whole shared memory at
 * start, so `shared_buffers` is resident from the first second: 128MB (Postgres' default, which
 * initdb writes into postgresql.conf) made LAP idle at ~310 MB; measured in bench/memory.
 */
export const PGLITE_SHARED_BUFFERS = "16MB";

async function createPglite(opts: { dataDir?: string; loadDataDir?: Blob | File; sharedBuffers?: string }): Promise<Database> {
  const pg = await PGlite.create({
    dataDir: opts.dataDir,
    loadDataDir: opts.loadDataDir,
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${opts.sharedBuffers ?? PGLITE_SHARED_BUFFERS}`],
  });
  const db = drizzlePglite({ client: pg, schema }) as unknown as Db;
  return {
    db,
    mode: "embedded",
    query: async (text, params) => (await pg.query(text, params)).rows as never,
    transaction: (fn) =>
      pg.transaction((tx) =>
        fn({
          query: async (text, params) => (await tx.query(text, params)).rows as never,
          copyFrom: async (statement, data) => {
            await tx.query(statement, [], { blob: new Blob([data]) });
          },
        }),
      ),
    listen: async (channel, onPayload) => pg.listen(channel, onPayload),
    notify: async (channel, payload) => {
      await pg.query("select pg_notify($1, $2)", [channel, payload]);
    },
    close: () => pg.close(),
    dump: () => pg.dumpDataDir("none"),
  };
}

export { schema };
