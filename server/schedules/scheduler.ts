/**
 * The scheduler loop (docs/schedules.md "How a slot fires exactly once"). Every replica runs it;
 * PostgreSQL decides who fires what:
 * - a due schedule row is taken with FOR UPDATE SKIP LOCKED, so replicas work on different rows;
 * - the slot is claimed by inserting its run under the unique (schedule_id, slot_at), and the
 *   run's session and turn are written in the same transaction, with next_run_at moved on: a
 *   crash before the commit leaves the slot due (the next tick fires it), after it leaves it done;
 * - after downtime only the latest due slot is considered: it runs once (catch_up) or is recorded
 *   as skipped. Never one run per missed slot.
 * Each tick also closes runs whose turn ended and starts runs that waited for them.
 */
import type { Clock } from "../automation/clock";
import type { Dispatched, TurnDispatcher } from "../automation/dispatch";
import type { Database, SqlTx } from "../db/client";
import type { Logger } from "../lib/logger";
import { CronSchedule } from "./cron";
import { admission, newRunId, startRunInTx, type ScheduleSqlRow } from "./runs";

/** A slot fired later than this after its time counts as missed (LAP was down or stalled). */
export const DEFAULT_MISSED_AFTER_MS = 60_000;
const BATCH = 50;

export interface SchedulerDeps {
  database: Database;
  dispatcher: TurnDispatcher;
  clock: Clock;
  log: Logger;
  missedAfterMs?: number;
  /** Tests: runs after a slot's claim row is written, inside its transaction (a throw rolls it back). */
  afterClaim?: (scheduleId: string, slotAt: Date) => Promise<void>;
}

export class Scheduler {
  constructor(private readonly deps: SchedulerDeps) {}

  /** One pass: close finished runs, fire due slots, start runs that were waiting. */
  async tick(): Promise<void> {
    await this.closeFinishedRuns();
    await this.fireDue();
    await this.startWaitingRuns();
  }

  private async fireDue() {
    const now = this.deps.clock.now();
    const due = await this.deps.database.query<{ id: string }>(
      "select id from schedules where status = 'active' and next_run_at <= $1 order by next_run_at limit $2",
      [now.toISOString(), BATCH],
    );
    for (const { id } of due) {
      await this.fireOne(id, now).catch((err) => this.deps.log.error({ err, schedule_id: id }, "schedule slot failed to fire"));
    }
  }

  private async fireOne(id: string, now: Date) {
    const started = await this.deps.database.transaction(async (tx): Promise<Dispatched | null> => {
      const [s] = await tx.query<ScheduleSqlRow>(
        "select * from schedules where id = $1 and status = 'active' and next_run_at <= $2 for update skip locked",
        [id, now.toISOString()],
      );
      if (!s) return null; // another replica has it, or it is no longer due
      const cron = new CronSchedule(s.cron, s.timezone);
      const due = new Date(s.next_run_at!);
      const latest = cron.latestAtOrBefore(now);
      const slot = latest && latest > due ? latest : due;
      await tx.query("update schedules set next_run_at = $2, updated_at = now() where id = $1", [
        s.id,
        cron.next(now)?.toISOString() ?? null,
      ]);
      const missed = now.getTime() - slot.getTime() > (this.deps.missedAfterMs ?? DEFAULT_MISSED_AFTER_MS);
      if (missed && !s.catch_up) {
        await tx.query(
          `insert into schedule_runs (id, schedule_id, slot_at, trigger, status, error, ended_at)
           values ($1, $2, $3, 'schedule', 'skipped', $4, $5) on conflict (schedule_id, slot_at) do nothing`,
          [
            newRunId(),
            s.id,
            slot.toISOString(),
            `missed: no LAP was running at ${slot.toISOString()} (catch_up is off)`,
            now.toISOString(),
          ],
        );
        return null;
      }
      const runId = newRunId();
      const [claimed] = await tx.query<{ id: string }>(
        `insert into schedule_runs (id, schedule_id, slot_at, trigger, status) values ($1, $2, $3, $4, 'pending')
         on conflict (schedule_id, slot_at) do nothing returning id`,
        [runId, s.id, slot.toISOString(), missed ? "catch_up" : "schedule"],
      );
      if (!claimed) return null; // fired already (by another replica, or before a restart)
      await this.deps.afterClaim?.(s.id, slot);
      return this.admitAndStart(tx, s, runId, now);
    });
    if (started) this.deps.dispatcher.announce(started);
  }

  /** Applies the concurrency policy to a claimed run and starts it when it may. */
  private async admitAndStart(tx: SqlTx, s: ScheduleSqlRow, runId: string, now: Date): Promise<Dispatched | null> {
    const verdict = await admission(tx, s, runId);
    if (verdict.kind === "wait") return null; // stays pending; startWaitingRuns picks it up
    if (verdict.kind === "skip") {
      await tx.query("update schedule_runs set status = 'skipped', error = $2, ended_at = $3 where id = $1", [
        runId,
        verdict.reason,
        now.toISOString(),
      ]);
      return null;
    }
    return startRunInTx(tx, this.deps.dispatcher, s, runId, now);
  }

  /** Runs whose turn ended take its outcome; runs whose session was deleted fail. */
  private async closeFinishedRuns() {
    const now = this.deps.clock.now();
    await this.deps.database.query(
      `update schedule_runs r set status = t.status, error = t.error, ended_at = coalesce(t.ended_at, $1)
         from session_turns t
        where r.status = 'started' and t.id = r.turn_id and t.status in ('completed', 'failed', 'interrupted')`,
      [now.toISOString()],
    );
    await this.deps.database.query(
      `update schedule_runs r set status = 'failed', error = 'the session was deleted before the run ended', ended_at = $1
        where r.status = 'started' and not exists (select 1 from session_turns t where t.id = r.turn_id)`,
      [now.toISOString()],
    );
  }

  /** Pending runs (concurrency "queue") start once nothing of their schedule is going any more. */
  private async startWaitingRuns() {
    const waiting = await this.deps.database.query<{ id: string; schedule_id: string }>(
      "select id, schedule_id from schedule_runs where status = 'pending' order by created_at limit $1",
      [BATCH],
    );
    for (const w of waiting) {
      const now = this.deps.clock.now();
      const started = await this.deps.database
        .transaction(async (tx): Promise<Dispatched | null> => {
          // Schedule row first, as fireOne does: the same lock order everywhere.
          const [s] = await tx.query<ScheduleSqlRow>("select * from schedules where id = $1 for update skip locked", [w.schedule_id]);
          if (!s) return null;
          const [run] = await tx.query<{ id: string }>("select id from schedule_runs where id = $1 and status = 'pending' for update", [
            w.id,
          ]);
          if (!run) return null;
          const verdict = await admission(tx, s, w.id);
          if (verdict.kind !== "start") return null;
          return startRunInTx(tx, this.deps.dispatcher, s, w.id, now);
        })
        .catch((err) => {
          this.deps.log.error({ err, schedule_id: w.schedule_id, run_id: w.id }, "waiting schedule run failed to start");
          return null;
        });
      if (started) this.deps.dispatcher.announce(started);
    }
  }
}
