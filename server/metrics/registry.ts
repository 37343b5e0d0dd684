import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { BoundedLabel, keyAliasLabel } from "./bounded-label";

/** Seconds, from 5 ms to 5 min: HTTP requests, gateway calls, turns. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds, from 0.5 ms: event appends (PGlite group commits are sub-millisecond). */
const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** Seconds, for turns and sandbox starts (a cold pod can take minutes). */
const SLOW_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** Where the gauges read at scrape time come from (server/app.ts wires them to the database and services). */
export interface MetricSources {
  /** Sessions by status (one grouped count query per scrape). */
  sessionCounts(): Promise<Array<{ status: string; count: number }>>;
  /** This host's warm-pool slots by status. */
  warmPoolCounts(): Promise<Array<{ status: string; count: number }>>;
  /** The gateway's spend writer: rows queued and dropped so far. */
  spendQueue(): { queued: number; dropped: number };
}

/**
 * Every metric LAP exports, in one registry owned by the app (server/app.ts passes it to the modules
 * that record; nothing reaches for a global). Labels are bounded (docs/operations.md "Metrics"): route
 * templates, never paths; model groups, key aliases, MCP servers and tools through `BoundedLabel`;
 * never a session, turn or request id.
 */
export class LapMetrics {
  readonly registry = new Registry();
  /** Caller-chosen names (model groups, key aliases, MCP servers and tools): the first few hundred, then `other`. */
  readonly labels = {
    modelGroup: new BoundedLabel(200),
    keyAlias: new BoundedLabel(500, keyAliasLabel),
    mcpServer: new BoundedLabel(200),
    mcpTool: new BoundedLabel(1000),
  };

  readonly httpRequests: Counter<"method" | "route" | "status">;
  readonly httpDuration: Histogram<"method" | "route" | "status">;

  readonly gatewayRequests: Counter<"model_group" | "key_alias" | "status">;
  readonly gatewayDuration: Histogram<"model_group" | "key_alias">;
  readonly gatewayTokens: Counter<"model_group" | "key_alias" | "type">;
  readonly gatewaySpend: Counter<"model_group" | "key_alias">;
  readonly gatewayUpstreamFailures: Counter<"model_group" | "status">;
  readonly gatewayRetries: Counter<"model_group">;
  readonly gatewayFallbacks: Counter<"model_group">;
  readonly gatewayCooldowns: Counter<"model_group">;
  readonly gatewayRejections: Counter<"reason">;
  readonly spendQueueDepth: Gauge;
  readonly spendRowsDropped: Counter;

  readonly sessions: Gauge<"status">;
  readonly turnsStarted: Counter;
  readonly turnsFinished: Counter<"outcome">;
  readonly turnDuration: Histogram<"outcome">;
  readonly turnFirstEvent: Histogram;
  readonly eventAppendDuration: Histogram;
  readonly eventBusLag: Histogram;

  readonly sandboxStarts: Counter<"kind">;
  readonly sandboxStartDuration: Histogram<"kind">;
  readonly sandboxStartFailures: Counter;
  readonly warmPool: Gauge<"status">;
  readonly warmPoolHits: Counter;
  readonly warmPoolMisses: Counter;

  readonly mcpCalls: Counter<"server" | "tool" | "outcome">;
  readonly mcpDuration: Histogram<"server" | "tool">;

  readonly slackReceived: Counter;
  readonly slackDeduplicated: Counter;
  readonly slackFailed: Counter;

  private sources: MetricSources | undefined;

  /** Connects the scrape-time gauges to their sources (until then they are empty). */
  observe(sources: MetricSources) {
    this.sources = sources;
  }

  constructor(opts: { processMetrics?: boolean } = {}) {
    // Read at scrape time; a failed query leaves the gauge empty rather than failing the whole scrape.
    const counts =
      (gauge: () => Gauge<"status">, read: (s: MetricSources) => Promise<Array<{ status: string; count: number }>>) => async () => {
        const g = gauge();
        g.reset();
        if (!this.sources) return;
        const rows = await read(this.sources).catch(() => []);
        for (const r of rows) g.set({ status: r.status }, Number(r.count));
      };
    const registers = [this.registry];
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "lap_" });

    this.httpRequests = new Counter({
      name: "lap_http_requests_total",
      help: "HTTP requests by route template and status",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "lap_http_request_duration_seconds",
      help: "HTTP request latency by route template",
      labelNames: ["method", "route", "status"],
      buckets: LATENCY_BUCKETS,
      registers,
    });

    this.gatewayRequests = new Counter({
      name: "lap_gateway_requests_total",
      help: "LLM gateway calls by model group, key alias and outcome (success, failure)",
      labelNames: ["model_group", "key_alias", "status"],
      registers,
    });
    this.gatewayDuration = new Histogram({
      name: "lap_gateway_request_duration_seconds",
      help: "LLM gateway call latency (to the last byte) by model group and key alias",
      labelNames: ["model_group", "key_alias"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.gatewayTokens = new Counter({
      name: "lap_gateway_tokens_total",
      help: "Tokens through the gateway by model group, key alias and type (prompt, completion)",
      labelNames: ["model_group", "key_alias", "type"],
      registers,
    });
    this.gatewaySpend = new Counter({
      name: "lap_gateway_spend_usd_total",
      help: "Cost of gateway calls in USD by model group and key alias",
      labelNames: ["model_group", "key_alias"],
      registers,
    });
    this.gatewayUpstreamFailures = new Counter({
      name: "lap_gateway_upstream_failures_total",
      help: "Failed upstream attempts by model group and status (an HTTP status, timeout or error)",
      labelNames: ["model_group", "status"],
      registers,
    });
    this.gatewayRetries = new Counter({
      name: "lap_gateway_retries_total",
      help: "Upstream attempts after the first of a call",
      labelNames: ["model_group"],
      registers,
    });
    this.gatewayFallbacks = new Counter({
      name: "lap_gateway_fallbacks_total",
      help: "Calls answered (or tried) by a fallback model group, by the group asked for",
      labelNames: ["model_group"],
      registers,
    });
    this.gatewayCooldowns = new Counter({
      name: "lap_gateway_cooldowns_total",
      help: "Deployments put into cooldown after failures, by model group",
      labelNames: ["model_group"],
      registers,
    });
    this.gatewayRejections = new Counter({
      name: "lap_gateway_rejections_total",
      help: "Calls refused before any provider was asked, by reason (budget_exceeded, rate_limit_exceeded, ...)",
      labelNames: ["reason"],
      registers,
    });
    const sources = () => this.sources;
    this.spendQueueDepth = new Gauge({
      name: "lap_gateway_spend_queue_depth",
      help: "Spend rows waiting to be written",
      registers,
      collect() {
        this.set(sources()?.spendQueue().queued ?? 0);
      },
    });
    this.spendRowsDropped = new Counter({
      name: "lap_gateway_spend_rows_dropped_total",
      help: "Spend rows dropped because the queue was full (LAP_GATEWAY_SPEND_QUEUE_MAX)",
      registers,
      // The writer counts; the counter mirrors it (it only grows).
      collect() {
        this.reset();
        const dropped = sources()?.spendQueue().dropped ?? 0;
        if (dropped > 0) this.inc(dropped);
      },
    });

    this.sessions = new Gauge({
      name: "lap_sessions",
      help: "Sessions by status",
      labelNames: ["status"],
      registers,
      collect: counts(
        () => this.sessions,
        (s) => s.sessionCounts(),
      ),
    });
    this.turnsStarted = new Counter({ name: "lap_turns_started_total", help: "Turns started (or re-attached after a restart)", registers });
    this.turnsFinished = new Counter({
      name: "lap_turns_finished_total",
      help: "Turns finished by outcome (completed, interrupted, failed, stopped, detached)",
      labelNames: ["outcome"],
      registers,
    });
    this.turnDuration = new Histogram({
      name: "lap_turn_duration_seconds",
      help: "Turn duration by outcome",
      labelNames: ["outcome"],
      buckets: SLOW_BUCKETS,
      registers,
    });
    this.turnFirstEvent = new Histogram({
      name: "lap_turn_first_event_seconds",
      help: "Time from a turn's start to the runtime's first event",
      buckets: SLOW_BUCKETS,
      registers,
    });
    this.eventAppendDuration = new Histogram({
      name: "lap_event_append_duration_seconds",
      help: "Time to store a batch of session events (commit included)",
      buckets: FAST_BUCKETS,
      registers,
    });
    this.eventBusLag = new Histogram({
      name: "lap_event_bus_lag_seconds",
      help: "From a session event's creation to its delivery to this replica's subscribers (local: stored here; replica: via NOTIFY from another)",
      labelNames: ["path"],
      buckets: FAST_BUCKETS,
      registers,
    });

    this.sandboxStarts = new Counter({
      name: "lap_sandbox_starts_total",
      help: "Sandboxes given to sessions by kind (warm: from the pool, cold: created, adopted: already running)",
      labelNames: ["kind"],
      registers,
    });
    this.sandboxStartDuration = new Histogram({
      name: "lap_sandbox_start_duration_seconds",
      help: "Time until a session's sandbox is ready, by kind",
      labelNames: ["kind"],
      buckets: SLOW_BUCKETS,
      registers,
    });
    this.sandboxStartFailures = new Counter({
      name: "lap_sandbox_start_failures_total",
      help: "Sandboxes that failed to start for a session",
      registers,
    });
    this.warmPool = new Gauge({
      name: "lap_sandbox_warm_pool",
      help: "Warm-pool sandboxes on this host by status (warm, provisioning)",
      labelNames: ["status"],
      registers,
      collect: counts(
        () => this.warmPool,
        (s) => s.warmPoolCounts(),
      ),
    });
    this.warmPoolHits = new Counter({ name: "lap_sandbox_warm_pool_hits_total", help: "Sessions that got a warm sandbox", registers });
    this.warmPoolMisses = new Counter({
      name: "lap_sandbox_warm_pool_misses_total",
      help: "Sessions that found no warm sandbox and started a cold one",
      registers,
    });

    this.mcpCalls = new Counter({
      name: "lap_mcp_tool_calls_total",
      help: "MCP tool calls by server, tool and outcome (ok, error, denied, timeout, ...)",
      labelNames: ["server", "tool", "outcome"],
      registers,
    });
    this.mcpDuration = new Histogram({
      name: "lap_mcp_tool_call_duration_seconds",
      help: "MCP tool call latency by server and tool",
      labelNames: ["server", "tool"],
      buckets: LATENCY_BUCKETS,
      registers,
    });

    this.slackReceived = new Counter({
      name: "lap_slack_events_received_total",
      help: "Slack messages received (signed and for the bot)",
      registers,
    });
    this.slackDeduplicated = new Counter({
      name: "lap_slack_events_deduplicated_total",
      help: "Slack deliveries ignored as duplicates (Slack retries, app_mention twins)",
      registers,
    });
    this.slackFailed = new Counter({ name: "lap_slack_events_failed_total", help: "Slack messages whose processing failed", registers });
  }

  /** Prometheus text exposition of every metric (collect callbacks run here). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
