import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  ErrorCode,
  McpError,
  type CallToolRequest,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import type { McpServerRow } from "../../schema";
import type { CallStatus } from "../calls/log";
import { McpPolicy, type McpCaller } from "../policy/service";
import type { McpGateway, VisibleServer } from "../service";
import { describe, UpstreamUnavailableError, type DownstreamRequester, type UpstreamConnection } from "../upstream/connection";

/** JSON-RPC error code for a call the access policy refuses (server-defined range). */
export const ACCESS_DENIED = -32003;

export interface CallToolContext {
  gateway: McpGateway;
  caller: McpCaller;
  visible: VisibleServer | undefined;
  serverName: string;
  tool: string;
  request: CallToolRequest;
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>;
  upstream(row: McpServerRow): Promise<UpstreamConnection>;
  /** Puts the upstream's sampling/elicitation/roots requests to this call's downstream client. */
  requester?: DownstreamRequester;
}

/**
 * One proxied tools/call: policy check, forward with the caller's cancellation signal and progress
 * token, and a call-log row whatever happens (denied calls included).
 */
export async function callTool(ctx: CallToolContext): Promise<CallToolResult> {
  const started = performance.now();
  const row = ctx.visible?.row;
  const logPayloads = row?.logPayloads ?? false;
  const record = (status: CallStatus, extra: { error?: string; result?: unknown } = {}) =>
    ctx.gateway.calls.record({
      caller: ctx.caller,
      serverId: row?.id ?? null,
      serverName: ctx.serverName,
      tool: ctx.tool,
      status,
      durationMs: performance.now() - started,
      error: extra.error,
      arguments: logPayloads ? (ctx.request.params.arguments ?? null) : undefined,
      result: logPayloads ? extra.result : undefined,
    });

  if (!row || !McpPolicy.mayCall(row, ctx.visible!.grant, ctx.tool)) {
    const message = `Access denied: this key may not call ${ctx.tool} on ${ctx.serverName}`;
    record("denied", { error: message });
    throw new McpError(ACCESS_DENIED, message);
  }

  const progressToken = ctx.request.params._meta?.progressToken;
  const params = { ...ctx.request.params, name: ctx.tool };
  // Progress is relayed in order and flushed before the result, or the last update would race the
  // response onto the caller's stream and be dropped when the stream closes.
  let relayed: Promise<unknown> = Promise.resolve();
  const relay = (p: { progress: number; total?: number; message?: string }) => {
    relayed = relayed
      .then(() => ctx.extra.sendNotification({ method: "notifications/progress", params: { ...p, progressToken: progressToken! } }))
      .catch(() => {});
  };
  try {
    const conn = await ctx.upstream(row);
    if (ctx.requester) conn.inFlight.add(ctx.requester);
    const result = (await conn
      .withClient(
        (client) =>
          client.callTool(params, undefined, {
            signal: ctx.extra.signal,
            timeout: conn.spec.timeoutMs,
            resetTimeoutOnProgress: progressToken !== undefined,
            onprogress: progressToken === undefined ? undefined : relay,
          }),
        false,
      )
      .finally(() => ctx.requester && conn.inFlight.delete(ctx.requester))) as CallToolResult;
    await relayed;
    record(result.isError ? "error" : "ok", { result, error: result.isError ? firstText(result) : undefined });
    return result;
  } catch (err) {
    const status: CallStatus = ctx.extra.signal.aborted
      ? "cancelled"
      : err instanceof UpstreamUnavailableError
        ? "unavailable"
        : err instanceof McpError && err.code === ErrorCode.RequestTimeout
          ? "timeout"
          : "error";
    record(status, { error: describe(err) });
    throw err;
  }
}

function firstText(result: CallToolResult): string | undefined {
  const text = result.content?.find((c) => c.type === "text");
  return text && "text" in text ? String(text.text).slice(0, 500) : undefined;
}
