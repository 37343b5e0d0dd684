/**
 * Outcome callbacks: when a webhook's turn ends, LAP POSTs the outcome to the trigger's callback
 * URL, signed with its secret, retrying with backoff (an injected clock drives the waits), and
 * never to a destination that resolves to a non-public address unless the operator allows it.
 * The receiver is a local HTTP server; the operator's allow-list names loopback for it, as
 * LAP_ALLOW_PRIVATE_HOSTS would (test/support/destinations.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { createSecretBox } from "../lib/crypto";
import { createLogger } from "../lib/logger";
import { DestinationGuard } from "../net/destinations";
import { ManualClock } from "../../test/support/clock";
import { loopbackFakesAllowed } from "../../test/support/destinations";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { hasValidSignature, webhookHeaders } from "../../test/support/webhook-signing";
import { TriggerCallbacks } from "./callbacks";

const clock = new ManualClock("2025-06-02T09:00:00Z");
const encryptionKey = Buffer.alloc(32, 7);
let h: SessionHarness;
let receiver: Server<unknown>;
const received: Array<{ headers: Headers; body: string }> = [];
/** Status codes the receiver answers, in order; 200 once they run out. */
let answers: number[] = [];

beforeAll(async () => {
  receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => {
      received.push({ headers: req.headers, body: await req.text() });
      return new Response("receiver says: internal detail", { status: answers.shift() ?? 200 });
    },
  });
  h = await sessionHarness({
    env: { ENCRYPTION_KEY: encryptionKey.toString("base64") },
    app: { clock, destinations: loopbackFakesAllowed(), automationOptions: { callbackBackoffMs: [1_000, 5_000, 20_000] } },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
  receiver?.stop(true);
});
beforeEach(() => {
  received.length = 0;
  answers = [];
});

const callbacks = () => h.t.services.triggerCallbacks;
const hook = () => `http://127.0.0.1:${receiver.port}/hooks/lap`;

async function triggerWithCallback(callbackUrl = hook()) {
  const res = await h.t.json("POST", "/api/triggers", {
    body: { name: "cb", agent_id: h.agentId, prompt_template: "{{body.text}}", callback_url: callbackUrl },
  });
  expect(res.status).toBe(201);
  return res.body as { trigger: { id: string }; secret: string };
}

const delivery = async (triggerId: string) => (await h.t.json("GET", `/api/triggers/${triggerId}/deliveries`)).body.data[0];

/** Delivers a webhook and ticks `loop` until it has closed the delivery (that tick makes the first attempt). */
async function deliverAndFinish(id: string, secret: string, text: string, loop: { tick(): Promise<void> } = callbacks()) {
  const raw = JSON.stringify({ text });
  const res = await h.t.json("POST", `/api/triggers/${id}`, { key: null, body: raw, headers: webhookHeaders(secret, raw, clock.now()) });
  expect(res.status).toBe(202);
  await h.waitFor("the loop saw the turn end", async () => {
    await loop.tick();
    const [row] = await h.t.database.query<{ status: string }>("select status from trigger_deliveries where id = $1", [
      res.body.delivery_id,
    ]);
    return row!.status !== "started";
  });
  return res.body as { delivery_id: string; session_id: string; turn_id: string };
}

describe("outcome callbacks", () => {
  test("when the turn ends, the outcome with the agent's answer is POSTed once, signed with the trigger's secret", async () => {
    const { trigger, secret } = await triggerWithCallback();
    const d = await deliverAndFinish(trigger.id, secret, "ship it");
    await callbacks().tick();
    expect(received).toHaveLength(1);
    const [cb] = received;
    expect(hasValidSignature(secret, cb!.headers, cb!.body)).toBe(true);
    expect(cb!.headers.get("x-lap-delivery")).toBe(d.delivery_id);
    expect(cb!.headers.get("x-lap-timestamp")).toBe(String(Math.floor(clock.now().getTime() / 1000)));
    expect(JSON.parse(cb!.body)).toMatchObject({
      type: "trigger.turn_ended",
      trigger_id: trigger.id,
      delivery_id: d.delivery_id,
      session_id: d.session_id,
      turn_id: d.turn_id,
      status: "completed",
      error: null,
      output: "You said: ship it",
      output_truncated: false,
      attempt: 1,
    });
    expect(await delivery(trigger.id)).toMatchObject({
      status: "completed",
      callback_status: "delivered",
      callback_attempts: 1,
      callback_error: null,
    });
  }, 30_000);

  test("a failing receiver is retried after each backoff, not before, until it answers 2xx", async () => {
    const { trigger, secret } = await triggerWithCallback();
    answers = [500, 503];
    await deliverAndFinish(trigger.id, secret, "retry me");
    expect(await delivery(trigger.id)).toMatchObject({ callback_status: "pending", callback_attempts: 1, callback_error: "HTTP 500" });
    await callbacks().tick(); // the first backoff (1 s) has not passed
    expect(received).toHaveLength(1);
    clock.advance(1_000);
    await callbacks().tick();
    expect(await delivery(trigger.id)).toMatchObject({ callback_status: "pending", callback_attempts: 2, callback_error: "HTTP 503" });
    clock.advance(4_999);
    await callbacks().tick();
    expect(received).toHaveLength(2);
    clock.advance(1);
    await callbacks().tick();
    expect(received).toHaveLength(3);
    expect(received.map((r) => JSON.parse(r.body).attempt)).toEqual([1, 2, 3]);
    expect(await delivery(trigger.id)).toMatchObject({ callback_status: "delivered", callback_attempts: 3, callback_error: null });
  }, 30_000);

  test("after the last retry it gives up, saying why (the receiver's answer is not kept)", async () => {
    const { trigger, secret } = await triggerWithCallback();
    answers = [500, 500, 500, 500, 500];
    await deliverAndFinish(trigger.id, secret, "never");
    for (const wait of [1_000, 5_000, 20_000, 60_000]) {
      clock.advance(wait);
      await callbacks().tick();
    }
    expect(received).toHaveLength(4);
    const d = await delivery(trigger.id);
    expect(d).toMatchObject({ callback_status: "failed", callback_attempts: 4, callback_error: "HTTP 500 (gave up after 4 attempts)" });
    expect(JSON.stringify(d)).not.toContain("internal detail");
  }, 30_000);

  test("a callback host that resolves to a non-public address is refused when sending, without retries", async () => {
    const { trigger, secret } = await triggerWithCallback("https://hooks.example.com/lap");
    // This replica has no allowance, and its resolver says hooks.example.com is loopback (DNS can change after the check at creation).
    const strict = new TriggerCallbacks({
      database: h.t.database,
      box: createSecretBox(encryptionKey),
      destinations: new DestinationGuard({ resolve: async () => [{ address: "127.0.0.1", family: 4 }] }),
      clock,
      log: createLogger("silent"),
    });
    await deliverAndFinish(trigger.id, secret, "where to?", strict);
    await strict.tick();
    const d = await delivery(trigger.id);
    expect(d.callback_status).toBe("failed");
    expect(d.callback_error).toMatch(/^refused: hooks\.example\.com resolves to a non-public address \(127\.0\.0\.1: loopback\)/);
    expect(received).toHaveLength(0);
  }, 30_000);

  test("a trigger without a callback URL sends nothing", async () => {
    const res = await h.t.json("POST", "/api/triggers", { body: { name: "quiet", agent_id: h.agentId, prompt_template: "{{body.text}}" } });
    await deliverAndFinish(res.body.trigger.id, res.body.secret, "shh");
    await callbacks().tick();
    expect(await delivery(res.body.trigger.id)).toMatchObject({ status: "completed", callback_status: "none" });
    expect(received).toHaveLength(0);
  }, 30_000);
});
