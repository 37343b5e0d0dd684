import type { Database } from "../../db/client";

/** Advisory lock namespace for "who runs this session's turns" (first key of the two-int form). */
const TURN_LOCK_NAMESPACE = 7_331_002;

/**
 * One owner per session's turns, across replicas: a session-level Postgres advisory lock per
 * session, all held on one dedicated connection. If the process dies, Postgres drops the
 * connection and with it every lock, so another replica (or the restarted one) can take over.
 * Embedded PGlite is single-process (guarded by its pid file), so the in-process set suffices.
 */
export class SessionLocks {
  private held = new Set<string>();
  private conn?: Promise<{ query: (text: string, params?: unknown[]) => Promise<unknown[]>; release(): void }>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly database: Database) {}

  isHeld(sessionId: string) {
    return this.held.has(sessionId);
  }

  async tryAcquire(sessionId: string): Promise<boolean> {
    if (this.held.has(sessionId)) return false;
    this.held.add(sessionId);
    if (!this.database.reserve) return true;
    try {
      const rows = (await this.serial("select pg_try_advisory_lock($1, hashtext($2)) as ok", [TURN_LOCK_NAMESPACE, sessionId])) as Array<{
        ok: boolean;
      }>;
      if (rows[0]?.ok) return true;
    } catch {}
    this.held.delete(sessionId);
    return false;
  }

  async release(sessionId: string) {
    if (!this.held.delete(sessionId) || !this.database.reserve) return;
    await this.serial("select pg_advisory_unlock($1, hashtext($2))", [TURN_LOCK_NAMESPACE, sessionId]).catch(() => {});
  }

  async close() {
    this.held.clear();
    const conn = await this.conn?.catch(() => undefined);
    if (conn) {
      // Unlocks everything this connection holds before returning it to the pool.
      await conn.query("select pg_advisory_unlock_all()").catch(() => {});
      conn.release();
    }
    this.conn = undefined;
  }

  /** The dedicated connection runs one statement at a time. */
  private serial(text: string, params: unknown[]) {
    this.conn ??= this.database.reserve!();
    const run = this.queue.then(async () => (await this.conn!).query(text, params));
    this.queue = run.catch(() => {});
    return run;
  }
}
