/**
 * A local OTLP/HTTP trace receiver on loopback, standing in for an OpenTelemetry Collector (or
 * Jaeger, Tempo, Honeycomb...). It speaks the real wire format: POST /v1/traces with an
 * ExportTraceServiceRequest in OTLP/JSON (what @opentelemetry/exporter-trace-otlp-http sends), answered
 * with an empty ExportTraceServiceResponse. Spans are kept flattened for assertions.
 */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
  service: string;
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Requests that were not a valid OTLP/JSON export. */
  rejected: string[];
  /** Headers of the last export (OTEL_EXPORTER_OTLP_HEADERS reach the collector). */
  lastHeaders: Record<string, string>;
  stop(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

const valueOf = (v: AnyValue) =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.boolValue ?? v.doubleValue ?? "";
const attrs = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));

export function startOtlpReceiver(): OtlpReceiver {
  const receiver: OtlpReceiver = { url: "", spans: [], rejected: [], lastHeaders: {}, stop: async () => {} };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method !== "POST" || path !== "/v1/traces") return new Response("not found", { status: 404 });
      if (!(req.headers.get("content-type") ?? "").startsWith("application/json")) {
        receiver.rejected.push(`content-type ${req.headers.get("content-type")}`);
        return new Response("only OTLP/JSON here", { status: 415 });
      }
      receiver.lastHeaders = Object.fromEntries(req.headers);
      let body: {
        resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }>;
      };
      try {
        body = await req.json();
      } catch (err) {
        receiver.rejected.push(String(err));
        return new Response("bad json", { status: 400 });
      }
      if (!Array.isArray(body.resourceSpans)) {
        receiver.rejected.push("no resourceSpans");
        return new Response("bad request", { status: 400 });
      }
      for (const rs of body.resourceSpans) {
        const service = String(attrs(rs.resource?.attributes)["service.name"] ?? "");
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            receiver.spans.push({
              traceId: String(s.traceId),
              spanId: String(s.spanId),
              parentSpanId: String(s.parentSpanId ?? ""),
              name: String(s.name),
              kind: Number(s.kind ?? 0),
              attributes: attrs(s.attributes as KeyValue[] | undefined),
              status: (s.status as ReceivedSpan["status"]) ?? {},
              service,
            });
          }
        }
      }
      return Response.json({});
    },
  });
  receiver.url = `http://127.0.0.1:${server.port}`;
  receiver.stop = async () => {
    await server.stop(true);
  };
  return receiver;
}

/** A W3C traceparent for a fresh trace, as a client that traces would send. */
export function newTraceparent(): { traceparent: string; traceId: string; spanId: string } {
  const hex = (n: number) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceparent: `00-${traceId}-${spanId}-01`, traceId, spanId };
}
