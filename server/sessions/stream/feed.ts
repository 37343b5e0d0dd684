import type { LiveBus } from "../events/bus";
import type { EventStore } from "../events/store";
import type { StoredEvent } from "../../../schema/session-events";

const PAGE = 2000;

/**
 * Replay-then-live for one client: the stored events after `after`, then live ones, in seq order,
 * each exactly once. It subscribes to the bus BEFORE reading the store and buffers what arrives;
 * anything at or below the last sent seq is dropped, and any hole (a live event ahead of what was
 * sent) is filled from the store. So an event appended while the replay runs is neither lost nor
 * doubled, whichever path delivers it first. Seqs are allocated without holes (see EventStore), so
 * a live event's "next" is last+1; the store can have holes where a message's deltas were compacted
 * (events/messages.ts), and what it returns is complete up to its last row (a session's appends
 * commit in seq order: each holds the session's counter row until commit), so a page is taken as is.
 */
export class OrderedFeed {
  private last: number;
  private pending = new Map<number, StoredEvent>();
  private catchingUp = false;
  private needCatchUp = false;
  private closed = false;
  private unsubscribe?: () => void;

  constructor(
    private readonly deps: { bus: LiveBus; store: EventStore },
    private readonly sessionId: string,
    after: number,
    /** Receives contiguous runs of events (so transports can write a run in one go). */
    private readonly send: (events: StoredEvent[]) => void,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.last = after;
  }

  get lastSeq() {
    return this.last;
  }

  async start() {
    this.unsubscribe = this.deps.bus.subscribe(
      this.sessionId,
      (events) => this.offer(events),
      (hi) => {
        if (hi > this.last) this.requestCatchUp();
      },
    );
    await this.catchUp();
  }

  close() {
    this.closed = true;
    this.unsubscribe?.();
    this.pending.clear();
  }

  private offer(events: StoredEvent[]) {
    if (this.closed) return;
    // Fast path for a caught-up client: the batch continues exactly where we are.
    if (
      !this.catchingUp &&
      this.pending.size === 0 &&
      events[0]?.seq === this.last + 1 &&
      events.at(-1)!.seq === this.last + events.length
    ) {
      this.last += events.length;
      this.send(events);
      return;
    }
    for (const e of events) if (e.seq > this.last) this.pending.set(e.seq, e);
    if (!this.catchingUp) this.drain();
  }

  private drain() {
    let next: StoredEvent | undefined;
    const run: StoredEvent[] = [];
    while (!this.closed && (next = this.pending.get(this.last + 1))) {
      this.pending.delete(next.seq);
      this.last = next.seq;
      run.push(next);
    }
    if (run.length) this.send(run);
    for (const seq of this.pending.keys()) if (seq <= this.last) this.pending.delete(seq);
    if (this.pending.size) this.requestCatchUp();
  }

  private requestCatchUp() {
    if (this.catchingUp) this.needCatchUp = true;
    else void this.catchUp();
  }

  private async catchUp() {
    this.catchingUp = true;
    try {
      do {
        this.needCatchUp = false;
        while (!this.closed) {
          const page = await this.deps.store.list(this.sessionId, this.last, PAGE);
          if (this.closed) return;
          const run: StoredEvent[] = [];
          for (const e of page) {
            if (e.seq <= this.last) continue;
            this.last = e.seq;
            run.push(e);
          }
          if (run.length) this.send(run);
          if (page.length < PAGE) break;
        }
      } while (this.needCatchUp && !this.closed);
    } catch (err) {
      this.onError(err);
    } finally {
      this.catchingUp = false;
    }
    if (!this.closed) this.drain();
  }
}
