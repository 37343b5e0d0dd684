import { context, propagation, type Context } from "@opentelemetry/api";

/**
 * The W3C trace context of each local sandbox's current turn, for the LAP bridge
 * (server/sandboxes/host/lap-bridge.ts): every model or MCP call a harness makes through the bridge
 * carries its turn's `traceparent`, so the gateway's spans join the turn's trace whatever the
 * harness is. What the sandbox itself sends in `traceparent`/`tracestate` is dropped: it may not
 * attach spans to another trace. Process-wide, like the bridges (one per sandbox, in LAP's process).
 */
const current = new Map<string, Record<string, string>>();

/** Records the active (turn) context for a sandbox; nothing when tracing is off (no valid span). */
export function setSandboxTrace(sandboxId: string, ctx: Context = context.active()) {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (carrier.traceparent) current.set(sandboxId, carrier);
  else current.delete(sandboxId);
}

export function clearSandboxTrace(sandboxId: string) {
  current.delete(sandboxId);
}

/** The trace headers to put on a request the sandbox's bridge forwards (empty: none). */
export function sandboxTraceHeaders(sandboxId: string | undefined): Record<string, string> {
  return (sandboxId && current.get(sandboxId)) || {};
}
