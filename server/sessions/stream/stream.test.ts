import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { TEST_MASTER_KEY } from "../../../test/support/app";
import { authHeaders, readSse, sessionHarness, type SessionHarness } from "../../../test/support/session-harness";
import type { StoredEvent } from "../model";

let h: SessionHarness;
let sid: string;
beforeAll(async () => {
  h = await sessionHarness({ session: { heartbeatMs: 200 } });
  sid = (await h.createSession()).id;
  await h.waitForStatus(sid, "idle");
}, 60_000);
afterAll(() => h?.close());

const svc = () => h.t.services.sessions.sessions;
const appendMany = async (sessionId: string, n: number, tag: string) => {
  for (let i = 0; i < n; i += 10)
    await svc().append(
      sessionId,
      Array.from({ length: Math.min(10, n - i) }, (_, j) => ({
        type: "agent.message",
        data: { content: [{ type: "text", text: `${tag}${i + j}` }] },
      })),
    );
};
const expectRun = (events: StoredEvent[], from: number, to: number) =>
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: to - from + 1 }, (_, i) => from + i));

function openWs(path: string, headers: Record<string, string> = authHeaders) {
  const ws = new WebSocket(`${h.url.replace("http", "ws")}${path}`, { headers } as never);
  const received: StoredEvent[] = [];
  ws.onmessage = (m) => received.push(JSON.parse(String(m.data)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("websocket refused"));
    ws.onclose = () => reject(new Error("websocket closed"));
  });
  return { ws, received, opened };
}

describe("history", () => {
  test("resume at every boundary returns exactly the events after it", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    await appendMany(s.id, 25, "e");
    const all = await h.events(s.id);
    const last = all.at(-1)!.seq;
    for (let after = 0; after <= last; after++) {
      const page = (await h.t.json("GET", `/api/sessions/${s.id}/events?after=${after}&limit=7`)).body;
      expect(page.last_seq).toBe(last);
      expectRun(page.data, after + 1, Math.min(after + 7, last));
      if (after === last) expect(page.data).toEqual([]);
    }
  });
});

describe("SSE", () => {
  test("replays after N then streams live, with id: lines, resumable with Last-Event-ID", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    await appendMany(s.id, 10, "a");
    const res = await fetch(`${h.url}/api/sessions/${s.id}/stream?after=3`, { headers: authHeaders });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reading = readSse(res, (ev) => ev.length >= 19);
    await Bun.sleep(50);
    await appendMany(s.id, 10, "b");
    const got = await reading;
    expectRun(got, 4, 22);
    // Resume with the header a browser's EventSource sends.
    const resumed = await fetch(`${h.url}/api/sessions/${s.id}/stream`, { headers: { ...authHeaders, "last-event-id": "20" } });
    expectRun(await readSse(resumed, (ev) => ev.length >= 2), 21, 22);
    const bad = await fetch(`${h.url}/api/sessions/${s.id}/stream`, { headers: { ...authHeaders, "last-event-id": "abc" } });
    expect(bad.status).toBe(400);
  });

  test("no gap and no duplicate when events are appended while the replay runs", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    await appendMany(s.id, 1500, "old");
    const writer = appendMany(s.id, 400, "new");
    const res = await fetch(`${h.url}/api/sessions/${s.id}/stream?after=0`, { headers: authHeaders });
    await writer;
    const total = (await h.events(s.id, 0)).length + 0;
    const lastSeq = (await h.t.json("GET", `/api/sessions/${s.id}`)).body.last_seq;
    expect(lastSeq).toBeGreaterThanOrEqual(1900);
    const got = await readSse(res, (ev) => ev.length >= lastSeq, 20_000);
    expectRun(got, 1, lastSeq);
    expect(total).toBeGreaterThan(0);
  }, 30_000);

  test("idle streams get heartbeats", async () => {
    const res = await fetch(`${h.url}/api/sessions/${sid}/stream?after=999`, { headers: authHeaders });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    const until = Date.now() + 2_000;
    while (!text.includes(": heartbeat") && Date.now() < until) text += dec.decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain(": heartbeat");
  });

  test("needs auth; unknown session is 404", async () => {
    expect((await fetch(`${h.url}/api/sessions/${sid}/stream`)).status).toBe(401);
    expect((await fetch(`${h.url}/api/sessions/${sid}/stream?token=${TEST_MASTER_KEY}`)).status).toBe(401);
    expect((await fetch(`${h.url}/api/sessions/ses_nope/stream`, { headers: authHeaders })).status).toBe(404);
  });
});

describe("WebSocket", () => {
  test("replays then streams a live turn in order", async () => {
    const s = await h.createSession({ prompt: "stream me please" });
    await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    const c = openWs(`/api/sessions/${s.id}/stream?after=2`);
    await c.opened;
    await h.send(s.id, "and more");
    await h.waitFor("two idles on the socket", async () => c.received.filter((e) => e.type === "session.status_idle").length === 2);
    c.ws.close();
    const stored = await h.events(s.id);
    expect(c.received).toEqual(stored.slice(2));
  });

  test("sockets joining at different points while events are appended each get every event once, then share the native topic", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    await appendMany(s.id, 300, "old");
    const topics = h.t.services.sessions.topics;
    const writer = appendMany(s.id, 600, "new");
    const clients: Array<ReturnType<typeof openWs> & { after: number }> = [];
    for (const after of [0, 0, 5, 50, 150, 299, 302, 302]) {
      const c = openWs(`/api/sessions/${s.id}/stream?after=${after}`);
      clients.push({ ...c, after });
      await c.opened;
      await Bun.sleep(15);
    }
    // Some join while the writer runs, some after it: both sides of the switch to the topic.
    await writer;
    await svc().append(s.id, [{ type: "agent.message", data: { content: [{ type: "text", text: "after all joined" }] } }]);
    const lastSeq = (await h.t.json("GET", `/api/sessions/${s.id}`)).body.last_seq;
    await h.waitFor("every socket at the end", async () => clients.every((c) => c.received.at(-1)?.seq === lastSeq), 20_000);
    for (const c of clients) expectRun(c.received, c.after + 1, lastSeq);
    expect(topics.stats()).toEqual({ topics: 1, joined: clients.length });
    // Live after joining: one more event reaches every socket once, from the topic.
    await svc().append(s.id, [{ type: "agent.message", data: { content: [{ type: "text", text: "live" }] } }]);
    await h.waitFor("live event everywhere", async () => clients.every((c) => c.received.at(-1)?.seq === lastSeq + 1));
    for (const c of clients) expectRun(c.received, c.after + 1, lastSeq + 1);
    for (const c of clients) c.ws.close();
    await h.waitFor("topic closed with its last socket", async () => topics.stats().topics === 0);
  }, 30_000);

  test("unauthenticated upgrades are refused; a stream token works only for its own session", async () => {
    await expect(openWs(`/api/sessions/${sid}/stream`, {}).opened).rejects.toThrow();
    await expect(openWs(`/api/sessions/${sid}/stream?token=${TEST_MASTER_KEY}`, {}).opened).rejects.toThrow();
    const other = await h.createSession();
    const { body } = await h.t.json("POST", `/api/sessions/${other.id}/stream-token`);
    expect(body.token).toStartWith("st.");
    await expect(openWs(`/api/sessions/${sid}/stream?token=${encodeURIComponent(body.token)}`, {}).opened).rejects.toThrow();
    const ok = openWs(`/api/sessions/${other.id}/stream?token=${encodeURIComponent(body.token)}`, {});
    await ok.opened;
    await h.waitFor("replay via token", async () => ok.received.length >= 1);
    ok.ws.close();
    // The token opens nothing else.
    expect((await fetch(`${h.url}/api/sessions/${other.id}?token=${encodeURIComponent(body.token)}`)).status).toBe(401);
    expect((await fetch(`${h.url}/api/sessions/${other.id}/stream?token=${encodeURIComponent(body.token)}`)).status).toBe(200);
  });

  test("50 sessions streaming at once each get their own events, complete and in order", async () => {
    const sessions = await Promise.all(Array.from({ length: 50 }, () => h.createSession()));
    await Promise.all(sessions.map((s) => h.waitForStatus(s.id, "idle", 20_000)));
    const clients = sessions.map((s) => openWs(`/api/sessions/${s.id}/stream?after=0`));
    await Promise.all(clients.map((c) => c.opened));
    await Promise.all(sessions.map((s, i) => h.send(s.id, `hello ${i}`)));
    await h.waitFor(
      "all 50 turns streamed",
      async () => clients.every((c) => c.received.some((e) => e.type === "session.status_idle")),
      30_000,
    );
    for (const [i, c] of clients.entries()) {
      c.ws.close();
      expectRun(
        c.received.filter((e) => e.seq <= c.received.at(-1)!.seq),
        1,
        c.received.at(-1)!.seq,
      );
      const text = c.received
        .filter((e) => e.type === "agent.message")
        .map((e) => (e.data.content as Array<{ text: string }>)[0]!.text)
        .join("");
      expect(text).toBe(`You said: hello ${i}`);
    }
  }, 60_000);
});

describe("live bus across replicas", () => {
  test("a subscriber on another app instance sharing the database sees events via LISTEN/NOTIFY", async () => {
    const { LiveBus } = await import("../events/bus");
    const { EventStore } = await import("../events/store");
    const { OrderedFeed } = await import("./feed");
    // A second "replica": its own bus and store on the same database.
    const bus = new LiveBus(h.t.database);
    await bus.start();
    const store = new EventStore({ database: h.t.database, onAppended: (id, ev) => bus.publish(id, ev) });
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const got: StoredEvent[] = [];
    const feed = new OrderedFeed({ bus, store }, s.id, 2, (evs) => got.push(...evs));
    await feed.start();
    await appendMany(s.id, 5, "small");
    // A big event travels as a seq range and is re-read from the store.
    await svc().append(s.id, [{ type: "agent.message", data: { content: [{ type: "text", text: "x".repeat(20_000) }] } }]);
    await h.waitFor("remote delivery", async () => got.length >= 6);
    feed.close();
    await bus.stop();
    expectRun(got, 3, 8);
    expect((got.at(-1)!.data.content as Array<{ text: string }>)[0]!.text.length).toBe(20_000);
  });
});
