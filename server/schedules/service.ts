import { and, desc, eq, type SQL } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { agents, schedules, type ScheduleRow } from "../../schema";
import type { Principal } from "../auth/model";
import type { Clock } from "../automation/clock";
import type { Dispatched, TurnDispatcher } from "../automation/dispatch";
import { agentTeamFor, assertAccess, ownerColumns, teamFilter } from "../automation/owner";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { conflict, notFound } from "../lib/errors";
import { canonicalTimezone, CronSchedule } from "./cron";
import {
  createScheduleBody,
  updateScheduleBody,
  type CreateScheduleInput,
  type RunView,
  type ScheduleView,
  type UpdateScheduleInput,
} from "./model";
import { admission, newRunId, startRunInTx, type ScheduleSqlRow } from "./runs";

export interface ScheduleServiceDeps {
  database: Database;
  dispatcher: TurnDispatcher;
  clock: Clock;
  /** The audit trail (server/audit). */
  audit?: AuditPort;
}

const NEXT_RUNS = 5;

interface RunSqlRow {
  id: string;
  schedule_id: string;
  trigger: RunView["trigger"];
  slot_at: Date | string | null;
  status: string;
  turn_status: string | null;
  session_id: string | null;
  turn_id: string | null;
  error: string | null;
  cost: number | string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  ended_at: Date | string | null;
}

/**
 * Schedules as the API sees them: CRUD scoped to the caller (docs/schedules.md "Who may do what"),
 * pause/resume, run now, the next slots and the run history with each run's cost.
 */
export class ScheduleService {
  constructor(private readonly deps: ScheduleServiceDeps) {}

  private get db() {
    return this.deps.database.db;
  }

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  /** The schedules a caller's lists show (its teams), optionally just one. */
  private visible(principal: Principal, id?: string): SQL | undefined {
    const conds: SQL[] = [];
    if (id) conds.push(eq(schedules.id, id));
    const team = teamFilter(principal, schedules.teamId);
    if (team) conds.push(team);
    return conds.length ? and(...conds) : undefined;
  }

  /** The schedule, if the caller may `action` it: another team's is 404, someone else's (not a team admin) 403 to change. */
  private async row(principal: Principal, id: string, action: "read" | "act"): Promise<ScheduleRow> {
    const [row] = await this.db.select().from(schedules).where(eq(schedules.id, id));
    if (!row) throw notFound("Schedule");
    assertAccess(principal, row, action, "Schedule");
    return row;
  }

  /** The agent's team, if the caller may start its sessions (400 agent_id otherwise). */
  private agentTeam(principal: Principal, agentId: string) {
    return agentTeamFor((text, params) => this.deps.database.query(text, params), principal, agentId);
  }

  async create(principal: Principal, input: CreateScheduleInput): Promise<ScheduleView> {
    const p = createScheduleBody.parse(input);
    p.timezone = canonicalTimezone(p.timezone)!;
    const teamId = await this.agentTeam(principal, p.agent_id);
    const id = `sch_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
    await audited(
      this.db,
      this.audit,
      (tx) =>
        tx
          .insert(schedules)
          .values({
            id,
            name: p.name,
            agentId: p.agent_id,
            cron: p.cron,
            timezone: p.timezone,
            prompt: p.prompt,
            sessionMode: p.session_mode,
            concurrency: p.concurrency,
            catchUp: p.catch_up,
            nextRunAt: new CronSchedule(p.cron, p.timezone).next(this.deps.clock.now()),
            teamId,
            ...ownerColumns(principal),
            createdBy: principal.label,
          })
          .returning(),
      ([r]) => ({ actor: principal, action: "schedule.create", objectType: "schedule", objectId: id, teamId, after: r }),
    );
    return this.get(principal, id);
  }

  async update(principal: Principal, id: string, input: UpdateScheduleInput): Promise<ScheduleView> {
    const current = await this.row(principal, id, "act");
    const p = updateScheduleBody.parse(input);
    if (p.timezone !== undefined) p.timezone = canonicalTimezone(p.timezone)!;
    const teamId = p.agent_id !== undefined ? await this.agentTeam(principal, p.agent_id) : undefined;
    const set: Partial<typeof schedules.$inferInsert> = { updatedAt: new Date() };
    if (p.name !== undefined) set.name = p.name;
    if (p.agent_id !== undefined) set.agentId = p.agent_id;
    if (teamId !== undefined) set.teamId = teamId;
    if (p.prompt !== undefined) set.prompt = p.prompt;
    if (p.session_mode !== undefined) set.sessionMode = p.session_mode;
    if (p.concurrency !== undefined) set.concurrency = p.concurrency;
    if (p.catch_up !== undefined) set.catchUp = p.catch_up;
    // Only a changed rhythm moves next_run_at (saving the form unchanged must not drop a slot that is due).
    if ((p.cron !== undefined && p.cron !== current.cron) || (p.timezone !== undefined && p.timezone !== current.timezone)) {
      set.cron = p.cron ?? current.cron;
      set.timezone = p.timezone ?? current.timezone;
      // A new rhythm starts from now: slots of the old one are not owed.
      set.nextRunAt = new CronSchedule(set.cron, set.timezone).next(this.deps.clock.now());
    }
    await audited(
      this.db,
      this.audit,
      (tx) => tx.update(schedules).set(set).where(eq(schedules.id, id)).returning(),
      ([r]) => ({
        actor: principal,
        action: "schedule.update",
        objectType: "schedule",
        objectId: id,
        teamId: r?.teamId ?? current.teamId,
        before: current,
        after: r,
      }),
    );
    return this.get(principal, id);
  }

  async remove(principal: Principal, id: string): Promise<ScheduleView> {
    const current = await this.row(principal, id, "act");
    const view = await this.get(principal, id);
    await audited(
      this.db,
      this.audit,
      (tx) => tx.delete(schedules).where(eq(schedules.id, id)),
      () => ({
        actor: principal,
        action: "schedule.delete",
        objectType: "schedule",
        objectId: id,
        teamId: current.teamId,
        before: current,
        after: null,
      }),
    );
    return view;
  }

  /** Paused: no slot fires and a run waiting for its turn is dropped. Resumed: slots missed meanwhile are not owed. */
  async setStatus(principal: Principal, id: string, status: "active" | "paused"): Promise<ScheduleView> {
    const current = await this.row(principal, id, "act");
    const now = this.deps.clock.now();
    if (status === "paused") {
      await this.deps.database.transaction(async (tx) => {
        await tx.query("update schedules set status = 'paused', updated_at = now() where id = $1", [id]);
        await tx.query(
          "update schedule_runs set status = 'skipped', error = 'the schedule was paused', ended_at = $2 where schedule_id = $1 and status = 'pending'",
          [id, now.toISOString()],
        );
        await this.audit.record(tx, {
          actor: principal,
          action: "schedule.pause",
          objectType: "schedule",
          objectId: id,
          teamId: current.teamId,
          before: { status: current.status },
          after: { status: "paused" },
        });
      });
    } else if (current.status === "paused") {
      const next = new CronSchedule(current.cron, current.timezone).next(now);
      await audited(
        this.db,
        this.audit,
        (tx) => tx.update(schedules).set({ status: "active", nextRunAt: next, updatedAt: new Date() }).where(eq(schedules.id, id)),
        () => ({
          actor: principal,
          action: "schedule.resume",
          objectType: "schedule",
          objectId: id,
          teamId: current.teamId,
          before: { status: "paused" },
          after: { status: "active" },
        }),
      );
    }
    return this.get(principal, id);
  }

  /**
   * "Run now": a manual run under the schedule's concurrency policy (a 409 when it would be
   * skipped, and nothing is recorded). Paused schedules may be run by hand.
   */
  async runNow(principal: Principal, id: string): Promise<RunView> {
    const current = await this.row(principal, id, "act");
    const now = this.deps.clock.now();
    const runId = newRunId();
    const started = await this.deps.database.transaction(async (tx): Promise<Dispatched | null> => {
      const [s] = await tx.query<ScheduleSqlRow>("select * from schedules where id = $1 for update", [id]);
      if (!s) throw notFound("Schedule");
      const verdict = await admission(tx, s, null);
      if (verdict.kind === "skip") throw conflict(`Not started: ${verdict.reason} (concurrency: ${s.concurrency})`);
      await tx.query("insert into schedule_runs (id, schedule_id, slot_at, trigger, status) values ($1, $2, null, 'manual', 'pending')", [
        runId,
        id,
      ]);
      await this.audit.record(tx, {
        actor: principal,
        action: "schedule.run",
        objectType: "schedule",
        objectId: id,
        teamId: current.teamId,
        detail: { run_id: runId },
      });
      return verdict.kind === "start" ? startRunInTx(tx, this.deps.dispatcher, s, runId, now) : null;
    });
    if (started) this.deps.dispatcher.announce(started);
    const [run] = await this.runRows(id, { runId });
    return runView(run!);
  }

  async get(principal: Principal, id: string): Promise<ScheduleView> {
    await this.row(principal, id, "read");
    const [view] = await this.views(eq(schedules.id, id));
    if (!view) throw notFound("Schedule");
    return view;
  }

  async list(principal: Principal): Promise<ScheduleView[]> {
    return this.views(this.visible(principal));
  }

  /** The next slots of an expression, for the form's preview (no schedule needed). */
  preview(cron: string, zone: string, count: number): { timezone: string; next_runs: string[] } {
    const timezone = canonicalTimezone(zone)!;
    return { timezone, next_runs: new CronSchedule(cron, timezone).nextRuns(count, this.deps.clock.now()).map((d) => d.toISOString()) };
  }

  async runs(
    principal: Principal,
    id: string,
    opts: { limit: number; cursor?: string },
  ): Promise<{ data: RunView[]; next_cursor: string | null }> {
    await this.row(principal, id, "read");
    const rows = await this.runRows(id, { limit: opts.limit + 1, after: opts.cursor ? decodeCursor(opts.cursor) : undefined });
    const page = rows.slice(0, opts.limit);
    return { data: page.map(runView), next_cursor: rows.length > opts.limit && page.length ? encodeCursor(page.at(-1)!.id) : null };
  }

  private async views(where: SQL | undefined): Promise<ScheduleView[]> {
    const rows = await this.db
      .select({ s: schedules, agentName: agents.name })
      .from(schedules)
      .leftJoin(agents, eq(agents.id, schedules.agentId))
      .where(where)
      .orderBy(desc(schedules.createdAt), desc(schedules.id));
    if (!rows.length) return [];
    const last = await this.lastRuns(rows.map((r) => r.s.id));
    const now = this.deps.clock.now();
    return rows.map(({ s, agentName }) => ({
      id: s.id,
      name: s.name,
      agent_id: s.agentId,
      agent_name: agentName,
      cron: s.cron,
      timezone: s.timezone,
      prompt: s.prompt,
      session_mode: s.sessionMode,
      session_id: s.sessionId,
      concurrency: s.concurrency,
      catch_up: s.catchUp,
      status: s.status,
      next_run_at: s.status === "active" ? (s.nextRunAt?.toISOString() ?? null) : null,
      next_runs: new CronSchedule(s.cron, s.timezone).nextRuns(NEXT_RUNS, now).map((d) => d.toISOString()),
      last_run_at: s.lastRunAt?.toISOString() ?? null,
      last_run: last.get(s.id) ?? null,
      created_by: s.createdBy,
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    }));
  }

  private async lastRuns(ids: string[]): Promise<Map<string, RunView>> {
    const rows = await this.deps.database.query<RunSqlRow>(
      `select distinct on (r.schedule_id) ${RUN_COLUMNS}
         from schedule_runs r left join session_turns t on t.id = r.turn_id
        where r.schedule_id = any($1::text[])
        order by r.schedule_id, r.created_at desc, r.id desc`,
      [ids],
    );
    return new Map(rows.map((r) => [r.schedule_id, runView(r)]));
  }

  /** Newest first; keyset-paginated on (created_at, id) compared in SQL (microseconds stay exact). */
  private runRows(scheduleId: string, opts: { limit?: number; after?: string; runId?: string }): Promise<RunSqlRow[]> {
    const params: unknown[] = [scheduleId];
    let where = "r.schedule_id = $1";
    if (opts.runId) {
      params.push(opts.runId);
      where += ` and r.id = $${params.length}`;
    }
    if (opts.after) {
      params.push(opts.after);
      where += ` and (r.created_at, r.id) < (select r2.created_at, r2.id from schedule_runs r2 where r2.id = $${params.length})`;
    }
    params.push(opts.limit ?? 1);
    return this.deps.database.query<RunSqlRow>(
      `select ${RUN_COLUMNS} from schedule_runs r left join session_turns t on t.id = r.turn_id
        where ${where} order by r.created_at desc, r.id desc limit $${params.length}`,
      params,
    );
  }
}

/**
 * A run's cost is the gateway spend of its session from the run's start to its end (a session a
 * "continue" schedule shares is split by time). Spend rows are written in batches (about half a
 * second late), so a run that just ended may still grow by its last call.
 */
const RUN_COLUMNS = `r.id, r.schedule_id, r.trigger, r.slot_at, r.status, t.status as turn_status, r.session_id, r.turn_id,
  coalesce(r.error, t.error) as error, r.created_at, r.started_at, coalesce(r.ended_at, t.ended_at) as ended_at,
  (select coalesce(sum(g.spend), 0) from gateway_spend_logs g
    where r.session_id is not null and g.session_id = r.session_id and g.start_time >= r.started_at
      and g.start_time <= coalesce(r.ended_at, t.ended_at, now())) as cost`;

function runView(r: RunSqlRow): RunView {
  // A started run is as far as its turn (the loop records the end a tick later).
  const turn = r.turn_status ?? "";
  const status = (
    r.status !== "started" ? r.status : ["running", "completed", "failed", "interrupted"].includes(turn) ? turn : "queued"
  ) as RunView["status"];
  return {
    id: r.id,
    schedule_id: r.schedule_id,
    trigger: r.trigger,
    slot_at: r.slot_at ? new Date(r.slot_at).toISOString() : null,
    status,
    session_id: r.session_id,
    turn_id: r.turn_id,
    error: r.error,
    cost_usd: Number(r.cost ?? 0),
    created_at: new Date(r.created_at).toISOString(),
    started_at: r.started_at ? new Date(r.started_at).toISOString() : null,
    ended_at: r.ended_at ? new Date(r.ended_at).toISOString() : null,
  };
}
