import { Elysia } from "elysia";
import type { AuthGuard } from "../http/auth-guard";
import type { LapMetrics } from "./registry";

/**
 * GET /metrics: Prometheus text format (docs/operations.md "Metrics"). Admin keys, the master key,
 * dashboard sessions, or the scrape token LAP_METRICS_TOKEN (server/http/route-policy.ts).
 */
export function metricsRoutes(deps: { metrics: LapMetrics; guard: AuthGuard }) {
  return new Elysia()
    .use(deps.guard)
    .get(
      "/metrics",
      async () =>
        new Response(await deps.metrics.scrape(), { headers: { "content-type": deps.metrics.contentType, "cache-control": "no-store" } }),
      {
        detail: {
          summary: "Prometheus metrics",
          description: "Text exposition format. Admin key, master key, or the scrape token LAP_METRICS_TOKEN.",
          tags: ["Operations"],
        },
      },
    );
}

export { LapMetrics } from "./registry";
export { recordersFor, type MetricRecorders } from "./recorders";
