import type { Database, SqlTx } from "../db/client";

type Query = Pick<SqlTx, "query">;

/** How a turn ended, as far as the session's row is concerned (worker/run-turn.ts TurnOutcome). */
export interface TurnEnd {
  status: "completed" | "interrupted" | "failed";
  error?: string;
  /** The runtime lost the session: the session cannot continue. */
  fatal?: boolean;
}

/**
 * The one writer of `sessions.status` outside the sessions service's own transactions: the turn worker
 * and, through the port server/app.ts hands them, the sandboxes (docs/development.md "Layers"). A stopped
 * session stays stopped whatever comes after.
 */
export class SessionStatusWriter {
  constructor(private readonly database: Database) {}

  /**
   * A turn's end, inside the transaction that stores its terminal event (events/store.ts `append` with
   * `alsoInTx`), so a client that sees `session.status_idle` reads the session idle. A turn that ended
   * asking a person (its approval rows were written with its events) leaves the session awaiting that
   * decision rather than plainly idle.
   */
  async turnEndedInTx(tx: Query, sessionId: string, turnId: string, end: TurnEnd): Promise<void> {
    await tx.query("update session_turns set status = $2, error = $3, ended_at = now() where id = $1 and status = 'running'", [
      turnId,
      end.status,
      end.error ?? null,
    ]);
    await tx.query(
      `update sessions set error = $2, updated_at = now(), status = case when $3::boolean then 'error'
         when exists (select 1 from approvals a where a.session_id = $1 and a.status = 'pending') then 'awaiting_approval' else 'idle' end
       where id = $1 and status <> 'stopped'`,
      [sessionId, end.error ?? null, end.fatal === true],
    );
  }

  /** `turnEndedInTx` in its own transaction (a turn whose end stored no event). */
  turnEnded(sessionId: string, turnId: string, end: TurnEnd): Promise<void> {
    return this.database.transaction((tx) => this.turnEndedInTx(tx, sessionId, turnId, end));
  }

  /**
   * A session's provisioning ended (worker/provision.ts), in the transaction of its `session.ready`
   * (error null: idle) or `session.error` (error: the message; status `error`). Whether it applied: a
   * session stopped meanwhile is no longer `creating`.
   */
  async provisionedInTx(tx: Query, sessionId: string, error: string | null): Promise<boolean> {
    const rows = await tx.query(
      "update sessions set status = $2, error = coalesce($3, error), updated_at = now() where id = $1 and status = 'creating' returning id",
      [sessionId, error === null ? "idle" : "error", error],
    );
    return rows.length > 0;
  }

  async set(sessionId: string, status: "running" | "recovering"): Promise<void> {
    await this.database.query("update sessions set status = $2, updated_at = now() where id = $1 and status <> 'stopped'", [
      sessionId,
      status,
    ]);
  }

  /**
   * An idle session (or one awaiting a decision) whose sandbox is being replaced: `recovering` until
   * `recovered` puts back what it was. Null: the session was busy or gone, and nothing changed.
   */
  async recovering(sessionId: string): Promise<string | null> {
    const [marked] = await this.database.query<{ prior: string }>(
      `update sessions s set status = 'recovering', updated_at = now() from (select id, status as prior from sessions where id = $1 for update) p
       where s.id = p.id and p.prior in ('idle', 'awaiting_approval') returning p.prior`,
      [sessionId],
    );
    return marked?.prior ?? null;
  }

  async recovered(sessionId: string, prior: string): Promise<void> {
    await this.database.query("update sessions set status = $2, updated_at = now() where id = $1 and status = 'recovering'", [
      sessionId,
      prior,
    ]);
  }
}
