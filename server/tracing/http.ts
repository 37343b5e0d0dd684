import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import { Elysia } from "elysia";
import type { Tracing } from "./tracing";

const spans = new WeakMap<Request, Span>();
const headerGetter = {
  keys: (h: Headers) => [...h.keys()],
  get: (h: Headers, key: string) => h.get(key) ?? undefined,
};

/**
 * A server span per request, entered for the rest of the request's async chain so the spans of the
 * turn, gateway call or MCP call it leads to are its children. A W3C `traceparent` on the request
 * (a client's, or the one the LAP bridge puts on a sandbox's model calls) makes it a child of that
 * trace. Named `METHOD /route/:template`; attributes: method, route template, status. No path, query,
 * header or body is recorded (they can hold ids of other people's objects, tokens, prompts).
 */
export function httpTracing(tracing: Tracing) {
  const plugin = new Elysia({ name: "http-tracing" });
  if (!tracing.enabled) return plugin;
  return plugin
    .onRequest(({ request }) => {
      const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
      const span = tracing.tracer.startSpan(
        request.method,
        { kind: SpanKind.SERVER, attributes: { "http.request.method": request.method } },
        parent,
      );
      spans.set(request, span);
      tracing.enter(trace.setSpan(parent, span));
    })
    .onAfterResponse({ as: "global" }, ({ request, route, set, responseValue }) => {
      const span = spans.get(request);
      if (!span) return;
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
      if (typeof route === "string" && route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute("http.route", route);
      }
      span.setAttribute("http.response.status_code", status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
}
