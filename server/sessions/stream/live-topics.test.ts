/**
 * LiveTopics on a real database, bus and store, with the server's publish recorded: a caught-up
 * socket moves onto the topic (live events then come only from publish, once each), and a topic
 * whose feed fails closes its sockets and is replaced for the next client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabase } from "../../../test/support/db";
import type { Database } from "../../db/client";
import { LiveBus } from "../events/bus";
import { EventStore } from "../events/store";
import type { StoredEvent } from "../../../schema/session-events";
import { LiveTopics, type TopicSocket } from "./live-topics";
import { waitFor } from "../../../test/support/api-client";

let db: Database;
let bus: LiveBus;
let store: EventStore;
let topics: LiveTopics;
const published: Array<{ topic: string; seq: number }> = [];
let failList = false;

beforeAll(async () => {
  db = await testDatabase();
  bus = new LiveBus(db);
  await bus.start();
  const real = new EventStore({ database: db, onAppended: (id, events) => bus.publish(id, events) });
  store = Object.assign(Object.create(real) as EventStore, {
    list: (sessionId: string, after: number, limit: number) =>
      failList ? Promise.reject(new Error("database went away")) : real.list(sessionId, after, limit),
  });
  topics = new LiveTopics({ bus, store });
  topics.bindServer({ publish: (topic: string, data: string) => published.push({ topic, seq: (JSON.parse(data) as StoredEvent).seq }) });
  await db.query("insert into sessions (id, title, status) values ('ses_topics', '', 'idle')");
}, 60_000);
afterAll(async () => {
  await bus?.stop();
  await db?.close();
});

function socket() {
  const s = { sent: [] as number[], topics: [] as string[], failed: 0 };
  const api: TopicSocket = {
    send: (events) => s.sent.push(...events.map((e) => e.seq)),
    subscribe: (topic) => s.topics.push(topic),
    fail: () => s.failed++,
  };
  return { s, api };
}
const append = (n: number) =>
  store.append(
    "ses_topics",
    Array.from({ length: n }, (_, i) => ({ type: "agent.message", data: { content: [{ type: "text", text: `m${i}` }] } })),
  );
const lastSeq = async () =>
  Number((await db.query<{ last_seq: number }>("select last_seq from sessions where id = 'ses_topics'"))[0]!.last_seq);

describe("live topics", () => {
  test("a replaying socket sends history itself, then joins the topic; live events are published once each", async () => {
    await append(5);
    const a = socket();
    const close = await topics.open("ses_topics", 2, await lastSeq(), a.api);
    expect(a.s.sent).toEqual([3, 4, 5]);
    expect(a.s.topics).toHaveLength(1);
    const topic = a.s.topics[0]!;
    await append(3);
    expect(a.s.sent).toEqual([3, 4, 5]);
    expect(published.filter((p) => p.topic === topic).map((p) => p.seq)).toEqual([6, 7, 8]);
    close();
    expect(topics.stats()).toEqual({ topics: 0, joined: 0 });
  });

  test("a topic whose feed fails closes its sockets; the next client gets a new topic", async () => {
    const a = socket();
    const closeA = await topics.open("ses_topics", await lastSeq(), await lastSeq(), a.api);
    const first = a.s.topics[0]!;
    expect(first).toBeDefined();
    // A hole in the live sequence makes the topic's feed read the store, which now fails.
    failList = true;
    const seq = await lastSeq();
    bus.publish("ses_topics", [{ seq: seq + 2, type: "agent.message", data: {}, turn_id: null, created_at: new Date().toISOString() }]);
    await waitFor("the topic's feed to fail", () => a.s.failed > 0 && topics.stats().topics === 0, 4_000);
    expect(a.s.failed).toBe(1);
    expect(topics.stats().topics).toBe(0);
    failList = false;
    const b = socket();
    const closeB = await topics.open("ses_topics", seq, seq, b.api);
    expect(b.s.topics).toHaveLength(1);
    expect(b.s.topics[0]).not.toBe(first);
    closeA();
    // A's late close must not retire B's topic.
    expect(topics.stats()).toEqual({ topics: 1, joined: 1 });
    closeB();
  });
});
