/**
 * The loops as `lap up` starts them (startLap, the system clock, its own ticking): a due slot fires
 * and its run is closed with the turn's outcome, and a webhook's outcome callback is sent, with no
 * test driving a tick. The fake Managed Agents runtime stands for the remote agent; the callback
 * receiver is a local server the operator's allow-list names (LAP_ALLOW_PRIVATE_HOSTS).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Server } from "bun";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningLap, startLap } from "../main";
import { testDatabase } from "../../test/support/db";
import { LOOPBACK_FAKES_ALLOWED } from "../../test/support/destinations";
import { FakeManagedAgents } from "../../test/support/fake-managed-agents";
import { hasValidSignature, webhookHeaders } from "../../test/support/webhook-signing";

const MASTER = "running-lap-master-key-0123";
let lap: RunningLap;
let fake: FakeManagedAgents;
let receiver: Server<unknown>;
const callbacks: Array<{ headers: Headers; body: string }> = [];
let agentId = "";

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${lap.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
};

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await fn();
    if (v) return v;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  fake = new FakeManagedAgents().start();
  receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => (callbacks.push({ headers: req.headers, body: await req.text() }), new Response("ok")),
  });
  const env = {
    LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-running-")),
    PORT: "0",
    MASTER_KEY: MASTER,
    LOG_LEVEL: "silent",
    WARM_POOL_SIZE: "0",
    LAP_ALLOW_PRIVATE_HOSTS: LOOPBACK_FAKES_ALLOWED,
  };
  lap = await startLap(env, { database: await testDatabase() });
  const rt = await api("POST", "/api/runtimes", { alias: "fake", base_url: fake.url, api_key: fake.apiKey });
  agentId = (await api("POST", "/api/agents", { name: "loop-agent", model: "claude-sonnet-4-5", runtime_id: rt.body.id })).body.id;
}, 60_000);
afterAll(async () => {
  await lap?.stop();
  await fake?.stop();
  receiver?.stop(true);
});

test("a due slot fires on its own and its run is closed with the turn's outcome", async () => {
  const s = await api("POST", "/api/schedules", { name: "minutely", agent_id: agentId, cron: "* * * * *", prompt: "status report" });
  expect(s.status).toBe(201);
  // Due now, without waiting for the next minute: the slot that began this minute.
  await lap.database.query("update schedules set next_run_at = date_trunc('minute', now()) where id = $1", [s.body.id]);
  const run = await waitFor("the run closed", async () => {
    const [row] = await lap.database.query<{ status: string; trigger: string; session_id: string; slot_at: Date }>(
      "select status, trigger, session_id, slot_at from schedule_runs where schedule_id = $1",
      [s.body.id],
    );
    return row?.status === "completed" ? row : undefined;
  });
  expect(run.trigger).toBe("schedule");
  const events = (await api("GET", `/api/sessions/${run.session_id}/events?limit=1000`)).body.data as Array<{ type: string }>;
  expect(events.some((e) => e.type === "agent.message")).toBe(true);
  // The next slot is after the one that fired (not "after now": the minute may turn during the test).
  expect(Date.parse((await api("GET", `/api/schedules/${s.body.id}`)).body.next_run_at)).toBeGreaterThan(new Date(run.slot_at).getTime());
}, 30_000);

test("a webhook's outcome callback goes out on its own", async () => {
  const created = await api("POST", "/api/triggers", {
    name: "hook",
    agent_id: agentId,
    prompt_template: "{{body.text}}",
    callback_url: `http://127.0.0.1:${receiver.port}/cb`,
  });
  expect(created.status).toBe(201);
  const raw = JSON.stringify({ text: "ping" });
  const res = await fetch(`${lap.url}/api/triggers/${created.body.trigger.id}`, {
    method: "POST",
    body: raw,
    headers: webhookHeaders(created.body.secret, raw, new Date()),
  });
  expect(res.status).toBe(202);
  const cb = await waitFor("the callback", async () => callbacks[0]);
  expect(hasValidSignature(created.body.secret, cb.headers, cb.body)).toBe(true);
  expect(JSON.parse(cb.body)).toMatchObject({ status: "completed", output: "You said: ping" });
}, 30_000);
