/**
 * Outcome callbacks (docs/schedules.md "Callbacks"). Each tick, on whichever replica:
 * 1. deliveries whose turn ended take its outcome, and those with a callback URL become `pending`;
 * 2. due pending callbacks are leased (callback_next_at pushed past the send timeout, under
 *    FOR UPDATE SKIP LOCKED, so one replica sends each attempt) and POSTed, signed with the
 *    trigger's secret, through the destination check (public addresses only unless the operator
 *    allows one; no redirects). A 2xx ends it; anything else retries with backoff, a few times.
 * A replica dying mid-send lets the lease run out and another one retries: receivers may see a
 * callback twice and can dedupe on `delivery_id` (also the X-LAP-Delivery header).
 */
import type { Clock } from "../automation/clock";
import { turnOutput } from "../automation/outcome";
import type { Database } from "../db/client";
import type { SecretBox } from "../lib/crypto";
import type { Logger } from "../lib/logger";
import { DestinationRefused, type DestinationGuard } from "../net/destinations";
import { pinnedFetch } from "../net/pinned-fetch";
import { signedHeaders } from "./signature";

/** Waits before attempts 2, 3, 4 and 5. */
export const DEFAULT_CALLBACK_BACKOFF_MS = [10_000, 60_000, 5 * 60_000, 30 * 60_000];
export const DEFAULT_CALLBACK_TIMEOUT_MS = 10_000;
const BATCH = 10;

export interface TriggerCallbacksDeps {
  database: Database;
  box: SecretBox;
  destinations: DestinationGuard;
  clock: Clock;
  log: Logger;
  backoffMs?: number[];
  timeoutMs?: number;
}

interface DueCallback {
  id: string;
  trigger_id: string;
  idempotency_key: string;
  status: string;
  session_id: string | null;
  turn_id: string | null;
  error: string | null;
  callback_attempts: number;
  ended_at: Date | string | null;
  callback_url: string | null;
  secret_sealed: string;
}

export class TriggerCallbacks {
  constructor(private readonly deps: TriggerCallbacksDeps) {}

  async tick(): Promise<void> {
    await this.closeFinished();
    await this.sendDue();
  }

  private get backoff() {
    return this.deps.backoffMs ?? DEFAULT_CALLBACK_BACKOFF_MS;
  }

  private async closeFinished() {
    const now = this.deps.clock.now();
    await this.deps.database.query(
      `update trigger_deliveries d set status = t.status, error = t.error, ended_at = coalesce(t.ended_at, $1),
              callback_status = case when tr.callback_url is null then 'none' else 'pending' end, callback_next_at = $1
         from session_turns t, triggers tr
        where d.status = 'started' and t.id = d.turn_id and tr.id = d.trigger_id and t.status in ('completed', 'failed', 'interrupted')`,
      [now.toISOString()],
    );
    await this.deps.database.query(
      `update trigger_deliveries d set status = 'failed', error = 'the session was deleted before the turn ended', ended_at = $1,
              callback_status = case when tr.callback_url is null then 'none' else 'pending' end, callback_next_at = $1
         from triggers tr
        where d.status = 'started' and tr.id = d.trigger_id and not exists (select 1 from session_turns t where t.id = d.turn_id)`,
      [now.toISOString()],
    );
  }

  private async sendDue() {
    const now = this.deps.clock.now();
    const timeout = this.deps.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS;
    // One statement: the row locks of the subquery and the lease are taken atomically.
    const leased = await this.deps.database.query<DueCallback>(
      `update trigger_deliveries d set callback_next_at = $2
         from triggers tr
        where tr.id = d.trigger_id and d.id in (
              select id from trigger_deliveries where callback_status = 'pending' and callback_next_at <= $1
               order by callback_next_at limit ${BATCH} for update skip locked)
        returning d.id, d.trigger_id, d.idempotency_key, d.status, d.session_id, d.turn_id, d.error, d.callback_attempts, d.ended_at,
                  tr.callback_url, tr.secret_sealed`,
      [now.toISOString(), new Date(now.getTime() + 2 * timeout + 5_000).toISOString()],
    );
    await Promise.all(
      leased.map((c) => this.send(c).catch((err) => this.deps.log.error({ err, delivery_id: c.id }, "trigger callback failed"))),
    );
  }

  private async send(c: DueCallback) {
    const attempt = Number(c.callback_attempts) + 1;
    if (!c.callback_url) return this.record(c.id, attempt, "failed", "the trigger no longer has a callback URL");
    const output =
      c.session_id && c.turn_id ? await turnOutput(this.deps.database, c.session_id, c.turn_id) : { text: "", truncated: false };
    const body = JSON.stringify({
      type: "trigger.turn_ended",
      trigger_id: c.trigger_id,
      delivery_id: c.id,
      idempotency_key: c.idempotency_key,
      session_id: c.session_id,
      turn_id: c.turn_id,
      status: c.status,
      error: c.error,
      output: output.text,
      output_truncated: output.truncated,
      ended_at: c.ended_at ? new Date(c.ended_at).toISOString() : null,
      attempt,
    });
    const headers = {
      "content-type": "application/json",
      "user-agent": "LAP-webhooks",
      "x-lap-delivery": c.id,
      ...signedHeaders(this.deps.box.decrypt(c.secret_sealed), body, this.deps.clock.now()),
    };
    let problem: string;
    try {
      const res = await pinnedFetch(
        c.callback_url,
        { method: "POST", headers, body, signal: AbortSignal.timeout(this.deps.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS) },
        { guard: this.deps.destinations },
      );
      await res.body?.cancel().catch(() => {});
      if (res.ok) return this.record(c.id, attempt, "delivered", null);
      // The receiver's answer is not stored or logged: only its status.
      problem = `HTTP ${res.status}`;
    } catch (err) {
      if (err instanceof DestinationRefused) return this.record(c.id, attempt, "failed", `refused: ${err.message}`);
      problem = (err as Error).name === "TimeoutError" ? "timed out" : `could not connect: ${(err as Error).message}`;
    }
    const wait = this.backoff[attempt - 1];
    if (wait === undefined) return this.record(c.id, attempt, "failed", `${problem} (gave up after ${attempt} attempts)`);
    return this.record(c.id, attempt, "pending", problem, new Date(this.deps.clock.now().getTime() + wait));
  }

  private async record(
    id: string,
    attempts: number,
    status: "pending" | "delivered" | "failed",
    error: string | null,
    nextAt: Date | null = null,
  ) {
    await this.deps.database.query(
      "update trigger_deliveries set callback_status = $2, callback_attempts = $3, callback_error = $4, callback_next_at = $5 where id = $1",
      [id, status, attempts, error, nextAt?.toISOString() ?? null],
    );
  }
}
