/**
 * A schedule's runs inside the transaction that claims them: whether a run may start now
 * (the concurrency policy), and starting it (the session and its turn, written with the run).
 */
import { randomUUID } from "node:crypto";
import type { TurnDispatcher, Dispatched } from "../automation/dispatch";
import type { SqlTx } from "../db/client";
import { ownerProblem, runCreator } from "../automation/owner";
import { ApiError } from "../lib/errors";

// Times go into raw SQL as ISO strings: postgres.js cannot send a Date where it infers a text parameter.
export const newRunId = () => `run_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

/** The columns of `schedules` a run needs (raw SQL rows). */
export interface ScheduleSqlRow {
  id: string;
  name: string;
  agent_id: string;
  cron: string;
  timezone: string;
  prompt: string;
  session_mode: "new" | "continue";
  session_id: string | null;
  concurrency: "skip" | "queue";
  catch_up: boolean;
  status: "active" | "paused";
  /** A Date or an ISO string, depending on the driver. */
  next_run_at: Date | string | null;
  owner_key_id: string | null;
  owner_user_id: string | null;
  team_id: string;
}

export type Admission = { kind: "start" } | { kind: "wait" } | { kind: "skip"; reason: string };

/**
 * Whether a new run of `s` may start now. The previous run is "still going" while its turn is
 * queued or running (read from the turn itself, so a run the follower has not closed yet does
 * not hold the next one back). Never more than one run waits: a second one is skipped.
 */
export async function admission(tx: SqlTx, s: ScheduleSqlRow, excludeRunId: string | null): Promise<Admission> {
  const open = await tx.query<{ status: string; turn_status: string | null }>(
    `select r.status, t.status as turn_status
       from schedule_runs r left join session_turns t on t.id = r.turn_id
      where r.schedule_id = $1 and r.status in ('pending', 'started') and r.id <> $2`,
    [s.id, excludeRunId ?? ""],
  );
  const going = open.some((r) => r.status === "started" && (r.turn_status === "queued" || r.turn_status === "running"));
  const waiting = open.some((r) => r.status === "pending");
  if (waiting) return { kind: "skip", reason: "another run was already waiting for the previous one" };
  if (!going) return { kind: "start" };
  if (s.concurrency === "queue") return { kind: "wait" };
  return { kind: "skip", reason: "the previous run was still going" };
}

/**
 * Starts run `runId` of `s`: the session (new, or the schedule's own in "continue" mode) and its
 * turn, in this transaction. A refusal by the sessions module (agent paused, no runtime) fails the
 * run with its message instead; the transaction still commits, so the slot stays claimed.
 */
export async function startRunInTx(
  tx: SqlTx,
  dispatcher: TurnDispatcher,
  s: ScheduleSqlRow,
  runId: string,
  now: Date,
): Promise<Dispatched | null> {
  const owner = await ownerProblem((text, params) => tx.query(text, params), s, now);
  if (owner) {
    await tx.query("update schedule_runs set status = 'failed', error = $2, started_at = $3, ended_at = $3 where id = $1", [
      runId,
      `not started: ${owner}`,
      now.toISOString(),
    ]);
    return null;
  }
  let d: Dispatched;
  try {
    d = await dispatcher.startInTx(tx, {
      creator: runCreator(s),
      agentId: s.agent_id,
      prompt: s.prompt,
      title: `${s.name} (schedule)`,
      continueSessionId: s.session_mode === "continue" ? s.session_id : null,
    });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    await tx.query("update schedule_runs set status = 'failed', error = $2, started_at = $3, ended_at = $3 where id = $1", [
      runId,
      err.message,
      now.toISOString(),
    ]);
    return null;
  }
  await tx.query("update schedule_runs set status = 'started', session_id = $2, turn_id = $3, started_at = $4 where id = $1", [
    runId,
    d.sessionId,
    d.turnId,
    now.toISOString(),
  ]);
  await tx.query(
    "update schedules set last_run_at = $2, session_id = case when session_mode = 'continue' then $3 else session_id end, updated_at = now() where id = $1",
    [s.id, now.toISOString(), d.sessionId],
  );
  return d;
}
