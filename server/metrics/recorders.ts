import type { LapMetrics } from "./registry";

/**
 * What each module reports, as narrow interfaces: a module takes the one it needs (optional, so a
 * module built without metrics, as in its own unit tests, records nothing), and `recordersFor`
 * makes them all from the app's registry (server/app.ts).
 */
export interface GatewayMetricsSink {
  /** A call that reached routing (success or failure), from its spend row. */
  call(row: GatewayCallFacts): void;
  /** A call refused before any provider was asked; `modelGroup` is null for a model nobody serves. */
  refused(code: string, modelGroup: string | null, keyAlias: string | null | undefined): void;
}

export interface GatewayCallFacts {
  modelGroup?: string | null;
  keyAlias?: string | null;
  status: string;
  latencyMs?: number | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  spend?: number | null;
  attempts?: unknown;
}

export interface TurnMetricsSink {
  started(): void;
  firstEvent(seconds: number): void;
  finished(outcome: string, seconds: number): void;
}

export interface SandboxMetricsSink {
  started(kind: "warm" | "cold" | "adopted", seconds: number): void;
  failed(): void;
  /** A warm-pool lookup: hit or miss (not asked when the session brings its own workspace). */
  pool(hit: boolean): void;
}

export interface McpMetricsSink {
  call(server: string, tool: string, outcome: string, durationMs: number): void;
}

export interface SlackMetricsSink {
  received(): void;
  deduplicated(): void;
  failed(): void;
}

/** What the metrics read of one provider attempt in a spend row's `attempts` (the gateway's `Attempt`). */
interface Attempt {
  model_group: string;
  status: number | "error" | "timeout";
  cooldown?: boolean;
}

const upstreamStatus = (s: Attempt["status"]) => (typeof s === "number" ? String(s) : s);

export function recordersFor(m: LapMetrics) {
  const { labels } = m;
  const gateway: GatewayMetricsSink = {
    call(row) {
      const model_group = labels.modelGroup.of(row.modelGroup);
      const key_alias = labels.keyAlias.of(row.keyAlias);
      m.gatewayRequests.inc({ model_group, key_alias, status: row.status });
      if (row.latencyMs != null) m.gatewayDuration.observe({ model_group, key_alias }, row.latencyMs / 1000);
      if (row.promptTokens) m.gatewayTokens.inc({ model_group, key_alias, type: "prompt" }, row.promptTokens);
      if (row.completionTokens) m.gatewayTokens.inc({ model_group, key_alias, type: "completion" }, row.completionTokens);
      if (row.spend) m.gatewaySpend.inc({ model_group, key_alias }, row.spend);
      const attempts = Array.isArray(row.attempts) ? (row.attempts as Attempt[]) : [];
      if (attempts.length > 1) m.gatewayRetries.inc({ model_group: labels.modelGroup.of(attempts[0]!.model_group) }, attempts.length - 1);
      const asked = attempts[0]?.model_group;
      if (asked && attempts.some((a) => a.model_group !== asked)) m.gatewayFallbacks.inc({ model_group: labels.modelGroup.of(asked) });
      for (const a of attempts) {
        const group = labels.modelGroup.of(a.model_group);
        if (a.status !== 200) m.gatewayUpstreamFailures.inc({ model_group: group, status: upstreamStatus(a.status) });
        if (a.cooldown) m.gatewayCooldowns.inc({ model_group: group });
      }
    },
    refused(code, modelGroup, keyAlias) {
      m.gatewayRejections.inc({ reason: code });
      m.gatewayRequests.inc({
        model_group: modelGroup === null ? "unknown" : labels.modelGroup.of(modelGroup),
        key_alias: labels.keyAlias.of(keyAlias),
        status: "rejected",
      });
    },
  };
  const turns: TurnMetricsSink = {
    started: () => m.turnsStarted.inc(),
    firstEvent: (s) => m.turnFirstEvent.observe(s),
    finished(outcome, s) {
      m.turnsFinished.inc({ outcome });
      m.turnDuration.observe({ outcome }, s);
    },
  };
  const sandboxes: SandboxMetricsSink = {
    started(kind, s) {
      m.sandboxStarts.inc({ kind });
      m.sandboxStartDuration.observe({ kind }, s);
    },
    failed: () => m.sandboxStartFailures.inc(),
    pool: (hit) => (hit ? m.warmPoolHits.inc() : m.warmPoolMisses.inc()),
  };
  const mcp: McpMetricsSink = {
    call(server, tool, outcome, ms) {
      const labelsOf = { server: labels.mcpServer.of(server), tool: labels.mcpTool.of(tool) };
      m.mcpCalls.inc({ ...labelsOf, outcome });
      m.mcpDuration.observe(labelsOf, ms / 1000);
    },
  };
  const slack: SlackMetricsSink = {
    received: () => m.slackReceived.inc(),
    deduplicated: () => m.slackDeduplicated.inc(),
    failed: () => m.slackFailed.inc(),
  };
  const eventAppend = (seconds: number) => m.eventAppendDuration.observe(seconds);
  const busLag = (path: "local" | "replica", seconds: number) => m.eventBusLag.observe({ path }, seconds);
  return { gateway, turns, sandboxes, mcp, slack, eventAppend, busLag };
}
export type MetricRecorders = ReturnType<typeof recordersFor>;
