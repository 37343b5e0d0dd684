import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabase } from "../../../test/support/db";
import type { Database } from "../../db/client";
import { LiveBus } from "./bus";
import { EventStore, type NewEvent } from "./store";
import type { StoredEvent } from "../../../schema/session-events";

let db: Database;
let bus: LiveBus;
let store: EventStore;
/** A second replica's bus on the same database: it only hears what `bus` NOTIFYs. */
let remote: LiveBus;
const local: StoredEvent[] = [];

beforeAll(async () => {
  db = await testDatabase();
  bus = new LiveBus(db);
  remote = new LiveBus(db);
  await bus.start();
  await remote.start();
  store = new EventStore({
    database: db,
    onAppended: (id, events) => {
      local.push(...events);
      bus.publish(id, events);
    },
  });
});
afterAll(async () => {
  await bus.stop();
  await remote.stop();
  await db.close();
});

let n = 0;
async function newSession() {
  const id = `ses_store_${++n}`;
  await db.query("insert into sessions (id) values ($1)", [id]);
  return id;
}
const msg = (text: string, providerEventId?: string): NewEvent => ({
  type: "agent.message",
  data: { content: [{ type: "text", text }] },
  providerEventId,
});
const lastSeq = async (id: string) =>
  Number((await db.query<{ last_seq: string }>("select last_seq from sessions where id = $1", [id]))[0]!.last_seq);
function hear(sessionId: string) {
  const got: StoredEvent[] = [];
  const hints: number[] = [];
  const off = remote.subscribe(
    sessionId,
    (events) => got.push(...events),
    (hi) => hints.push(hi),
  );
  return { got, hints, off };
}
const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await Bun.sleep(10);
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

describe("event store", () => {
  test("concurrent appends to one session get gapless, unique seqs", async () => {
    const id = await newSession();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(id, [msg(`a${i}`), msg(`b${i}`)])));
    const all = await store.list(id, 0, 100);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await lastSeq(id)).toBe(40);
  });

  test("a runtime event retried within a turn is stored once; the same id in another turn is a new event", async () => {
    const id = await newSession();
    const first = await store.append(id, [msg("one", "e1"), msg("two", "e2")], "turn_a");
    expect(first.map((e) => e.seq)).toEqual([1, 2]);
    // A re-read stream repeats e1 and e2 and brings e3; a repeat inside one batch counts once too.
    const retry = await store.append(
      id,
      [msg("one", "e1"), msg("two", "e2"), msg("three", "e3"), msg("three again", "e3"), msg("no id")],
      "turn_a",
    );
    expect(retry.map((e) => [e.seq, (e.data.content as Array<{ text: string }>)[0]!.text])).toEqual([
      [3, "three"],
      [4, "no id"],
    ]);
    // Nothing fresh: nothing stored, the counter untouched.
    expect(await store.append(id, [msg("one", "e1")], "turn_a")).toEqual([]);
    expect(await lastSeq(id)).toBe(4);
    // Ids are only unique within a turn: another turn's e1 is its own event.
    expect((await store.append(id, [msg("one", "e1")], "turn_b")).map((e) => e.seq)).toEqual([5]);
    expect((await store.list(id, 0, 100)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  test("appending to an unknown session is a 404 and stores nothing", async () => {
    await expect(store.append("ses_missing", [msg("x")])).rejects.toMatchObject({ status: 404 });
    await expect(store.append("ses_missing", [msg("x", "e1")], "turn_x")).rejects.toMatchObject({ status: 404 });
    expect(await db.query("select 1 from session_events where session_id = 'ses_missing'")).toHaveLength(0);
  });

  test("other replicas receive exactly the stored events; this process delivers its own directly", async () => {
    const id = await newSession();
    const remoteSide = hear(id);
    local.length = 0;
    await store.append(id, [msg("hello"), msg("world")]);
    await store.append(id, [msg("again", "p1")], "turn_1");
    await until("remote delivery", () => remoteSide.got.length === 3);
    remoteSide.off();
    const stored = await store.list(id, 0, 10);
    expect(remoteSide.got).toEqual(stored);
    expect(local).toEqual(stored);
  });

  test("a batch too big for a NOTIFY reaches other replicas as a hint to re-read", async () => {
    const id = await newSession();
    const remoteSide = hear(id);
    await store.append(id, [msg("x".repeat(9000)), msg("y")]);
    await until("remote hint", () => remoteSide.hints.length === 1);
    remoteSide.off();
    expect(remoteSide.hints).toEqual([2]);
    expect(remoteSide.got).toEqual([]);
  });

  test("NOTIFYs sent while one is in flight go out together, none lost, each session in order", async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => newSession()));
    const heard = ids.map((id) => hear(id));
    // 8 sessions appending 25 events each concurrently: far more batches than NOTIFY round trips.
    await Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < 25; i++) await store.append(id, [msg(`${id}:${i}`)]);
      }),
    );
    await until("every remote batch", () => heard.every((h) => h.got.length === 25));
    for (const h of heard) {
      h.off();
      expect(h.got.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    }
  });
});

describe("group commit", () => {
  /** The same database, counting the statements that reach it. */
  function counting() {
    const counted: { statements: number; database: Database } = {
      statements: 0,
      database: { ...db, query: (text, params) => (counted.statements++, db.query(text, params)) } as Database,
    };
    return counted;
  }

  test("appends arriving while a statement is in flight share the next one, each numbered in its own session", async () => {
    const c = counting();
    const grouped = new EventStore({ database: c.database });
    const ids = await Promise.all(Array.from({ length: 10 }, () => newSession()));
    await Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < 20; i++) await grouped.append(id, [msg(`${id}:${i}`)]);
      }),
    );
    // 200 appends; with one statement in flight, far fewer statements.
    expect(c.statements).toBeLessThan(100);
    for (const id of ids) {
      const all = await grouped.list(id, 0, 100);
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(all.map((e) => (e.data.content as Array<{ text: string }>)[0]!.text)).toEqual(
        Array.from({ length: 20 }, (_, i) => `${id}:${i}`),
      );
      expect(await lastSeq(id)).toBe(20);
    }
  });

  test("one append Postgres refuses, or to a missing session, fails alone; the rest of its batch is stored", async () => {
    const [a, b] = [await newSession(), await newSession()];
    const results = await Promise.allSettled([
      store.append(a, [msg("fine a")]),
      // jsonb cannot hold \u0000: the whole statement fails, so each append is retried alone.
      store.append(b, [msg("bad \u0000 text")]),
      store.append("ses_missing_too", [msg("nowhere")]),
      store.append(b, [msg("fine b")]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ status: 404 });
    expect((await store.list(a, 0, 10)).map((e) => e.seq)).toEqual([1]);
    expect((await store.list(b, 0, 10)).map((e) => (e.data.content as Array<{ text: string }>)[0]!.text)).toEqual(["fine b"]);
    expect(await lastSeq(b)).toBe(1);
  });

  test("two processes appending to the same sessions at once lose nothing and leave no gaps (a deadlock between their statements is retried append by append)", async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, () => newSession()));
    const other = new EventStore({ database: db });
    // Each writer walks the sessions in a different order, so their batches hold different sets.
    const write = (s: EventStore, order: string[]) =>
      Promise.all(
        order.map(async (id) => {
          for (let i = 0; i < 15; i++) await s.append(id, [msg(`${i}`), msg(`${i}'`)]);
        }),
      );
    await Promise.all([write(store, ids), write(other, [...ids].reverse()), write(store, [...ids].reverse()), write(other, ids)]);
    for (const id of ids) {
      expect((await store.list(id, 0, 200)).map((e) => e.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    }
  });
});
