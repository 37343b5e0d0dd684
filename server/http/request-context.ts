import { Elysia } from "elysia";
import { randomUUID } from "node:crypto";
import type { Logger } from "../lib/logger";
import { ApiError, envelope } from "../lib/errors";

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const started = new WeakMap<Request, { id: string; at: number }>();

/** The request id of a request (the caller's `x-request-id` when well-formed, else a new one). */
export function requestIdOf(request: Request): string | undefined {
  return started.get(request)?.id;
}

/**
 * Request id, body limit and access log for every request. Runs in `onRequest`, before routing
 * and parsing, so even a 404, a 413 or a malformed body gets an id and a log line.
 */
export function requestContext(opts: { logger: Logger; maxBodyBytes: number }) {
  const plugin = new Elysia({ name: "request-context" })
    .onRequest(({ request, set }) => {
      const given = request.headers.get("x-request-id");
      const id = given && REQUEST_ID.test(given) ? given : randomUUID();
      started.set(request, { id, at: performance.now() });
      set.headers["x-request-id"] = id;
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > opts.maxBodyBytes) {
        set.status = 413;
        return envelope(
          new ApiError(413, "payload_too_large", `Request body is ${length} bytes; the limit is ${opts.maxBodyBytes} (LAP_MAX_BODY_BYTES)`),
          id,
        );
      }
    })
    .derive({ as: "global" }, ({ request }) => {
      const requestId = requestIdOf(request) ?? randomUUID();
      // A child logger costs a redaction pass over its bindings; a silent one would never use them.
      return { requestId, log: opts.logger.level === "silent" ? opts.logger : opts.logger.child({ request_id: requestId }) };
    });
  // LOG_LEVEL is fixed for the process: below info there is no access log, so no after-response hook
  // (Elysia schedules one per request when any is registered).
  if (!opts.logger.isLevelEnabled("info")) return plugin;
  return plugin.onAfterResponse({ as: "global" }, ({ request, set, path }) => {
    const info = started.get(request);
    opts.logger.info(
      {
        request_id: info?.id,
        method: request.method,
        path,
        status: typeof set.status === "number" ? set.status : 200,
        duration_ms: info ? Math.round((performance.now() - info.at) * 100) / 100 : undefined,
      },
      "request",
    );
  });
}
