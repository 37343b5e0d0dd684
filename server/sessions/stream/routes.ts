import { Elysia } from "elysia";
import type { AuthGuard } from "../../http/auth-guard";
import { badRequest } from "../../lib/errors";
import { eventJson, type StoredEvent } from "../../../schema/session-events";
import { sessionIdParams, streamQuery, streamTokenView } from "../model";
import type { SessionService } from "../service";
import type { LiveTopics } from "./live-topics";
import type { StreamTokens } from "./tokens";

/** Bun closes connections idle for 30 s (server idleTimeout); heartbeats keep quiet streams open. */
export const HEARTBEAT_MS = 15_000;

const sseFrames = new WeakMap<StoredEvent, string>();
/** One SSE frame per event, built once however many SSE clients it goes to. */
function sseFrame(e: StoredEvent): string {
  let frame = sseFrames.get(e);
  if (frame === undefined) sseFrames.set(e, (frame = `id: ${e.seq}\nevent: ${e.type}\ndata: ${eventJson(e)}\n\n`));
  return frame;
}

/** Last-Event-ID wins over ?after=: a reconnecting EventSource keeps its original URL but sends the header. */
function resumeAfter(query: { after?: number }, request: Request): number {
  const last = request.headers.get("last-event-id");
  if (last === null || last === "") return query.after ?? 0;
  const n = Number(last);
  if (!Number.isInteger(n) || n < 0)
    throw badRequest("Last-Event-ID: must be a sequence number", [{ field: "Last-Event-ID", message: "must be a sequence number" }]);
  return n;
}

/**
 * `/api/sessions/:id/stream`: the same ordered replay-then-live stream over WebSocket (upgrade) and
 * SSE (plain GET, `id:` = seq, resumable with `?after=` or `Last-Event-ID`).
 */
export function streamRoutes(deps: {
  sessions: SessionService;
  guard: AuthGuard;
  tokens: StreamTokens;
  topics: LiveTopics;
  heartbeatMs?: number;
  openStreams?: Set<() => void>;
}) {
  // Every open stream registers how to end it, so shutdown can close them instead of waiting on them.
  const open = deps.openStreams ?? new Set<() => void>();
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;
  const sockets = new Map<string, { close: () => void; beat: ReturnType<typeof setInterval>; end: () => void }>();
  // Mounted inside sessionRoutes, which supplies the /api/sessions prefix.
  return (
    new Elysia({ detail: { tags: ["Sessions"] } })
      // The listening server's publish() is the native fan-out for WebSocket clients.
      .onStart(({ server }) => deps.topics.bindServer(server))
      .use(deps.guard)
      .post(
        "/:id/stream-token",
        async ({ params, principal }) => {
          await deps.sessions.row(params.id, principal);
          return deps.tokens.issue(params.id);
        },
        {
          params: sessionIdParams,
          response: streamTokenView,
          detail: { summary: "A 5-minute token for ?token= on this session's stream (keeps keys out of URLs)" },
        },
      )
      .get(
        "/:id/stream",
        async ({ params, query, request, principal }) => {
          const after = resumeAfter(query, request);
          await deps.sessions.row(params.id, principal);
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
              const unsubscribe = await deps.sessions.subscribe(
                params.id,
                after,
                (events) => push(events.map(sseFrame).join("")),
                () => {
                  try {
                    ctrl.close();
                  } catch {}
                },
              );
              const end = () => {
                try {
                  ctrl.close();
                } catch {}
              };
              close = () => {
                clearInterval(beat);
                unsubscribe();
                open.delete(end);
              };
              open.add(end);
              if (request.signal.aborted) close();
            },
            cancel: () => close(),
          });
          request.signal.addEventListener("abort", () => close(), { once: true });
          return new Response(body, {
            headers: {
              "content-type": "text/event-stream; charset=utf-8",
              "cache-control": "no-cache, no-transform",
              "x-accel-buffering": "no",
            },
          });
        },
        { params: sessionIdParams, query: streamQuery, detail: { summary: "Session events as SSE: stored after N, then live" } },
      )
      .ws("/:id/stream", {
        params: sessionIdParams,
        query: streamQuery,
        beforeHandle: async ({ params, principal }) => {
          await deps.sessions.row(params.id, principal);
        },
        async open(ws) {
          const after = ws.data.query.after ?? 0;
          const beat = setInterval(() => ws.raw.ping(), heartbeatMs);
          const end = () => ws.raw.close(1001, "LAP is shutting down; reconnect with your last seq");
          const entry = { close: () => {}, beat, end };
          sockets.set(ws.id, entry);
          open.add(end);
          const session = await deps.sessions.row(ws.data.params.id);
          const unsubscribe = await deps.topics.open(session.id, after, session.lastSeq, {
            // cork: a replayed run goes out in as few writes as possible.
            send: (events) =>
              events.length === 1
                ? ws.raw.send(eventJson(events[0]!))
                : ws.raw.cork(() => {
                    for (const e of events) ws.raw.send(eventJson(e));
                  }),
            subscribe: (topic) => ws.raw.subscribe(topic),
            fail: () => ws.raw.close(1011, "stream failed"),
          });
          if (!sockets.has(ws.id)) return unsubscribe();
          entry.close = unsubscribe;
        },
        close(ws) {
          const entry = sockets.get(ws.id);
          sockets.delete(ws.id);
          if (entry) {
            clearInterval(entry.beat);
            open.delete(entry.end);
            entry.close();
          }
        },
      })
  );
}
