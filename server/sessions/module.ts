import type { AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import type { AuthGuard } from "../http/auth-guard";
import type { Logger } from "../lib/logger";
import type { TurnMetricsSink } from "../metrics/recorders";
import type { Tracer } from "@opentelemetry/api";
import type { RuntimeService } from "../runtimes/service";
import { type BusLagSink, LiveBus } from "./events/bus";
import { type EventSideEffects, EventStore } from "./events/store";
import { sessionHistory } from "./history";
import { type SessionApprovalsPort, SessionService } from "./service";
import { SessionStatusWriter } from "./status";
import { sessionRoutes } from "./index";
import { LiveTopics } from "./stream/live-topics";
import type { StreamTokens } from "./stream/tokens";
import { type TitleCall, TitleService } from "./titles/service";
import { TurnWorker } from "./worker/turn-worker";

export interface SessionModuleDeps {
  database: Database;
  logger: Logger;
  /** Stream tokens (built with the auth guard, which accepts them: server/app.ts). */
  tokens: StreamTokens;
  guard: AuthGuard;
  /** The runtime registry the worker runs turns through (built in server/app.ts). */
  runtimes: RuntimeService;
  /** Rows other modules write with certain events (approvals: server/approvals/record.ts), wired in server/app.ts. */
  sideEffects?: EventSideEffects;
  /** The approvals module's port: a stopped session's pending approvals expire (server/approvals/record.ts). */
  approvals?: SessionApprovalsPort;
  msPerMinute?: number;
  sweepIntervalMs?: number;
  interruptGraceMs?: number;
  maxStreamDrops?: number;
  /** Stream heartbeat interval (tests shorten it). */
  heartbeatMs?: number;
  /** Turns and event appends are counted here (server/metrics). */
  metrics?: { turns: TurnMetricsSink; eventAppend: (seconds: number) => void; busLag?: BusLagSink };
  /** Spans of provisioning and turns (server/tracing). */
  tracer?: Tracer;
  /** The audit trail (server/audit): sessions and titles record their changes. */
  audit?: AuditPort;
  /** Session titles (docs/sessions.md "Titles"): LAP_TITLE_MODEL and the gateway call that writes them. */
  titles?: { model?: string; call?: TitleCall };
}

/**
 * Builds the sessions with their shared pieces (store, bus, worker) and their routes (the module
 * contract, docs/development.md "Layers"); the services they use (runtimes) and those that use them
 * (agents, approvals) are built in server/app.ts. Nothing starts here: `start()` (LISTEN + start-up
 * recovery) and `stop()` are called by the app's lifecycle (server/app/lifecycle.ts).
 */
export function createSessionModule(deps: SessionModuleDeps) {
  const log = deps.logger.child({ module: "sessions" });
  const bus = new LiveBus(deps.database, log, deps.metrics?.busLag);
  const store = new EventStore({
    database: deps.database,
    onAppended: (id, events) => bus.publish(id, events),
    sideEffects: deps.sideEffects,
    appendSeconds: deps.metrics?.eventAppend,
  });
  const status = new SessionStatusWriter(deps.database);
  const worker = new TurnWorker({
    database: deps.database,
    store,
    bus,
    runtimes: deps.runtimes,
    status,
    log,
    msPerMinute: deps.msPerMinute,
    sweepIntervalMs: deps.sweepIntervalMs,
    interruptGraceMs: deps.interruptGraceMs,
    maxStreamDrops: deps.maxStreamDrops,
    metrics: deps.metrics?.turns,
    tracer: deps.tracer,
    onTurnCompleted: (sessionId) => titles.afterTurn(sessionId),
  });
  const sessions = new SessionService({
    database: deps.database,
    store,
    bus,
    runner: worker,
    audit: deps.audit,
    approvals: deps.approvals,
  });
  const titles = new TitleService({
    database: deps.database,
    sessions,
    log,
    model: deps.titles?.model,
    call: deps.titles?.call,
    audit: deps.audit,
  });
  const tokens = deps.tokens;
  const topics = new LiveTopics({ bus, store });
  const openStreams = new Set<() => void>();
  const routes = sessionRoutes({
    sessions,
    titles,
    database: deps.database,
    guard: deps.guard,
    tokens,
    topics,
    bus,
    heartbeatMs: deps.heartbeatMs,
    openStreams,
  });
  return {
    routes,
    bus,
    store,
    worker,
    sessions,
    titles,
    status,
    /** A session's events as a new sandbox replays them (the sandbox runtime's port, server/app.ts). */
    history: (sessionId: string) => sessionHistory(deps.database, sessionId),
    /** How many sessions are in each status (GET /metrics, server/metrics). */
    statusCounts: () =>
      deps.database.query<{ status: string; count: number }>("select status, count(*)::int as count from sessions group by status"),
    tokens,
    topics,
    heartbeatMs: deps.heartbeatMs,
    openStreams,
    async start() {
      await bus.start();
      await worker.start();
    },
    /** Closes client streams (they reconnect with their last seq), detaches running turns, stops listening. */
    async stop() {
      for (const end of [...openStreams]) end();
      await worker.stop();
      await bus.stop();
    },
  };
}
export type SessionModule = ReturnType<typeof createSessionModule>;
