import { SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { ApiError } from "../../lib/errors";
import { UpstreamError } from "../providers/upstream";

/**
 * The gateway's spans (docs/operations.md "Traces"): `lap.gateway.call` around a call, to its response's
 * headers (a stream's end is in the spend log), and a client span per upstream attempt. Attributes:
 * model asked, model group, deployment, provider, statuses; never the messages or a key.
 */
export function traceCall(
  tracer: Tracer | undefined,
  attributes: Record<string, string | boolean>,
  call: () => Promise<Response>,
): Promise<Response> {
  return (tracer ?? trace.getTracer("lap")).startActiveSpan("lap.gateway.call", { attributes }, async (span) => {
    try {
      const res = await call();
      const group = res.headers.get("x-litellm-model-group");
      if (group) span.setAttribute("lap.gateway.model_group", group);
      span.setAttribute("http.response.status_code", res.status);
      return res;
    } catch (err) {
      if (err instanceof ApiError) {
        span.setAttribute("http.response.status_code", err.status);
        span.setAttribute("error.type", err.code);
      }
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message.slice(0, 200) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** One upstream attempt as a client span; an UpstreamError's status becomes `error.type`. */
export async function traceAttempt<T>(
  tracer: Tracer | undefined,
  attributes: Record<string, string>,
  attempt: () => Promise<{ res: Response } & T>,
): Promise<{ res: Response } & T> {
  const span = (tracer ?? trace.getTracer("lap")).startSpan("lap.gateway.upstream", { kind: SpanKind.CLIENT, attributes });
  try {
    const out = await attempt();
    span.setAttribute("http.response.status_code", out.res.status);
    return out;
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message.slice(0, 200) });
    if (err instanceof UpstreamError) span.setAttribute("error.type", String(err.status));
    throw err;
  } finally {
    span.end();
  }
}
