import { Elysia } from "elysia";
import type { LapMetrics } from "./registry";

const started = new WeakMap<Request, number>();
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Counts every request and its latency by method, route template (`/api/sessions/:id`, never the
 * path) and status. A request no route matched is `route="unmatched"`; the dashboard's files (and
 * unknown paths, which its fallback answers with 404) are `/*`. Recorded after the response is sent.
 */
export function httpMetrics(metrics: LapMetrics) {
  return new Elysia({ name: "http-metrics" })
    .onRequest(({ request }) => {
      started.set(request, performance.now());
    })
    .onAfterResponse({ as: "global" }, ({ request, route, set, responseValue }) => {
      const at = started.get(request);
      // A handler that returns a Response sets its status there, not in `set`.
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
      const labels = {
        method: METHODS.has(request.method) ? request.method : "other",
        route: typeof route === "string" && route ? route : "unmatched",
        status: String(status),
      };
      metrics.httpRequests.inc(labels);
      if (at !== undefined) metrics.httpDuration.observe(labels, (performance.now() - at) / 1000);
    });
}
