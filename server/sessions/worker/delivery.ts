import type { Database } from "../../db/client";
import type { RuntimeAdapter } from "../../runtimes/adapter";
import type { ContentPart } from "../../../schema/session-events";

export type Delivery = { delivered: true; eventId: string | null } | { delivered: false };

/**
 * After a crash between "turn running" and "runtime accepted the message" (`sent_at` still null),
 * asks the runtime's own event list whether the message arrived. Each turn LAP got through to the
 * runtime left one user input there (a user.message, or a user.tool_confirmation for a decision
 * turn), so if the runtime holds more user inputs than the session's other sent turns, the next one
 * is this turn's. Throws when the runtime cannot be asked:
 * then nobody knows, and the caller must not send.
 */
export async function findDelivery(
  deps: { database: Database; listEvents: NonNullable<RuntimeAdapter["listEvents"]> },
  input: { sessionId: string; turnId: string; remoteSessionId: string; content: ContentPart[] },
  log?: { warn(obj: unknown, msg: string): void },
): Promise<Delivery> {
  const [row] = await deps.database.query<{ n: number }>(
    "select count(*)::int as n from session_turns where session_id = $1 and id <> $2 and sent_at is not null",
    [input.sessionId, input.turnId],
  );
  const sentBefore = Number(row?.n ?? 0);
  const userInputs = (await deps.listEvents(input.remoteSessionId)).filter(
    (e) => e.event.type === "user.message" || e.event.type === "user.tool_confirmation",
  );
  const ours = userInputs[sentBefore];
  if (!ours) return { delivered: false };
  const content = (ours.event as { content?: unknown }).content;
  if (ours.event.type === "user.message" && JSON.stringify(content) !== JSON.stringify(input.content)) {
    // Still not sent again: a second copy is worse than resuming on what the runtime has.
    log?.warn(
      { session_id: input.sessionId, turn_id: input.turnId },
      "runtime's next user.message differs from the turn's; treating it as delivered",
    );
  }
  return { delivered: true, eventId: ours.providerEventId ?? null };
}
