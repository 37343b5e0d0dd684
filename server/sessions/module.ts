import { AgentService, type GatewayModelCheck } from "../agents/service";
import { approvalSideEffects } from "../approvals/record";
import { ApprovalService } from "../approvals/service";
import type { AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { createSecretBox } from "../lib/crypto";
import type { Logger } from "../lib/logger";
import type { TurnMetricsSink } from "../metrics/recorders";
import type { Tracer } from "@opentelemetry/api";
import type { DestinationGuard } from "../net/destinations";
import type { RuntimeAdapter } from "../runtimes/adapter";
import { RuntimeService } from "../runtimes/service";
import type { RuntimeRow } from "../../schema";
import { type BusLagSink, LiveBus } from "./events/bus";
import { EventStore } from "./events/store";
import { SessionService } from "./service";
import { LiveTopics } from "./stream/live-topics";
import { StreamTokens } from "./stream/tokens";
import { type TitleCall, TitleService } from "./titles/service";
import { TurnWorker } from "./worker/turn-worker";

export interface SessionModuleDeps {
  database: Database;
  logger: Logger;
  masterKey: string;
  encryptionKey: Buffer;
  msPerMinute?: number;
  sweepIntervalMs?: number;
  interruptGraceMs?: number;
  maxStreamDrops?: number;
  /** Stream heartbeat interval (tests shorten it). */
  heartbeatMs?: number;
  adapterFactory?: (row: RuntimeRow, apiKey: string) => RuntimeAdapter;
  /** LAP's sandbox runtime, for agents on the built-in local-sandbox runtime. */
  sandboxAdapter?: () => RuntimeAdapter;
  /** The destination check for agents' egress hosts and repo_url (server/net/destinations.ts). */
  destinations?: DestinationGuard;
  /** Whether LAP's gateway knows an agent's model (agents on a sandbox runtime call it there). */
  gatewayModel?: GatewayModelCheck;
  /** Turns and event appends are counted here (server/metrics). */
  metrics?: { turns: TurnMetricsSink; eventAppend: (seconds: number) => void; busLag?: BusLagSink };
  /** Spans of provisioning and turns (server/tracing). */
  tracer?: Tracer;
  /** The audit trail (server/audit): agents, runtimes, sessions and approvals record their changes. */
  audit?: AuditPort;
  /** Session titles (docs/sessions.md "Titles"): LAP_TITLE_MODEL and the gateway call that writes them. */
  titles?: { model?: string; call?: TitleCall };
}

/**
 * Builds agents, runtimes and sessions with their shared pieces (store, bus, worker). Nothing
 * starts here: `start()` (LISTEN + start-up recovery) and `stop()` are called by startLap.
 */
export function createSessionModule(deps: SessionModuleDeps) {
  const log = deps.logger.child({ module: "sessions" });
  const bus = new LiveBus(deps.database, log, deps.metrics?.busLag);
  const store = new EventStore({
    database: deps.database,
    onAppended: (id, events) => bus.publish(id, events),
    sideEffects: approvalSideEffects,
    appendSeconds: deps.metrics?.eventAppend,
  });
  const runtimes = new RuntimeService({
    database: deps.database,
    secrets: createSecretBox(deps.encryptionKey),
    adapterFactory: deps.adapterFactory,
    sandboxAdapter: deps.sandboxAdapter,
    audit: deps.audit,
    destinations: deps.destinations,
  });
  const worker = new TurnWorker({
    database: deps.database,
    store,
    bus,
    runtimes,
    log,
    msPerMinute: deps.msPerMinute,
    sweepIntervalMs: deps.sweepIntervalMs,
    interruptGraceMs: deps.interruptGraceMs,
    maxStreamDrops: deps.maxStreamDrops,
    metrics: deps.metrics?.turns,
    tracer: deps.tracer,
    onTurnCompleted: (sessionId) => titles.afterTurn(sessionId),
  });
  const sessions = new SessionService({ database: deps.database, store, bus, runner: worker, audit: deps.audit });
  const titles = new TitleService({
    database: deps.database,
    sessions,
    log,
    model: deps.titles?.model,
    call: deps.titles?.call,
    audit: deps.audit,
  });
  const approvals = new ApprovalService({ database: deps.database, sessions, audit: deps.audit });
  const agents = new AgentService({
    database: deps.database,
    beforeDelete: (agentId) => sessions.stopAgentSessions(agentId),
    destinations: deps.destinations,
    gatewayModel: deps.gatewayModel,
    audit: deps.audit,
  });
  const tokens = new StreamTokens(deps.masterKey);
  const topics = new LiveTopics({ bus, store });
  const openStreams = new Set<() => void>();
  return {
    bus,
    store,
    runtimes,
    worker,
    sessions,
    titles,
    approvals,
    agents,
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
