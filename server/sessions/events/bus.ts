import { randomUUID } from "node:crypto";
import type { Database } from "../../db/client";
import { sessionStatusChange, type SessionStatusChange } from "../model";
import type { StoredEvent } from "../../../schema/session-events";

export const EVENTS_CHANNEL = "lap_session_events";
export const CONTROL_CHANNEL = "lap_session_control";
/** Sent by a trigger on `sessions` (migration 0003) for inserts, deletes and status changes. */
export const STATUS_CHANNEL = "lap_session_status";
/** NOTIFY payloads are capped at 8000 bytes; bigger batches travel as a seq range to re-read. */
const MAX_INLINE_PAYLOAD = 7000;

export type EventListener = (events: StoredEvent[]) => void;
export type ControlMessage = { kind: "interrupt" | "stop" | "kick"; sessionId: string };
export type StatusListener = (change: SessionStatusChange) => void;
/** How late a batch reached this replica's subscribers: from its first event's creation (metrics). */
export type BusLagSink = (path: "local" | "replica", seconds: number) => void;

interface WireEvents {
  o: string;
  s: string;
  e?: StoredEvent[];
  /** Highest seq in the batch when the events did not fit in the payload. */
  hi?: number;
}

/**
 * The live bus. Events appended in this process reach local subscribers directly; every batch is
 * also sent with Postgres NOTIFY so subscribers on other replicas see it. A replica receiving a
 * range without bodies hands subscribers a "hint" (empty list plus seq) and they re-read the store.
 */
export class LiveBus {
  readonly origin = randomUUID();
  private readonly ownPrefix = `{"o":"${this.origin}"`;
  private listeners = new Map<string, Set<EventListener & { hint?: (hi: number) => void }>>();
  private controlHandlers = new Set<(msg: ControlMessage) => void>();
  private statusListeners = new Set<StatusListener>();
  private unlisten: Array<() => Promise<void>> = [];
  private outbox: string[] = [];
  private sending: Promise<void> | undefined;

  constructor(
    private readonly database: Database,
    private readonly log?: { warn(obj: unknown, msg: string): void },
    private readonly lag?: BusLagSink,
  ) {}

  private observeLag(path: "local" | "replica", events: StoredEvent[]) {
    const created = Date.parse(events[0]?.created_at ?? "");
    if (this.lag && Number.isFinite(created)) this.lag(path, Math.max(0, (Date.now() - created) / 1000));
  }

  async start() {
    this.unlisten.push(await this.database.listen(EVENTS_CHANNEL, (payload) => this.onWire(payload)));
    this.unlisten.push(
      await this.database.listen(CONTROL_CHANNEL, (payload) => {
        try {
          const msg = JSON.parse(payload) as ControlMessage;
          for (const h of this.controlHandlers) h(msg);
        } catch {}
      }),
    );
    this.unlisten.push(await this.database.listen(STATUS_CHANNEL, (payload) => this.onStatusWire(payload)));
  }

  /** Session created, deleted or changed status, on any replica (the database trigger notifies). */
  onStatus(listener: StatusListener) {
    this.statusListeners.add(listener);
    return () => void this.statusListeners.delete(listener);
  }

  private onStatusWire(payload: string) {
    let change: SessionStatusChange;
    try {
      const raw = JSON.parse(payload) as Record<string, unknown>;
      change = sessionStatusChange.parse({ ...raw, updated_at: new Date(String(raw.updated_at)).toISOString() });
    } catch (err) {
      this.log?.warn({ err }, "unreadable session status notification");
      return;
    }
    for (const l of this.statusListeners) {
      try {
        l(change);
      } catch {}
    }
  }

  async stop() {
    await this.sending;
    for (const u of this.unlisten.splice(0)) await u().catch(() => {});
  }

  /** Subscribe to one session. `onHint(hi)` means "events up to hi exist; read them from the store". */
  subscribe(sessionId: string, onEvents: EventListener, onHint: (hi: number) => void): () => void {
    const fn = Object.assign((events: StoredEvent[]) => onEvents(events), { hint: onHint });
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (!set!.size) this.listeners.delete(sessionId);
    };
  }

  subscriberCount() {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  /** Called by the event store after commit. */
  publish(sessionId: string, events: StoredEvent[]) {
    this.deliver(sessionId, events);
    this.observeLag("local", events);
    let payload = JSON.stringify({ o: this.origin, s: sessionId, e: events } satisfies WireEvents);
    if (Buffer.byteLength(payload) > MAX_INLINE_PAYLOAD)
      payload = JSON.stringify({ o: this.origin, s: sessionId, hi: events.at(-1)!.seq } satisfies WireEvents);
    this.outbox.push(payload);
    this.sending ??= this.sendOutbox();
  }

  /**
   * One NOTIFY statement in flight at a time; batches published meanwhile go out together in the
   * next. A notifying transaction gets an xid and a commit record, and Postgres serializes notifying
   * commits, so one NOTIFY per append would halve append throughput under concurrency.
   */
  private async sendOutbox() {
    while (this.outbox.length) {
      const payloads = this.outbox.splice(0);
      try {
        await this.database.query("select pg_notify($1, p) from unnest($2::text[]) as p", [EVENTS_CHANNEL, payloads]);
      } catch (err) {
        this.log?.warn({ err }, "session event notify failed");
      }
    }
    this.sending = undefined;
  }

  onControl(handler: (msg: ControlMessage) => void) {
    this.controlHandlers.add(handler);
    return () => this.controlHandlers.delete(handler);
  }

  /** Control messages go to every replica, this one included (via NOTIFY). */
  async control(msg: ControlMessage) {
    await this.database.notify(CONTROL_CHANNEL, JSON.stringify(msg));
  }

  private deliver(sessionId: string, events: StoredEvent[]) {
    const set = this.listeners.get(sessionId);
    if (!set) return;
    for (const l of set) {
      try {
        l(events);
      } catch {}
    }
  }

  private onWire(payload: string) {
    // Our own batches were delivered directly: skip them before parsing (the origin leads the payload).
    if (payload.startsWith(this.ownPrefix)) return;
    let msg: WireEvents;
    try {
      msg = JSON.parse(payload);
    } catch {
      return;
    }
    if (msg.e) {
      this.observeLag("replica", msg.e);
      return this.deliver(msg.s, msg.e);
    }
    const set = this.listeners.get(msg.s);
    if (set && msg.hi !== undefined) for (const l of set) l.hint?.(msg.hi);
  }
}
