import { Elysia } from "elysia";
import type { AuthGuard } from "../../http/auth-guard";
import { badRequest } from "../../lib/errors";
import type { StoredEvent } from "../events/types";
import { sessionIdParams, streamQuery, streamTokenView } from "../model";
import type { SessionService } from "../service";
import type { StreamTokens } from "./tokens";

/** Bun closes connections idle for 30 s (server idleTimeout); heartbeats keep quiet streams open. */
export const HEARTBEAT_MS = 15_000;

const sseFrame = (e: StoredEvent) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

function resumeAfter(query: { after?: number }, request: Request): number {
  if (query.after !== undefined) return query.after;
  const last = request.headers.get("last-event-id");
  if (last === null || last === "") return 0;
  const n = Number(last);
  if (!Number.isInteger(n) || n < 0) throw badRequest("Last-Event-ID: must be a sequence number", [{ field: "Last-Event-ID", message: "must be a sequence number" }]);
  return n;
}

/**
 * `/api/sessions/:id/stream`: the same ordered replay-then-live stream over WebSocket (upgrade) and
 * SSE (plain GET, `id:` = seq, resumable with `?after=` or `Last-Event-ID`).
 */
export function streamRoutes(deps: { sessions: SessionService; guard: AuthGuard; tokens: StreamTokens; heartbeatMs?: number }) {
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;
  const sockets = new Map<string, { close: () => void; beat: ReturnType<typeof setInterval> }>();
  // Mounted inside sessionRoutes, which supplies the /api/sessions prefix.
  return new Elysia({ detail: { tags: ["Sessions"] } })
    .use(deps.guard)
    .post("/:id/stream-token", async ({ params }) => {
      await deps.sessions.row(params.id);
      return deps.tokens.issue(params.id);
    }, {
      params: sessionIdParams,
      response: streamTokenView,
      detail: { summary: "A 5-minute token for ?token= on this session's stream (keeps keys out of URLs)" },
    })
    .get(
      "/:id/stream",
      async ({ params, query, request }) => {
        const after = resumeAfter(query, request);
        await deps.sessions.row(params.id);
        const enc = new TextEncoder();
        let close = () => {};
        let beat: ReturnType<typeof setInterval> | undefined;
        const body = new ReadableStream<Uint8Array>({
          start: async (ctrl) => {
            const push = (text: string) => {
              try {
                ctrl.enqueue(enc.encode(text));
              } catch {
                close();
              }
            };
            push(`retry: 1000\n: connected after ${after}\n\n`);
            beat = setInterval(() => push(": heartbeat\n\n"), heartbeatMs);
            const unsubscribe = await deps.sessions.subscribe(params.id, after, (e) => push(sseFrame(e)), () => {
              try {
                ctrl.close();
              } catch {}
            });
            close = () => {
              clearInterval(beat);
              unsubscribe();
            };
            if (request.signal.aborted) close();
          },
          cancel: () => close(),
        });
        request.signal.addEventListener("abort", () => close(), { once: true });
        return new Response(body, {
          headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" },
        });
      },
      { params: sessionIdParams, query: streamQuery, detail: { summary: "Session events as SSE: stored after N, then live" } },
    )
    .ws("/:id/stream", {
      params: sessionIdParams,
      query: streamQuery,
      beforeHandle: async ({ params }) => {
        await deps.sessions.row(params.id);
      },
      async open(ws) {
        const after = ws.data.query.after ?? 0;
        const beat = setInterval(() => ws.raw.ping(), heartbeatMs);
        const entry = { close: () => {}, beat };
        sockets.set(ws.id, entry);
        const unsubscribe = await deps.sessions.subscribe(
          ws.data.params.id,
          after,
          (e) => ws.raw.send(JSON.stringify(e)),
          () => ws.raw.close(1011, "stream failed"),
        );
        if (!sockets.has(ws.id)) return unsubscribe();
        entry.close = unsubscribe;
      },
      close(ws) {
        const entry = sockets.get(ws.id);
        sockets.delete(ws.id);
        if (entry) {
          clearInterval(entry.beat);
          entry.close();
        }
      },
    });
}
