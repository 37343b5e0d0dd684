import { and, asc, eq, inArray } from "drizzle-orm";
import { agents, sessions, sessionTurns, type SessionRow, type SessionTurnRow } from "../../../schema";
import type { Database } from "../../db/client";
import type { Logger } from "../../lib/logger";
import type { RemoteSessionState, RuntimeAdapter } from "../../runtimes/adapter";
import type { RuntimeService } from "../../runtimes/service";
import type { LiveBus } from "../events/bus";
import type { EventStore } from "../events/store";
import { isTerminal, type ContentPart } from "../../../schema/session-events";
import type { TurnRunner } from "../service";
import { TurnControl } from "./control";
import { findDelivery, type Delivery } from "./delivery";
import { SessionLocks } from "./locks";
import { provisionSession } from "./provision";
import { context, SpanStatusCode, trace, type Context, type Tracer } from "@opentelemetry/api";
import type { TurnMetricsSink } from "../../metrics/recorders";
import { resolveAttachments } from "../attachments/store";
import { runTurn, type TurnOutcome } from "./run-turn";
import type { SessionStatusWriter } from "../status";

export interface TurnWorkerDeps {
  database: Database;
  store: EventStore;
  bus: LiveBus;
  runtimes: RuntimeService;
  /** The writer of sessions.status (../status.ts). */
  status: SessionStatusWriter;
  log: Logger;
  /** Scales the agent's max_runtime_minutes (tests use milliseconds). */
  msPerMinute?: number;
  sweepIntervalMs?: number;
  interruptGraceMs?: number;
  /** Stream reconnects allowed per turn before giving up (default 8, about 15 s of backoff). */
  maxStreamDrops?: number;
  /** Turns started and finished, durations, time to first event (server/metrics). */
  metrics?: TurnMetricsSink;
  /** Spans of provisioning and turns (server/tracing). */
  tracer?: Tracer;
  /** Told after a turn completed (session titles, server/sessions/titles); must not throw or wait. */
  onTurnCompleted?: (sessionId: string) => void;
}

/**
 * Runs turns, one at a time per session, on whichever replica holds the session's advisory lock.
 * Work is found by `kick` (after a message, locally or via NOTIFY) and by a periodic sweep, which
 * at start-up is also recovery: a turn left `running` by a dead process is re-attached, sessions
 * left `creating` are provisioned, queued turns run.
 */
export class TurnWorker implements TurnRunner {
  private readonly locks: SessionLocks;
  private readonly driving = new Map<string, Promise<void>>();
  private readonly active = new Map<string, TurnControl>();
  private rekick = new Set<string>();
  private sweepTimer?: ReturnType<typeof setInterval>;
  private stopping = false;
  private offControl?: () => void;
  /** The trace context of whoever last asked for work on a session (an API request), parent of its next spans. */
  private readonly origins = new Map<string, Context>();
  private readonly tracer: Tracer;

  constructor(private readonly deps: TurnWorkerDeps) {
    this.tracer = deps.tracer ?? trace.getTracer("lap");
    this.locks = new SessionLocks(deps.database);
  }

  private get db() {
    return this.deps.database.db;
  }

  /** Starts listening for control messages and runs the first sweep (start-up recovery). */
  async start() {
    this.offControl = this.deps.bus.onControl((msg) => {
      const control = this.active.get(msg.sessionId);
      if (msg.kind === "interrupt") control?.interrupt();
      else if (msg.kind === "stop") control?.stop();
      // Only the replica already driving the session reacts; the others would just contend for the lock.
      else if (msg.kind === "kick" && this.driving.has(msg.sessionId)) this.rekick.add(msg.sessionId);
    });
    await this.sweep();
    this.sweepTimer = setInterval(
      () => void this.sweep().catch((err) => this.deps.log.warn({ err }, "session sweep failed")),
      this.deps.sweepIntervalMs ?? 5_000,
    );
  }

  /** Graceful shutdown: running turns are detached (left `running`), so the next start re-attaches them. */
  async stop() {
    this.stopping = true;
    clearInterval(this.sweepTimer);
    this.offControl?.();
    for (const c of this.active.values()) c.detach();
    await Promise.allSettled([...this.driving.values()]);
    await this.locks.close();
  }

  kick(sessionId: string) {
    if (this.stopping) return;
    // A kick from an API request makes its turn a child of that request's span (the sweep's: a root).
    if (trace.getSpan(context.active())) this.origins.set(sessionId, context.active());
    if (this.driving.has(sessionId)) {
      this.rekick.add(sessionId);
      return;
    }
    const run = (async () => {
      if (!(await this.locks.tryAcquire(sessionId))) {
        // Another replica runs this session: tell it there is new work (it re-checks its queue).
        if (!this.locks.isHeld(sessionId)) await this.deps.bus.control({ kind: "kick", sessionId }).catch(() => {});
        return;
      }
      try {
        await this.drive(sessionId);
      } catch (err) {
        this.deps.log.error({ err, session_id: sessionId }, "session worker failed");
      } finally {
        await this.locks.release(sessionId);
      }
    })();
    this.driving.set(sessionId, run);
    void run.finally(() => {
      this.driving.delete(sessionId);
      if (!this.rekick.has(sessionId)) this.origins.delete(sessionId);
      // A message queued between our last look and the unlock would otherwise wait for the sweep.
      if (this.rekick.delete(sessionId)) this.kick(sessionId);
    });
  }

  async interrupt(sessionId: string) {
    this.active.get(sessionId)?.interrupt();
    await this.deps.bus.control({ kind: "interrupt", sessionId }).catch(() => {});
  }

  /** End the running turn wherever it runs, and the runtime session. */
  async stopSession(sessionId: string) {
    this.active.get(sessionId)?.stop();
    await this.deps.bus.control({ kind: "stop", sessionId }).catch(() => {});
    const [s] = await this.db.select().from(sessions).where(eq(sessions.id, sessionId));
    if (s?.runtimeId && s.remoteSessionId) {
      const adapter = await this.deps.runtimes.adapterFor(s.runtimeId).catch(() => null);
      await adapter?.stopSession(s.remoteSessionId).catch(() => {});
    }
  }

  /** Finds sessions with work no live worker holds, and kicks them. */
  async sweep() {
    const rows = await this.deps.database.query<{ id: string }>(
      `select id from sessions where status in ('creating', 'running', 'recovering')
       union select distinct session_id from session_turns where status in ('queued', 'running')`,
    );
    for (const r of rows) if (!this.driving.has(r.id)) this.kick(r.id);
  }

  private async drive(sessionId: string) {
    let session = await this.session(sessionId);
    if (!session) return;
    if (session.status === "creating") {
      await this.traced("lap.session.provision", sessionId, {}, () => provisionSession({ ...this.deps }, sessionId));
      session = await this.session(sessionId);
      if (!session) return;
    }
    if (session.status === "stopped" || session.status === "error") {
      await this.db
        .update(sessionTurns)
        .set({ status: "failed", endedAt: new Date(), error: `session is ${session.status}` })
        .where(and(eq(sessionTurns.sessionId, sessionId), inArray(sessionTurns.status, ["queued", "running"])));
      return;
    }
    const [orphan] = await this.db
      .select()
      .from(sessionTurns)
      .where(and(eq(sessionTurns.sessionId, sessionId), eq(sessionTurns.status, "running")));
    if (orphan) await this.execute(session, orphan, true);
    while (!this.stopping) {
      session = await this.session(sessionId);
      if (!session || session.status === "stopped" || session.status === "error") return;
      const [next] = await this.db
        .select()
        .from(sessionTurns)
        .where(and(eq(sessionTurns.sessionId, sessionId), eq(sessionTurns.status, "queued")))
        .orderBy(asc(sessionTurns.createdAt), asc(sessionTurns.userSeq))
        .limit(1);
      if (!next) return;
      const [claimed] = await this.db
        .update(sessionTurns)
        .set({ status: "running", startedAt: new Date() })
        .where(and(eq(sessionTurns.id, next.id), eq(sessionTurns.status, "queued")))
        .returning();
      if (claimed) await this.execute(session, claimed, false);
    }
  }

  /** Runs `fn` in a span whose parent is the session's origin (the request that asked), else the active context. */
  private traced<T>(name: string, sessionId: string, attributes: Record<string, string | boolean>, fn: () => Promise<T>): Promise<T> {
    const parent = this.origins.get(sessionId) ?? context.active();
    return this.tracer.startActiveSpan(name, { attributes: { "lap.session_id": sessionId, ...attributes } }, parent, async (span) => {
      try {
        return await fn();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message.slice(0, 200) });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  private execute(session: SessionRow, turn: SessionTurnRow, reattach: boolean) {
    const origin = this.origins.get(session.id);
    return this.traced("lap.turn", session.id, { "lap.turn_id": turn.id, "lap.turn.reattach": reattach }, () =>
      this.executeTurn(session, turn, reattach),
    ).finally(() => {
      // Used once; a request that asked during this turn keeps its own for the next.
      if (this.origins.get(session.id) === origin) this.origins.delete(session.id);
    });
  }

  private async executeTurn(session: SessionRow, turn: SessionTurnRow, reattach: boolean) {
    const log = this.deps.log;
    const [agent] = session.agentId ? await this.db.select().from(agents).where(eq(agents.id, session.agentId)) : [];
    const maxRuntimeMinutes = agent?.maxRuntimeMinutes ?? 30;
    const deadlineAt = (turn.startedAt ?? new Date()).getTime() + maxRuntimeMinutes * (this.deps.msPerMinute ?? 60_000);
    const end = (outcome: TurnOutcome) => {
      const span = trace.getActiveSpan();
      span?.setAttribute("lap.turn.outcome", outcome.status);
      if (outcome.status === "failed") span?.setStatus({ code: SpanStatusCode.ERROR, message: (outcome.error ?? "failed").slice(0, 200) });
      return this.endTurn(session.id, turn.id, outcome);
    };
    if (!session.runtimeId || !session.remoteSessionId)
      return end({ status: "failed", error: "The session has no runtime session", fatal: true });
    const adapter = await this.deps.runtimes.adapterFor(session.runtimeId);
    let alreadySent = false;
    let lastProviderEventId: string | null = null;
    let expectEndSoon = false;
    if (reattach) {
      await this.setStatus(session.id, "recovering");
      await this.deps.store.append(session.id, [{ type: "session.recovered", data: { turn_id: turn.id, reason: "LAP restarted" } }]);
      const [last] = await this.deps.database.query<{ type: string }>(
        "select type from session_events where session_id = $1 and turn_id = $2 and seq > $3 order by seq desc limit 1",
        [session.id, turn.id, turn.userSeq],
      );
      if (last && isTerminal(last.type)) return end({ status: last.type === "session.error" ? "failed" : "completed" });
      const state = await adapter.sessionState(session.remoteSessionId).catch(() => "missing" as const);
      log.info({ session_id: session.id, turn_id: turn.id, state }, "re-attaching interrupted turn");
      if (state === "missing" || state === "terminated") {
        const message = "LAP restarted during this turn and the runtime no longer has the session; start a new session";
        await this.deps.store.append(
          session.id,
          [{ type: "session.error", data: { error: { message, type: "runtime_lost_session" } } }],
          turn.id,
        );
        return end({ status: "failed", error: message, fatal: true });
      }
      lastProviderEventId = await this.deps.store.lastProviderEventId(session.id, turn.id);
      const resolved = await this.resolveDelivery(adapter, session.id, session.remoteSessionId, turn, lastProviderEventId, state);
      if (resolved === "unknown") {
        const message = "LAP restarted while sending this message and could not ask the runtime whether it arrived; it was not sent again";
        await this.deps.store.append(
          session.id,
          [{ type: "session.error", data: { error: { message, type: "delivery_unknown" } } }],
          turn.id,
        );
        return end({ status: "failed", error: message });
      }
      alreadySent = resolved.sent;
      lastProviderEventId = resolved.resumeAfter;
      expectEndSoon = state === "idle" && alreadySent;
    }
    await this.setStatus(session.id, "running");
    const control = new TurnControl(turn.id);
    if (turn.interruptRequested) control.interrupt();
    this.active.set(session.id, control);
    try {
      const outcome = await runTurn(
        {
          store: this.deps.store,
          adapter,
          log,
          interruptGraceMs: this.deps.interruptGraceMs,
          maxStreamDrops: this.deps.maxStreamDrops,
          metrics: this.deps.metrics,
          endInTx: (end) => (tx) => this.deps.status.turnEndedInTx(tx, session.id, turn.id, end),
        },
        {
          sessionId: session.id,
          remoteSessionId: session.remoteSessionId,
          turnId: turn.id,
          // The queue keeps attachment references; the runtime gets the bytes (attachments/store.ts).
          content: await resolveAttachments(this.deps.database, session.id, turn.content as ContentPart[]),
          lastProviderEventId,
          alreadySent,
          expectEndSoon,
          recoveredAlready: reattach,
          deadlineAt,
          maxRuntimeMinutes,
          onSent: (eventId) => this.markSent(turn.id, eventId),
        },
        control,
      );
      await end(outcome);
    } finally {
      this.active.delete(session.id);
    }
  }

  /**
   * Re-attach: did the runtime get this turn's message, and where does its stream resume? Stored
   * runtime events of the turn settle both. Otherwise the runtime's own event list decides (see
   * delivery.ts) and `sent_at` is written when it has the message; `sent_at` already set means it
   * has it whatever the list says. Adapters without a list (the sandbox runtime, which restarts a
   * sandbox after a LAP restart) keep their rule: only a running runtime has the message.
   */
  private async resolveDelivery(
    adapter: RuntimeAdapter,
    sessionId: string,
    remoteSessionId: string,
    turn: SessionTurnRow,
    lastProviderEventId: string | null,
    state: RemoteSessionState,
  ): Promise<{ sent: boolean; resumeAfter: string | null } | "unknown"> {
    if (lastProviderEventId) return { sent: true, resumeAfter: lastProviderEventId };
    // Unchanged for these: the sandbox runtime brings a new sandbox back and wants the message again.
    if (!adapter.listEvents) return { sent: state === "running", resumeAfter: null };
    const listEvents = adapter.listEvents.bind(adapter);
    let delivery: Delivery | undefined;
    for (let attempt = 0; attempt < 3 && !delivery; attempt++) {
      delivery = await findDelivery(
        { database: this.deps.database, listEvents },
        {
          sessionId,
          turnId: turn.id,
          remoteSessionId,
          content: turn.content as ContentPart[],
        },
        this.deps.log,
      ).catch((err) => {
        this.deps.log.warn({ err, session_id: sessionId }, "could not list the runtime's events");
        return undefined;
      });
      if (!delivery) await Bun.sleep(500 * (attempt + 1));
    }
    this.deps.log.info(
      { session_id: sessionId, turn_id: turn.id, sent_at: turn.sentAt, delivered: delivery?.delivered },
      "re-attach: asked the runtime whether it has the message",
    );
    // Resume only after an id the runtime's list confirmed (an unknown Last-Event-ID could replay everything).
    if (turn.sentAt) return { sent: true, resumeAfter: delivery?.delivered ? delivery.eventId : delivery ? null : turn.remoteEventId };
    if (!delivery) return "unknown";
    if (!delivery.delivered) return { sent: false, resumeAfter: null };
    await this.markSent(turn.id, delivery.eventId);
    return { sent: true, resumeAfter: delivery.eventId };
  }

  private async markSent(turnId: string, eventId: string | null) {
    await this.db.update(sessionTurns).set({ sentAt: new Date(), remoteEventId: eventId }).where(eq(sessionTurns.id, turnId));
  }

  private async endTurn(sessionId: string, turnId: string, outcome: TurnOutcome) {
    if (outcome.status === "detached" || outcome.status === "stopped") return;
    // Written with the terminal event when the turn stored one (run-turn.ts), else here.
    if (!outcome.recorded)
      await this.deps.status.turnEnded(sessionId, turnId, { status: outcome.status, error: outcome.error, fatal: outcome.fatal });
    if (outcome.status === "completed") this.deps.onTurnCompleted?.(sessionId);
  }

  private async setStatus(sessionId: string, status: "running" | "recovering") {
    await this.deps.status.set(sessionId, status);
  }

  private async session(id: string) {
    const [row] = await this.db.select().from(sessions).where(eq(sessions.id, id));
    return row;
  }
}
