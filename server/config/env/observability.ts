/** Metrics scraping and OpenTelemetry traces (docs/operations.md). */
import { z } from "zod";
import { describedIn, optionalString, urlString } from "./fields";

const { plain, secret } = describedIn("Observability");

export const observabilityEnv = {
  LAP_METRICS_TOKEN: optionalString
    .pipe(z.string().min(16, "must be at least 16 characters").optional())
    .meta(
      secret(
        "Bearer token a Prometheus scraper may use on GET /metrics (and nothing else). Unset: only admin keys, the master key and dashboard sessions may scrape.",
      ),
    ),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString
    .pipe(urlString.optional())
    .meta(
      plain(
        "OTLP/HTTP collector base URL (traces go to <url>/v1/traces). Set: LAP sends OpenTelemetry traces of API requests, turns, sandbox starts, gateway calls and MCP calls. Unset: no tracing.",
      ),
    ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString
    .pipe(urlString.optional())
    .meta(plain("Full OTLP/HTTP traces URL; overrides OTEL_EXPORTER_OTLP_ENDPOINT for traces.")),
  OTEL_EXPORTER_OTLP_HEADERS: optionalString.meta(
    secret("Headers sent to the collector, `key=value` pairs separated by commas (for example an API key)."),
  ),
  OTEL_SERVICE_NAME: z.string().default("lap").meta(plain("service.name of LAP's spans.")),
};
