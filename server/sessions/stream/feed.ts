import type { LiveBus } from "../events/bus";
import type { EventStore } from "../events/store";
import type { StoredEvent } from "../events/types";

const PAGE = 1000;

/**
 * Replay-then-live for one client: the stored events after `after`, then live ones, in seq order,
 * each exactly once. It subscribes to the bus BEFORE reading the store and buffers what arrives;
 * anything at or below the last sent seq is dropped, and any hole (a live event ahead of what was
 * sent) is filled from the store. So an event appended while the replay runs is neither lost nor
 * doubled, whichever path delivers it first. Seqs have no holes (see EventStore), so "next" is last+1.
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
    private readonly send: (event: StoredEvent) => void,
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
    for (const e of events) if (e.seq > this.last) this.pending.set(e.seq, e);
    if (!this.catchingUp) this.drain();
  }

  private drain() {
    let next: StoredEvent | undefined;
    while (!this.closed && (next = this.pending.get(this.last + 1))) {
      this.pending.delete(next.seq);
      this.last = next.seq;
      this.send(next);
    }
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
          for (const e of page) {
            if (this.closed) return;
            if (e.seq !== this.last + 1) break;
            this.last = e.seq;
            this.send(e);
          }
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
