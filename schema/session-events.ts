import { z } from "zod";

/**
 * LAP's normalized session events (DESIGN.md "Normalized events"). Every runtime adapter maps what
 * its runtime sends onto these; clients only ever see these. Unknown fields are kept (passthrough)
 * so a runtime's extra detail survives into the inspector. They are the shape of `session_events.data`
 * (./sessions.ts), here below the sessions, runtimes and sandboxes modules that all speak them.
 */
const textPart = z.object({ type: z.literal("text"), text: z.string() }).loose();
const contentPart = z.union([textPart, z.object({ type: z.string() }).loose()]);
export const contentParts = z.array(contentPart);
export type ContentPart = z.infer<typeof contentPart>;

/**
 * A person's decision on a tool call, as the content of a confirmation turn (the queue stores turn
 * content). Adapters send it to the runtime as a Managed Agents `user.tool_confirmation` event.
 */
export const toolConfirmationPart = z.object({
  type: z.literal("tool_confirmation"),
  tool_use_id: z.string().min(1),
  result: z.enum(["allow", "deny"]),
  deny_message: z.string().optional(),
});
export type ToolConfirmationPart = z.infer<typeof toolConfirmationPart>;

/** The confirmation a turn carries, or null for an ordinary message. */
export function confirmationIn(content: ContentPart[]): ToolConfirmationPart | null {
  if (content.length !== 1) return null;
  const parsed = toolConfirmationPart.safeParse(content[0]);
  return parsed.success ? parsed.data : null;
}

/** The Managed Agents event for a confirmation (`type` plus its fields, no `type` of the part). */
export const toolConfirmationEvent = ({ tool_use_id, result, deny_message }: ToolConfirmationPart) => ({
  type: "user.tool_confirmation" as const,
  tool_use_id,
  result,
  ...(deny_message ? { deny_message } : {}),
});

export const sessionEventData = z.discriminatedUnion("type", [
  z.object({ type: z.literal("user.message"), content: contentParts, turn_id: z.string().optional() }).loose(),
  z
    .object({
      type: z.literal("user.tool_confirmation"),
      tool_use_id: z.string(),
      result: z.enum(["allow", "deny"]),
      deny_message: z.string().optional(),
      turn_id: z.string().optional(),
    })
    .loose(),
  z.object({ type: z.literal("session.status_running") }).loose(),
  /**
   * A whole message of the agent. `message_id` (LAP's, for messages it assembled from deltas) names
   * the `agent.message_delta` events it replaces; `incomplete` marks a reply the turn cut short.
   */
  z
    .object({
      type: z.literal("agent.message"),
      content: contentParts,
      message_id: z.string().optional(),
      incomplete: z.boolean().optional(),
    })
    .loose(),
  /**
   * A piece of a message still being written (docs/sessions.md "Messages and deltas"): stored while
   * the message streams and deleted when its `agent.message` is stored.
   */
  z.object({ type: z.literal("agent.message_delta"), message_id: z.string(), text: z.string() }).loose(),
  z.object({ type: z.literal("agent.thinking"), thinking: z.string().optional() }).loose(),
  z
    .object({
      type: z.literal("agent.tool_use"),
      id: z.string().optional(),
      name: z.string(),
      input: z.unknown().optional(),
      /** "ask": the runtime waits for a `user.tool_confirmation` (the turn ends with requires_action). */
      evaluated_permission: z.string().optional(),
    })
    .loose(),
  z
    .object({
      type: z.literal("agent.tool_result"),
      tool_use_id: z.string().optional(),
      content: z.unknown().optional(),
      is_error: z.boolean().optional(),
    })
    .loose(),
  z
    .object({
      type: z.literal("session.status_idle"),
      /** `requires_action` lists the tool_use ids waiting for a decision in `event_ids`. */
      stop_reason: z
        .object({ type: z.string(), event_ids: z.array(z.string()).optional() })
        .loose()
        .optional(),
    })
    .loose(),
  z.object({ type: z.literal("session.error"), error: z.object({ message: z.string() }).loose() }).loose(),
  z.object({ type: z.literal("session.created") }).loose(),
  z.object({ type: z.literal("session.ready") }).loose(),
  z.object({ type: z.literal("session.recovered"), turn_id: z.string().optional() }).loose(),
  z.object({ type: z.literal("session.stopped"), reason: z.string().optional() }).loose(),
  /** A pull request the session's sandbox opened, as GitHub answered it (docs/github.md). */
  z
    .object({
      type: z.literal("session.pull_request"),
      url: z.string(),
      number: z.number().nullable(),
      title: z.string().nullable(),
      repository: z.string().nullable(),
      host: z.string(),
    })
    .loose(),
  /** The rules and skills (names and versions) a sandboxed harness was given when it was bound (docs/skills.md). */
  z
    .object({
      type: z.literal("session.context"),
      rules: z.array(z.object({ name: z.string(), version: z.number() })).optional(),
      skills: z.array(z.object({ name: z.string(), version: z.number() })).optional(),
    })
    .loose(),
]);
export type SessionEventData = z.infer<typeof sessionEventData>;
export type SessionEventType = SessionEventData["type"];

export const SESSION_EVENT_TYPES = sessionEventData.options.map((o) => o.shape.type.value) as SessionEventType[];

/** A stored event as clients see it (`seq` is the resume cursor). */
export const storedEventView = z.object({
  seq: z.number(),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
  turn_id: z.string().nullable(),
  created_at: z.string(),
});
export type StoredEvent = z.infer<typeof storedEventView>;

/** Events that end a turn. */
export const isTerminal = (type: string) => type === "session.status_idle" || type === "session.error";

const serialized = new WeakMap<StoredEvent, string>();
/** JSON of a stored event, computed once however many subscribers it goes to. */
export function eventJson(e: StoredEvent): string {
  let json = serialized.get(e);
  if (json === undefined) serialized.set(e, (json = JSON.stringify(e)));
  return json;
}
