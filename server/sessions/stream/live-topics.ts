import type { LiveBus } from "../events/bus";
import type { EventStore } from "../events/store";
import { eventJson, type StoredEvent } from "../../../schema/session-events";
import { OrderedFeed } from "./feed";

/** What a WebSocket transport gives a live client. */
export interface TopicSocket {
  /** Sends a contiguous run of events to this socket only (its replay). */
  send(events: StoredEvent[]): void;
  /** Joins the native pub/sub topic: from now on the socket gets what the topic publishes. */
  subscribe(topic: string): void;
  fail(err: unknown): void;
}

type Publish = (topic: string, data: string) => void;

/**
 * Native fan-out for WebSocket clients. Each client first replays through its own OrderedFeed; the
 * moment it has sent exactly what its session's topic has published (same seq), it joins the topic
 * (Bun's `subscribe`) and drops its feed, so live events are serialized once and written to every
 * socket by `server.publish` in native code. Both sides advance synchronously inside the bus
 * callback, so at the switch nothing is in flight: what is above that seq comes only from the topic,
 * what is at or below it came only from the client's own feed. No gap, no duplicate.
 */
export class LiveTopics {
  private topics = new Map<string, SessionTopic>();
  private publish: Publish | null = null;
  /** Off: every socket stays on its own feed (the benchmark's same-run comparison). */
  native = true;

  constructor(private readonly deps: { bus: LiveBus; store: EventStore }) {}

  /** The HTTP server whose `publish` fans out (known once the first WebSocket opens). */
  bindServer(server: { publish(topic: string, data: string): unknown } | null | undefined) {
    if (server && !this.publish) this.publish = (topic, data) => void server.publish(topic, data);
  }

  /** Opens a client at `after` (clamped to `lastSeq`, the log's end). Returns its close function. */
  async open(sessionId: string, after: number, lastSeq: number, socket: TopicSocket): Promise<() => void> {
    after = Math.min(after, lastSeq);
    const publish = this.native ? this.publish : null;
    let topic = this.topics.get(sessionId);
    if (!topic && publish) {
      const created: SessionTopic = new SessionTopic(this.deps, sessionId, lastSeq, publish, () => {
        if (this.topics.get(sessionId) === created) this.topics.delete(sessionId);
      });
      topic = created;
      this.topics.set(sessionId, topic);
    }
    const client = new TopicClient(this.deps, sessionId, after, socket, topic ?? null);
    await client.start();
    return () => client.close();
  }

  /** Open topics and the sockets on them (tests, diagnostics). */
  stats() {
    let joined = 0;
    for (const t of this.topics.values()) joined += t.joinedCount;
    return { topics: this.topics.size, joined };
  }
}

let topicCounter = 0;

class SessionTopic {
  readonly name: string;
  private readonly feed: OrderedFeed;
  private readonly waiting = new Set<TopicClient>();
  private members = 0;
  private started: Promise<void>;
  private live = false;
  private failed = false;
  private readonly sockets = new Set<TopicClient>();

  constructor(
    deps: { bus: LiveBus; store: EventStore },
    sessionId: string,
    after: number,
    private readonly publish: Publish,
    private readonly onEmpty: () => void,
  ) {
    // Unique per topic: sockets of a failed topic, still closing, never hear its successor.
    this.name = `lap:session:${sessionId}:${++topicCounter}`;
    this.feed = new OrderedFeed(
      deps,
      sessionId,
      after,
      (events) => this.broadcast(events),
      (err) => this.fail(err),
    );
    this.started = this.feed.start().then(() => {
      this.live = true;
      for (const c of [...this.waiting]) c.tryJoin();
    });
  }

  /** -1 until the topic is live, and after it failed: then nobody joins it. */
  get lastSeq() {
    return this.live && !this.failed ? this.feed.lastSeq : -1;
  }

  get joinedCount() {
    return this.sockets.size;
  }

  add(client: TopicClient) {
    this.members++;
    this.waiting.add(client);
    return this.started;
  }

  joined(client: TopicClient) {
    this.waiting.delete(client);
    this.sockets.add(client);
  }

  remove(client: TopicClient) {
    this.waiting.delete(client);
    this.sockets.delete(client);
    if (--this.members === 0) this.retire();
  }

  private retire() {
    this.feed.close();
    this.onEmpty();
  }

  private broadcast(events: StoredEvent[]) {
    for (const e of events) this.publish(this.name, eventJson(e));
    if (this.waiting.size) for (const c of [...this.waiting]) c.tryJoin();
  }

  private fail(err: unknown) {
    if (this.failed) return;
    this.failed = true;
    // Joined sockets can no longer be fed: close them (clients reconnect with their last seq). Clients
    // still replaying keep their own feeds; the next ones get a fresh topic.
    this.retire();
    for (const c of [...this.sockets]) c.fail(err);
  }
}

class TopicClient {
  private feed: OrderedFeed | null;
  private joinedTopic = false;
  private closed = false;

  constructor(
    deps: { bus: LiveBus; store: EventStore },
    sessionId: string,
    after: number,
    private readonly socket: TopicSocket,
    private readonly topic: SessionTopic | null,
  ) {
    this.feed = new OrderedFeed(
      deps,
      sessionId,
      after,
      (events) => {
        socket.send(events);
        this.tryJoin();
      },
      (err) => this.fail(err),
    );
  }

  async start() {
    const topicReady = this.topic?.add(this);
    await this.feed!.start();
    await topicReady;
    this.tryJoin();
  }

  /** Joins the topic when this client has sent exactly what the topic has published. */
  tryJoin() {
    if (this.closed || this.joinedTopic || !this.topic || !this.feed) return;
    if (this.feed.lastSeq !== this.topic.lastSeq) return;
    this.socket.subscribe(this.topic.name);
    this.joinedTopic = true;
    this.feed.close();
    this.feed = null;
    this.topic.joined(this);
  }

  fail(err: unknown) {
    this.socket.fail(err);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.feed?.close();
    this.topic?.remove(this);
  }
}
