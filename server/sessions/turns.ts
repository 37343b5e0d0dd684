/**
 * A session's turn queue, inside the caller's transaction: a user turn queued with its event, the
 * queued turns ended before they start, the running one marked to be interrupted. The caller
 * publishes the returned events after the commit (SessionService.announceTurn).
 */
import { randomUUID } from "node:crypto";
import type { ContentPart, StoredEvent } from "../../schema/session-events";
import type { SqlTx } from "../db/client";
import { storeAttachmentsInTx } from "./attachments/store";
import type { EventStore } from "./events/store";

export const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

/**
 * Stores the user event and queues its turn (the approvals module decides and queues the
 * confirmation atomically).
 */
export async function enqueueTurnInTx(
  store: Pick<EventStore, "appendInTx">,
  tx: SqlTx,
  sessionId: string,
  content: ContentPart[],
  userEvent?: { type: string; data: Record<string, unknown> },
) {
  const turnId = newId("turn");
  // Attachments' bytes go to their own table; the event and the turn keep references (attachments/store.ts).
  const stored = await storeAttachmentsInTx(tx, sessionId, content);
  const user = userEvent ?? { type: "user.message", data: { content: stored } };
  const events = await store.appendInTx(tx, sessionId, [{ type: user.type, data: { ...user.data, turn_id: turnId } }], turnId);
  await tx.query("insert into session_turns (id, session_id, status, content, user_seq) values ($1, $2, 'queued', $3::jsonb, $4)", [
    turnId,
    sessionId,
    JSON.stringify(stored),
    events[0]!.seq,
  ]);
  return { turnId, seq: events[0]!.seq, events };
}

/**
 * Marks the session's running turn to be interrupted (the replica running it sees the mark if the
 * interrupt signal misses it); the caller interrupts after the commit. Whether one runs.
 */
export async function markRunningInterruptedInTx(tx: SqlTx, sessionId: string): Promise<boolean> {
  const running = await tx.query<{ id: string }>(
    "update session_turns set interrupt_requested = true where session_id = $1 and status = 'running' returning id",
    [sessionId],
  );
  return running.length > 0;
}

/**
 * Ends the session's queued turns before they start (a stop from an integration, docs/linear.md): each
 * gets the event an interrupted turn ends with, so whoever follows it sees it end.
 */
export async function cancelQueuedInTx(
  store: Pick<EventStore, "appendInTx">,
  tx: SqlTx,
  sessionId: string,
  reason: string,
): Promise<StoredEvent[]> {
  const cancelled = await tx.query<{ id: string }>(
    "update session_turns set status = 'interrupted', ended_at = now(), error = $2 where session_id = $1 and status = 'queued' returning id",
    [sessionId, reason],
  );
  const events: StoredEvent[] = [];
  for (const { id } of cancelled) {
    events.push(
      ...(await store.appendInTx(
        tx,
        sessionId,
        [{ type: "session.status_idle", data: { stop_reason: { type: "interrupted" }, turn_id: id } }],
        id,
      )),
    );
  }
  return events;
}
