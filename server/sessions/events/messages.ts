/**
 * One message is one event (docs/sessions.md "Messages and deltas"). A runtime that streams a reply
 * in pieces (LAP's sandbox harnesses send each text chunk as an `agent.message`; any runtime may send
 * `agent.message_delta`) is turned into `agent.message_delta` events while the message is written and
 * ONE `agent.message` with the whole text when it ends: at the next event that is not a piece of it,
 * or when the turn ends. The deltas are stored (so a client that reconnects mid-message, or a LAP that
 * restarts mid-message, reads the text so far from the log) and deleted in the transaction that
 * stores their message.
 */
import { randomUUID } from "node:crypto";
import type { NewEvent } from "./append-sql";
import type { StoredEvent } from "../../../schema/session-events";

export const DELTA = "agent.message_delta";
export const newMessageId = () => `msg_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

/** What one pending write must delete: the stored deltas of a message, from the seq of the first. */
export interface Compaction {
  messageId: string;
  fromSeq: number;
}

/** The message being written, as recovered from the log (its stored deltas) after a restart. */
export interface OpenMessage {
  messageId: string;
  text: string;
  fromSeq: number;
}

const textOfContent = (content: unknown): string =>
  Array.isArray(content)
    ? content
        .map((p) => (p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : ""))
        .join("")
    : "";

/** The text a delta or message event carries. */
export function pieceText(data: Record<string, unknown>): string {
  if (typeof data.text === "string") return data.text;
  return textOfContent(data.content);
}

/**
 * A whole message as the runtime sent it, without a `message_id` or `incomplete` of its own: those
 * are LAP's (a message id names the deltas a message replaces), never the runtime's.
 */
function ownIdsOnly(e: NewEvent): NewEvent {
  if (!("message_id" in e.data) && !("incomplete" in e.data)) return e;
  const { message_id: _id, incomplete: _inc, ...data } = e.data;
  return { ...e, data };
}

/** Whether a turn that ends with this event cut its last message short. */
const cutsShort = (e: NewEvent) =>
  e.type === "session.error" ||
  // In a turn's stream, a recovery means the sandbox writing the message was lost (the turn runs again).
  e.type === "session.recovered" ||
  (e.type === "session.status_idle" && (e.data.stop_reason as { type?: string } | undefined)?.type === "interrupted");

/**
 * Folds a turn's runtime events into deltas and whole messages, in order. `chunked`: the runtime's
 * `agent.message` events are pieces of one message (the sandbox runtime); otherwise each is whole
 * (the Managed Agents protocol) unless deltas of it came first.
 */
export class MessageAssembler {
  private open: { messageId: string; text: string } | null = null;

  constructor(
    private readonly chunked: boolean,
    resumed?: OpenMessage | null,
  ) {
    if (resumed) this.open = { messageId: resumed.messageId, text: resumed.text };
  }

  /** The message being written, if any (its id and text so far). */
  get current(): { messageId: string; text: string } | null {
    return this.open ? { messageId: this.open.messageId, text: this.open.text } : null;
  }

  /** The events to store for one runtime (or LAP) event, in order. */
  accept(e: NewEvent): NewEvent[] {
    if (e.type === "agent.message" && e.data.restarted && this.chunked) {
      // The built-in agent tried a model step again after LAP came back (docs/sessions.md): the broken
      // attempt's text is not part of the message. Live readers get the marker; the stored message won't
      // have the text.
      this.open ??= { messageId: newMessageId(), text: "" };
      this.open.text = "";
      return [
        {
          type: DELTA,
          data: { type: DELTA, message_id: this.open.messageId, text: "", restarted: e.data.restarted },
          providerEventId: e.providerEventId,
        },
      ];
    }
    const isPiece = e.type === DELTA || (this.chunked && e.type === "agent.message");
    if (isPiece) {
      const text = pieceText(e.data);
      this.open ??= { messageId: newMessageId(), text: "" };
      this.open.text += text;
      return [{ type: DELTA, data: { type: DELTA, message_id: this.open.messageId, text }, providerEventId: e.providerEventId }];
    }
    if (e.type === "agent.message" && this.open) {
      // The runtime sent its own whole message after streaming it: its content wins, under our id.
      const { messageId } = this.open;
      this.open = null;
      return [{ ...e, data: { ...e.data, message_id: messageId } }];
    }
    return [...this.close(cutsShort(e)), e.type === "agent.message" ? ownIdsOnly(e) : e];
  }

  /** Ends the open message (turn over, or another kind of event): its whole `agent.message`. */
  close(incomplete = false): NewEvent[] {
    if (!this.open) return [];
    const { messageId, text } = this.open;
    this.open = null;
    // No runtime id: the message is LAP's. It is written with the event that ended it (which has the
    // runtime's id a re-attached stream resumes after), or at the end of the turn.
    return [
      {
        type: "agent.message",
        data: {
          type: "agent.message",
          content: [{ type: "text", text }],
          message_id: messageId,
          ...(incomplete ? { incomplete: true } : {}),
        },
      },
    ];
  }
}

/**
 * Before a batch is written: deltas whose message is in the same batch are never stored (the message
 * has their text), adjacent deltas of one message become one row, and a message whose deltas are
 * already stored gets a compaction. `storedFrom` maps a message id to the seq of its first stored
 * delta; `noteStored` keeps it up to date after the write.
 */
export function planWrite(batch: NewEvent[], storedFrom: Map<string, number>): { events: NewEvent[]; compact: Compaction[] } {
  const finished = new Set<string>();
  for (const e of batch) if (e.type === "agent.message" && typeof e.data.message_id === "string") finished.add(e.data.message_id);
  const events: NewEvent[] = [];
  const compact: Compaction[] = [];
  for (const e of batch) {
    if (e.type === DELTA) {
      const id = String(e.data.message_id);
      if (finished.has(id)) continue;
      const prev = events.at(-1);
      if (prev?.type === DELTA && prev.data.message_id === id) {
        events[events.length - 1] = {
          type: DELTA,
          data: { ...prev.data, text: String(prev.data.text) + String(e.data.text) },
          providerEventId: e.providerEventId ?? prev.providerEventId,
        };
        continue;
      }
    } else if (e.type === "agent.message" && typeof e.data.message_id === "string") {
      const from = storedFrom.get(e.data.message_id);
      if (from !== undefined) compact.push({ messageId: e.data.message_id, fromSeq: from });
    }
    events.push(e);
  }
  return { events, compact };
}

/** Records where each message's stored deltas start, and forgets compacted messages. */
export function noteStored(stored: StoredEvent[], storedFrom: Map<string, number>) {
  for (const e of stored) {
    const id = e.data.message_id;
    if (typeof id !== "string") continue;
    if (e.type === DELTA && !storedFrom.has(id)) storedFrom.set(id, e.seq);
    else if (e.type === "agent.message") storedFrom.delete(id);
  }
}
