import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import {
  acceptedTurnView,
  createSessionBody,
  eventsQuery,
  eventsView,
  listSessionsQuery,
  postMessageBody,
  searchResultView,
  searchSessionsQuery,
  sessionIdParams,
  sessionListView,
  sessionView,
  updateSessionBody,
} from "./model";
import type { Database } from "../db/client";
import { searchSessions } from "./search/service";
import type { TitleService } from "./titles/service";
import type { SessionService } from "./service";
import { attachmentParams } from "./attachments/model";
import type { LiveTopics } from "./stream/live-topics";
import { streamRoutes } from "./stream/routes";
import { statusStreamRoutes } from "./stream/status-routes";
import type { LiveBus } from "./events/bus";
import type { StreamTokens } from "./stream/tokens";

export function sessionRoutes(deps: {
  sessions: SessionService;
  titles: TitleService;
  database: Database;
  guard: AuthGuard;
  tokens: StreamTokens;
  topics: LiveTopics;
  bus: LiveBus;
  heartbeatMs?: number;
  openStreams?: Set<() => void>;
}) {
  return new Elysia({ prefix: "/api/sessions", detail: { tags: ["Sessions"] } })
    .use(deps.guard)
    .use(statusStreamRoutes(deps))
    .post(
      "",
      async ({ body, set, principal }) => {
        set.status = 201;
        return deps.sessions.create(body, principal);
      },
      {
        body: createSessionBody,
        response: { 201: sessionView },
        detail: { summary: "Create a session; answers at once (creating), provisioning runs in the background" },
      },
    )
    .get("", ({ query, principal }) => deps.sessions.list(query, principal), {
      query: listSessionsQuery,
      response: sessionListView,
      detail: { summary: "List sessions, newest first, paginated with next_cursor (no history)" },
    })
    .get("/search", ({ query, principal }) => searchSessions(deps.database, query, principal), {
      query: searchSessionsQuery,
      response: searchResultView,
      detail: { summary: "Full-text search over the titles and messages of the sessions the caller may see, newest first, with snippets" },
    })
    .patch("/:id", ({ params, body, principal }) => deps.titles.rename(params.id, body, principal), {
      params: sessionIdParams,
      body: updateSessionBody,
      response: sessionView,
      detail: { summary: "Rename a session (a generated title never replaces it)" },
    })
    .get("/:id", ({ params, principal }) => deps.sessions.get(params.id, principal), { params: sessionIdParams, response: sessionView })
    .delete(
      "/:id",
      async ({ params, principal }) => {
        await deps.sessions.remove(params.id, principal);
        return { ok: true };
      },
      {
        params: sessionIdParams,
        response: z.object({ ok: z.boolean() }),
        detail: { summary: "Stop and delete a session with its events" },
      },
    )
    .post("/:id/stop", ({ params, principal }) => deps.sessions.stop(params.id, undefined, principal), {
      params: sessionIdParams,
      response: sessionView,
      detail: { summary: "Stop the running turn, drop the queue and end the runtime session" },
    })
    .post(
      "/:id/messages",
      async ({ params, body, set, principal }) => {
        const accepted = await deps.sessions.postMessage(params.id, body, principal);
        set.status = 202;
        return accepted;
      },
      {
        params: sessionIdParams,
        body: postMessageBody,
        response: { 202: acceptedTurnView },
        detail: { summary: "Store a user message and queue its turn (or interrupt the running one with interrupt: true)" },
      },
    )
    .post("/:id/interrupt", ({ params, principal }) => deps.sessions.interrupt(params.id, principal), {
      params: sessionIdParams,
      response: z.object({ interrupted: z.boolean() }),
      detail: { summary: "Stop the running turn (the queue carries on)" },
    })
    .get(
      "/:id/events",
      ({ params, query, principal }) => deps.sessions.events(params.id, query.after, query.limit, principal, query.deltas),
      {
        params: sessionIdParams,
        query: eventsQuery,
        response: eventsView,
        detail: { summary: "Stored events after a sequence number" },
      },
    )
    .get(
      "/:id/attachments/:attachment_id",
      async ({ params, principal }) => {
        const found = await deps.sessions.attachment(params.id, params.attachment_id, principal);
        // Only the media types LAP accepted (checked against the bytes) are served, never rendered as a page.
        return new Response(found.bytes as Uint8Array<ArrayBuffer>, {
          headers: {
            "content-type": found.mediaType === "text/plain" ? "text/plain; charset=utf-8" : found.mediaType,
            "content-disposition": found.mediaType.startsWith("image/")
              ? "inline"
              : `attachment; filename="${params.attachment_id}${found.mediaType === "application/pdf" ? ".pdf" : ".txt"}"`,
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": "private, max-age=86400, immutable",
          },
        });
      },
      { params: attachmentParams, detail: { summary: "The bytes of an image or document attached to a message of the session" } },
    )
    .use(streamRoutes(deps));
}
