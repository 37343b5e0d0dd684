import { and, desc, eq, type SQL } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { mcpToolCalls, type McpToolCallRow } from "../../schema";
import type { Database } from "../../server/db/client";
import type { Logger } from "../../server/lib/logger";
import type { McpMetricsSink } from "../../server/metrics/recorders";
import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { ToolCallView } from "../model";
import type { McpCaller } from "../policy/service";

export type CallStatus = McpToolCallRow["status"];

export interface ToolCallRecord {
  caller: McpCaller;
  serverId: string | null;
  serverName: string;
  tool: string;
  status: CallStatus;
  durationMs: number;
  error?: string;
  arguments?: unknown;
  result?: unknown;
}

const FLUSH_MS = 200;
const MAX_BATCH = 500;

/**
 * The record of every tools/call. Rows are queued and written in batches off the request path, so
 * logging adds no database round trip to a call; `flush()` drains the queue (tests, shutdown).
 */
export class ToolCallLog {
  private queue: Array<typeof mcpToolCalls.$inferInsert> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { database: Database; logger?: Logger; metrics?: McpMetricsSink; tracer?: Tracer }) {}

  record(r: ToolCallRecord) {
    this.deps.metrics?.call(r.serverName, r.tool, r.status, r.durationMs);
    this.span(r);
    this.queue.push({
      id: randomUUID(),
      serverId: r.serverId,
      serverName: r.serverName,
      tool: r.tool,
      keyId: r.caller.keyId ?? null,
      callerLabel: r.caller.label,
      userId: r.caller.userId ?? null,
      agentId: r.caller.agentId ?? null,
      sessionId: r.caller.sessionId ?? null,
      status: r.status,
      durationMs: Math.round(r.durationMs),
      error: r.error?.slice(0, 2000) ?? null,
      arguments: r.arguments ?? null,
      result: r.result ?? null,
      createdAt: new Date(),
    });
    if (r.status === "denied")
      this.deps.logger?.warn({ key_id: r.caller.keyId, server: r.serverName, tool: r.tool }, "MCP tool call denied");
    if (this.queue.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /**
   * The call as a client span in the active trace (the MCP request's, which a harness's call joins through
   * the LAP bridge), timed from its recorded duration. Server, tool and outcome only: no arguments or results.
   */
  private span(r: ToolCallRecord) {
    if (!this.deps.tracer) return;
    const end = Date.now();
    const span = this.deps.tracer.startSpan("lap.mcp.call", {
      kind: SpanKind.CLIENT,
      startTime: end - r.durationMs,
      attributes: { "mcp.server": r.serverName, "mcp.tool": r.tool, "lap.mcp.outcome": r.status },
    });
    if (r.status !== "ok") span.setStatus({ code: SpanStatusCode.ERROR, message: r.status });
    span.end(end);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue.splice(0);
    this.flushing = this.flushing.then(async () => {
      if (!batch.length) return;
      try {
        await this.deps.database.db.insert(mcpToolCalls).values(batch);
      } catch (err) {
        this.deps.logger?.error({ err, rows: batch.length }, "could not write MCP tool call log");
      }
    });
    return this.flushing;
  }

  async list(q: { server?: string; session_id?: string; status?: CallStatus; limit: number }): Promise<ToolCallView[]> {
    await this.flush();
    const where: SQL[] = [];
    if (q.server) where.push(eq(mcpToolCalls.serverName, q.server));
    if (q.session_id) where.push(eq(mcpToolCalls.sessionId, q.session_id));
    if (q.status) where.push(eq(mcpToolCalls.status, q.status));
    const rows = await this.deps.database.db
      .select()
      .from(mcpToolCalls)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(mcpToolCalls.createdAt))
      .limit(q.limit);
    return rows.map((r) => ({
      id: r.id,
      server_name: r.serverName,
      tool: r.tool,
      key_id: r.keyId,
      caller_label: r.callerLabel,
      user_id: r.userId,
      agent_id: r.agentId,
      session_id: r.sessionId,
      status: r.status,
      duration_ms: r.durationMs,
      error: r.error,
      arguments: r.arguments ?? null,
      result: r.result ?? null,
      created_at: r.createdAt.toISOString(),
    }));
  }
}
