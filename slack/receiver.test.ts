import { describe, expect, test } from "bun:test";
import type { App, ReceiverEvent } from "@slack/bolt";
import { gate } from "../test/support/gate";
import { signedEvent, signedInteraction, signedRequest } from "../test/support/slack-signing";
import { FetchReceiver } from "./receiver";

const SECRET = "receiver-test-secret";
const BASE = "http://lap.test";

/** The receiver alone, with a stand-in for Bolt's App that does what each test needs. */
function receiverWith(processEvent: (e: ReceiverEvent) => Promise<void>, deadlineMs = 200) {
  const r = new FetchReceiver(
    SECRET,
    () => {},
    () => {},
    deadlineMs,
  );
  r.init({ processEvent } as unknown as App);
  return r;
}

describe("FetchReceiver", () => {
  test("an event whose inbox write outlasts the deadline gets 503, so Slack retries", async () => {
    // The inbox write ends only after the receiver answered: one that waited past its 200 ms deadline
    // would wait for the guard (15 s).
    const inboxWrite = gate();
    const r = receiverWith(() => inboxWrite.opened);
    const res = await r.handle(signedEvent(BASE, { type: "event_callback", event_id: "Ev1", event: {} }, { secret: SECRET }));
    inboxWrite.open();
    expect(inboxWrite.forcedOpen).toBe(false);
    expect(res.status).toBe(503);
  }, 30_000);

  test("an event is answered only after the listeners finished (Bolt's early ack is not enough)", async () => {
    let listenerDone = false;
    const r = receiverWith(async (e) => {
      await e.ack();
      await Bun.sleep(50);
      listenerDone = true;
    });
    const res = await r.handle(signedEvent(BASE, { type: "event_callback", event_id: "Ev2", event: {} }, { secret: SECRET }));
    expect(res.status).toBe(200);
    expect(listenerDone).toBe(true);
  });

  test("a listener error on an event is a 500 (not stored, Slack retries)", async () => {
    const r = receiverWith(async () => {
      throw new Error("db down");
    });
    const res = await r.handle(signedEvent(BASE, { type: "event_callback", event_id: "Ev3", event: {} }, { secret: SECRET }));
    expect(res.status).toBe(500);
  });

  test("interactivity is answered as soon as the listener acks, with the ack's body", async () => {
    let finished = false;
    const r = receiverWith(async (e) => {
      await e.ack({ text: "ok" });
      await Bun.sleep(300);
      finished = true;
    });
    const res = await r.handle(signedInteraction(BASE, { type: "block_actions", actions: [] }, { secret: SECRET }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ text: "ok" });
    expect(finished).toBe(false);
  });

  test("a request no listener acknowledged is a 404", async () => {
    const r = receiverWith(async () => {});
    const res = await r.handle(signedInteraction(BASE, { type: "block_actions", actions: [] }, { secret: SECRET }));
    expect(res.status).toBe(404);
  });

  test("ssl_check is answered; malformed bodies are 400; unsigned bodies never reach Bolt", async () => {
    let called = 0;
    const r = receiverWith(async (e) => {
      called += 1;
      await e.ack();
    });
    const ssl = await r.handle(
      signedRequest(`${BASE}/slack/commands`, "ssl_check=1&token=x", "application/x-www-form-urlencoded", { secret: SECRET }),
    );
    expect(ssl.status).toBe(200);
    const bad = await r.handle(signedRequest(`${BASE}/slack/events`, "{not json", "application/json", { secret: SECRET }));
    expect(bad.status).toBe(400);
    const unsigned = await r.handle(
      new Request(`${BASE}/slack/events`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } }),
    );
    expect(unsigned.status).toBe(401);
    expect(called).toBe(0);
  });

  test("a validly signed request timestamped more than 5 minutes ahead is 401, as one 5 minutes old is", async () => {
    let ran = 0;
    const r = receiverWith(async (e) => {
      ran++;
      await e.ack();
    });
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now + 600, now + 301, now - 301]) {
      const res = await r.handle(signedInteraction(BASE, { type: "block_actions", actions: [] }, { secret: SECRET, timestamp }));
      expect(res.status).toBe(401);
    }
    expect(ran).toBe(0);
    expect(
      (await r.handle(signedInteraction(BASE, { type: "block_actions", actions: [] }, { secret: SECRET, timestamp: now + 200 }))).status,
    ).toBe(200);
  });

  test("an interaction replayed with the same signature runs once; events are left to the inbox's event_id dedupe", async () => {
    const seen = new Set<string>();
    let ran = 0;
    const r = new FetchReceiver(
      SECRET,
      () => {},
      () => {},
      200,
      {
        limits: { maxBytes: 1_000_000, maxDepth: 64 },
        firstSeen: async (sig) => !seen.has(sig) && !!seen.add(sig),
      },
    );
    r.init({
      processEvent: async (e: ReceiverEvent) => {
        ran++;
        await e.ack();
      },
    } as unknown as App);
    const timestamp = Math.floor(Date.now() / 1000);
    const interaction = () => signedInteraction(BASE, { type: "block_actions", actions: [] }, { secret: SECRET, timestamp });
    expect((await r.handle(interaction())).status).toBe(200);
    expect((await r.handle(interaction())).status).toBe(200);
    expect(ran).toBe(1);
    const event = () => signedEvent(BASE, { type: "event_callback", event_id: "EvSame", event: {} }, { secret: SECRET, timestamp });
    await r.handle(event());
    await r.handle(event());
    expect(ran).toBe(3);
  });

  test("a body over the size limit is 413 and one nested past the depth limit is 400, before any listener", async () => {
    let ran = 0;
    const r = new FetchReceiver(
      SECRET,
      () => {},
      () => {},
      200,
      { limits: { maxBytes: 2048, maxDepth: 8 } },
    );
    r.init({ processEvent: async () => void ran++ } as unknown as App);
    expect((await r.handle(signedEvent(BASE, { type: "event_callback", pad: "x".repeat(5000) }, { secret: SECRET }))).status).toBe(413);
    const deep = `{"type":"event_callback","e":${"[".repeat(20)}${"]".repeat(20)}}`;
    expect((await r.handle(signedRequest(`${BASE}/slack/events`, deep, "application/json", { secret: SECRET }))).status).toBe(400);
    expect(ran).toBe(0);
  });
});
