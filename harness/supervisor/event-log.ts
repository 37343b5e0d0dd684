/**
 * The supervisor's copy of the session's events, numbered from 1, with live subscribers.
 * It lets LAP open the stream after sending a turn without missing events (`after=N`), and lets a
 * restarted harness process be given the conversation so far.
 */
import type { NormalizedEvent } from "../protocol";

export interface LoggedEvent extends NormalizedEvent {
  seq: number;
}

/** What a harness needs to rebuild its transcript: the user's side and the agent's. */
export const isConversation = (e: NormalizedEvent) =>
  e.type === "user.message" || e.type === "user.tool_confirmation" || e.type.startsWith("agent.");

export class EventLog {
  private events: LoggedEvent[] = [];
  private listeners = new Set<(e: LoggedEvent) => void>();

  append(event: NormalizedEvent): LoggedEvent {
    const logged = { ...event, seq: this.events.length + 1 } as LoggedEvent;
    this.events.push(logged);
    for (const l of this.listeners) l(logged);
    return logged;
  }

  after(seq: number): LoggedEvent[] {
    return this.events.slice(Math.max(0, seq));
  }

  /** The conversation without LAP-only bookkeeping, for a harness that has to catch up. */
  conversation(): NormalizedEvent[] {
    return this.events.filter(isConversation);
  }

  get lastSeq() {
    return this.events.length;
  }

  subscribe(listener: (e: LoggedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
