import { z } from "zod";
import { SESSION_STATUSES } from "../../schema/sessions";
import { idString, safeString } from "../lib/strings";
import { storedEventView } from "../../schema/session-events";
import { messageContent } from "./attachments/model";

export * from "../../schema/session-events";

export const sessionStatus = z.enum(SESSION_STATUSES);

/**
 * `text` is shorthand for `content: [{type:"text", text}]`. `content` may carry image and document
 * blocks (./attachments/model.ts, docs/sessions.md "Attachments").
 */
export const postMessageBody = z
  .object({
    text: z.string().min(1, "must not be empty").max(100_000, "at most 100000 characters").optional(),
    content: messageContent.optional(),
    /** Interrupt the running turn instead of queueing behind it. */
    interrupt: z.boolean().default(false),
  })
  .strict()
  .refine((b) => (b.text === undefined) !== (b.content === undefined), { message: "send either text or content", path: ["text"] });
export type PostMessageInput = z.input<typeof postMessageBody>;

export const createSessionBody = z
  .object({
    agent_id: z
      .string({ error: (i) => (i.input === undefined ? "required: the agent to talk to" : "must be a string") })
      .min(1, "required: the agent to talk to")
      .max(64),
    title: z.string().max(200, "at most 200 characters").optional(),
    prompt: z.string().min(1, "must not be empty").max(100_000).optional(),
    /** The first message as content blocks, attachments included (docs/sessions.md "Attachments"); instead of `prompt`. */
    content: messageContent.optional(),
  })
  .strict()
  .refine((b) => b.prompt === undefined || b.content === undefined, { message: "send either prompt or content", path: ["content"] });
export type CreateSessionInput = z.input<typeof createSessionBody>;

export const sessionIdParams = z.object({ id: idString(64) });

export const listSessionsQuery = z.object({
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(200, "at most 200").default(50),
  /** Opaque cursor from `next_cursor`. */
  cursor: z.string().max(200).optional(),
  agent_id: z.string().max(64).optional(),
  status: sessionStatus.optional(),
});

export const eventsQuery = z.object({
  after: z.coerce.number({ error: "must be a sequence number" }).int("must be a whole number").min(0, "must be 0 or more").default(0),
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(1000, "at most 1000").default(200),
  /** `true`: also the `agent.message_delta` pieces of a message still being written. */
  deltas: z
    .enum(["true", "false"], { error: "must be true or false" })
    .default("false")
    .transform((v) => v === "true"),
});

export const streamQuery = z.object({
  after: z.coerce.number({ error: "must be a sequence number" }).int("must be a whole number").min(0, "must be 0 or more").optional(),
  /** Short-lived stream token from POST /api/sessions/:id/stream-token (for EventSource/WebSocket in a browser). */
  token: z.string().max(500).optional(),
});

export const sessionView = z.object({
  id: z.string(),
  agent_id: z.string().nullable(),
  agent_name: z.string().nullable(),
  title: z.string(),
  status: sessionStatus,
  runtime_id: z.string().nullable(),
  error: z.string().nullable(),
  last_seq: z.number(),
  team_id: z.string(),
  queued_turns: z.number(),
  /** Total cost of the session's gateway calls (USD, from the spend log; docs/sessions.md "Cost"). */
  spend: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type SessionView = z.infer<typeof sessionView>;

export const sessionListView = z.object({ data: z.array(sessionView.omit({ queued_turns: true })), next_cursor: z.string().nullable() });
export const eventsView = z.object({ data: z.array(storedEventView), last_seq: z.number() });
export const acceptedTurnView = z.object({ turn_id: z.string(), seq: z.number(), queued: z.boolean() });
export const streamTokenView = z.object({ token: z.string(), expires_at: z.string() });

/** One frame of GET /api/sessions/stream: a session was created, deleted, or changed status. */
export const sessionStatusChange = z.object({
  op: z.enum(["insert", "update", "delete"]),
  id: z.string(),
  agent_id: z.string().nullable(),
  status: sessionStatus,
  error: z.string().nullable(),
  updated_at: z.string(),
  /** The session's title (a generated title or a rename also send a frame). */
  title: z.string().optional(),
  /** Who may see the change (server/auth/policy.ts); not sent to clients. */
  owner_key_id: z.string().nullable().optional(),
  team_id: z.string().nullable().optional(),
});
export type SessionStatusChange = z.infer<typeof sessionStatusChange>;

export const statusStreamQuery = z.object({
  /** Only this agent's sessions. */
  agent_id: z.string().max(64).optional(),
});

/** `PATCH /api/sessions/:id`: rename (a title a person set is never replaced by a generated one). */
export const updateSessionBody = z
  .object({ title: safeString({ max: 200, line: true }).refine((t) => t.trim().length > 0, "must not be empty") })
  .strict();
export type UpdateSessionInput = z.infer<typeof updateSessionBody>;

/** `GET /api/sessions/search?q=`: full-text search over titles and messages (docs/sessions.md "Search"). */
export const searchSessionsQuery = z.object({
  q: z
    .string({ error: "required: what to search for" })
    .max(200, "at most 200 characters")
    .refine((q) => q.trim().length >= 2, "at least 2 characters"),
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(100, "at most 100").default(20),
  /** Opaque cursor from `next_cursor`. */
  cursor: z.string().max(200).optional(),
  agent_id: z.string().max(64).optional(),
});
export type SearchSessionsQuery = z.infer<typeof searchSessionsQuery>;

/** A snippet in pieces: `match` marks the words the query found (the dashboard highlights them). */
export const snippetPart = z.object({ text: z.string(), match: z.boolean() });
export const searchHitView = z.object({
  session: sessionView.omit({ queued_turns: true }),
  /** Where it matched: the title, or the first matching message (its event's `seq`). */
  matched: z.enum(["title", "message"]),
  seq: z.number().nullable(),
  snippet: z.string(),
  highlights: z.array(snippetPart),
});
export const searchResultView = z.object({ data: z.array(searchHitView), next_cursor: z.string().nullable() });
