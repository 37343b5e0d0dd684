/**
 * OpenTelemetry traces (docs/operations.md "Traces"): on when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, sent over OTLP/HTTP in batches. One trace follows an API
 * request through the turn it starts, the sandbox start, each gateway call and its upstream attempts,
 * and MCP calls; a harness's model calls join it through the LAP bridge (./sandbox-trace.ts).
 * Off, every span is a no-op and nothing is sent. Spans carry ids, route templates, model groups,
 * statuses: never a prompt, a key or a secret (docs/security.md "Metrics and traces").
 */
import { context, propagation, ROOT_CONTEXT, trace, type Context, type ContextManager, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from "@opentelemetry/sdk-trace";
import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The active context per async call chain. Like the SDK's AsyncLocalStorageContextManager, plus
 * `enter`: Elysia runs a request's hooks and handler in one chain but gives no wrapper around it,
 * so the request span is entered from `onRequest` (server/tracing/http.ts).
 */
export class LapContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== "function") return target;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    return ((...a: unknown[]) => this.with(ctx, () => fn(...a))) as unknown as T;
  }

  /** Makes `ctx` the active context for the rest of the current async chain. */
  enter(ctx: Context) {
    this.storage.enterWith(ctx);
  }

  enable(): this {
    return this;
  }

  disable(): this {
    return this;
  }
}

export interface Tracing {
  enabled: boolean;
  tracer: Tracer;
  /** Enters a context for the rest of the current async chain (no-op when tracing is off). */
  enter(ctx: Context): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** `key=value,key2=value2` (OTEL_EXPORTER_OTLP_HEADERS), values URL-decoded as the spec says. */
export function parseOtlpHeaders(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (value ?? "").split(",")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return out;
}

let contextManager: LapContextManager | undefined;

/** The process-wide context manager and W3C propagator (the OTel API keeps these globally). */
function installGlobals(): LapContextManager {
  if (!contextManager) {
    contextManager = new LapContextManager();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
  return contextManager;
}

export interface TracingSettings {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  OTEL_SERVICE_NAME?: string;
}

/** The traces URL: the traces endpoint as given, else `<endpoint>/v1/traces` (the OTLP/HTTP convention). */
export function tracesUrl(env: TracingSettings): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
}

const disabled: Tracing = {
  enabled: false,
  tracer: trace.getTracer("lap-disabled"),
  enter: () => {},
  forceFlush: async () => {},
  shutdown: async () => {},
};

/**
 * Tracing from LAP's configuration, or the no-op when no endpoint is set. `exporter` replaces the
 * OTLP exporter (tests of the wiring); `version` goes into service.version.
 */
export function createTracing(env: TracingSettings, opts: { version?: string; exporter?: SpanExporter } = {}): Tracing {
  const url = tracesUrl(env);
  if (!url && !opts.exporter) return disabled;
  const manager = installGlobals();
  const exporter = opts.exporter ?? new OTLPTraceExporter({ url, headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS) });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      "service.name": env.OTEL_SERVICE_NAME ?? "lap",
      ...(opts.version ? { "service.version": opts.version } : {}),
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
  });
  return {
    enabled: true,
    // The provider is not registered globally: each app's spans go to its own exporter.
    tracer: provider.getTracer("lap"),
    enter: (ctx) => manager.enter(ctx),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

export const noTracing = disabled;
