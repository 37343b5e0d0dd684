import { Elysia } from "elysia";
import { covers, scopeOf } from "../../auth/policy";
import type { AuthGuard } from "../../http/auth-guard";
import type { LiveBus } from "../events/bus";
import { statusStreamQuery } from "../model";
import { HEARTBEAT_MS } from "./routes";

/**
 * `GET /api/sessions/stream`: SSE of session status changes (created, deleted, status changed) for
 * the dashboard's sessions list. Fed by a database trigger through LISTEN/NOTIFY, so changes made
 * on any replica arrive. No replay: a client opens the stream first, then reads the list, and
 * re-reads the list whenever it reconnects. A member gets only its teams' sessions' changes.
 */
export function statusStreamRoutes(deps: { bus: LiveBus; guard: AuthGuard; heartbeatMs?: number; openStreams?: Set<() => void> }) {
  const open = deps.openStreams ?? new Set<() => void>();
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;
  return new Elysia({ detail: { tags: ["Sessions"] } }).use(deps.guard).get(
    "/stream",
    ({ query, request, principal }) => {
      const scope = scopeOf(principal);
      const enc = new TextEncoder();
      let close = () => {};
      const body = new ReadableStream<Uint8Array>({
        start: (ctrl) => {
          const push = (text: string) => {
            try {
              ctrl.enqueue(enc.encode(text));
            } catch {
              close();
            }
          };
          const end = () => {
            try {
              ctrl.close();
            } catch {}
          };
          push("retry: 1000\n: connected\n\n");
          const beat = setInterval(() => push(": heartbeat\n\n"), heartbeatMs);
          const off = deps.bus.onStatus((change) => {
            if (query.agent_id && change.agent_id !== query.agent_id) return;
            // A member hears only about its teams' sessions.
            const { owner_key_id: _owner, team_id: team, ...visible } = change;
            if (!covers(scope, team ?? "", change.id)) return;
            push(`event: status\ndata: ${JSON.stringify(visible)}\n\n`);
          });
          open.add(end);
          close = () => {
            clearInterval(beat);
            off();
            open.delete(end);
          };
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
    { query: statusStreamQuery, detail: { summary: "Session status changes as SSE (created, deleted, status), from every replica" } },
  );
}
