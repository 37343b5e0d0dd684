/**
 * Kill -9 of a real LAP process mid-turn, then restart it on the same database: every event
 * acknowledged before the kill is still there, the interrupted turn is re-attached and finishes,
 * a client resuming from its last seq gets the rest with no gap and no duplicate, and sessions
 * never stay stuck in running or creating.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_DB_DRIVER, freshPostgresUrl } from "../../test/support/db";
import { gate, settlesWithin } from "../../test/support/gate";
import { freePort, type LapChild, startLapChild } from "../../test/support/lap-child";
import { FakeManagedAgents, type FakeStep } from "../../test/support/fake-managed-agents";
import { killMarked } from "../../test/support/processes";
import { readSse } from "../../test/support/session-harness";
import type { StoredEvent } from "./model";

const KEY = "recovery-master-key-123456";
const auth = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };

let fake: FakeManagedAgents;
let env: Record<string, string>;
let dataDir: string;
let dropDb: (() => Promise<void>) | undefined;
let lap: LapChild | undefined;
let child: LapChild["child"] | undefined;
let base: string;

const chunks = (n: number, delay: number): FakeStep[] => [
  { event: { type: "session.status_running" } },
  ...Array.from(
    { length: n },
    (_, i) => [{ delay }, { event: { type: "agent.message", content: [{ type: "text", text: `c${i} ` }] } }] as FakeStep[],
  ).flat(),
  { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
];

async function startChild() {
  lap = await startLapChild(env, base);
  child = lap.child;
}

const kill9 = () => lap!.kill9();

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};
const events = async (id: string): Promise<StoredEvent[]> => (await api("GET", `/api/sessions/${id}/events?limit=1000`)).body.data;
async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    await Bun.sleep(50);
  }
  throw new Error(`timed out: ${what}`);
}
const text = (evs: StoredEvent[]) =>
  evs
    .filter((e) => e.type === "agent.message")
    .map((e) => (e.data.content as Array<{ text: string }>)[0]!.text)
    .join("");

let agentId: string;
beforeAll(async () => {
  fake = new FakeManagedAgents().start();
  dataDir = mkdtempSync(join(tmpdir(), "lap-recovery-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = { PORT: String(port), HOST: "127.0.0.1", LAP_DATA_DIR: dataDir, MASTER_KEY: KEY, LOG_LEVEL: "warn", LAP_ENV: "development" };
  if (TEST_DB_DRIVER === "postgres") {
    const db = await freshPostgresUrl("lap_rec");
    env.DATABASE_URL = db.url;
    dropDb = db.drop;
  }
  await startChild();
  const rt = await api("POST", "/api/runtimes", { alias: "remote", base_url: fake.url, api_key: fake.apiKey });
  const ag = await api("POST", "/api/agents", { name: "survivor", model: "claude-sonnet-4-5", runtime_id: rt.body.id });
  agentId = ag.body.id;
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) await kill9();
  // Whatever the LAPs of this file started (warm-pool sandboxes) goes too, even after a failure.
  if (dataDir) killMarked(dataDir);
  await fake?.stop();
  await dropDb?.();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("SIGKILL mid-turn and restart", () => {
  test("the turn is re-attached and finishes; a client resuming from its last seq misses nothing", async () => {
    fake.reply = () => chunks(40, 40);
    const { body: s } = await api("POST", "/api/sessions", { agent_id: agentId, prompt: "tell me a long story" });
    expect(s.status).toBe("creating");
    // A live client, reading until the kill.
    const res = await fetch(`${base}/api/sessions/${s.id}/stream?after=0`, { headers: auth });
    const before = await readSse(res, (ev) => ev.filter((e) => e.type === "agent.message").length >= 8);
    const acknowledged = await events(s.id);
    await kill9();
    const lastSeen = before.at(-1)!.seq;

    await startChild();
    const after = await readSse(
      await fetch(`${base}/api/sessions/${s.id}/stream`, { headers: { ...auth, "last-event-id": String(lastSeen) } }),
      (ev) => ev.some((e) => e.type === "session.status_idle"),
      20_000,
    );
    const stored = await events(s.id);
    // Everything acknowledged before the kill is still there, unchanged.
    expect(stored.slice(0, acknowledged.length)).toEqual(acknowledged);
    // The client's two connections together are exactly the log: no gap, no duplicate.
    expect([...before, ...after].map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    // One recovery, one session.recovered.
    expect(stored.filter((e) => e.type === "session.recovered")).toHaveLength(1);
    expect(text(stored)).toBe(Array.from({ length: 40 }, (_, i) => `c${i} `).join(""));
    const final = await waitFor("idle", async () =>
      (await api("GET", `/api/sessions/${s.id}`)).body.status === "idle" ? true : undefined,
    );
    expect(final).toBe(true);
    // And the conversation carries on.
    fake.reply = () => chunks(2, 1);
    expect((await api("POST", `/api/sessions/${s.id}/messages`, { text: "thanks" })).status).toBe(202);
    await waitFor("next turn", async () => (await events(s.id)).filter((e) => e.type === "session.status_idle").length === 2);
  }, 120_000);

  test("when the runtime lost the turn during the outage, the session ends with a clear session.error", async () => {
    fake.reply = () => chunks(100, 40);
    const { body: s } = await api("POST", "/api/sessions", { agent_id: agentId, prompt: "long" });
    await waitFor("streaming", async () => (await events(s.id)).some((e) => e.type === "agent.message"));
    await kill9();
    for (const id of [...fake.sessions.keys()]) fake.forget(id);
    await startChild();
    const err = await waitFor("session.error", async () => (await events(s.id)).find((e) => e.type === "session.error"));
    expect((err.data.error as { message: string }).message).toContain("runtime no longer has the session");
    await waitFor("status error", async () => (await api("GET", `/api/sessions/${s.id}`)).body.status === "error");
  }, 120_000);

  test("SIGTERM closes open streams at once, leaves the turn to the next start, which finishes it", async () => {
    // The turn stops after five pieces until the old process has exited: a shutdown that waited for the
    // turn (or for the open stream) would run into its 10 s force-exit and exit 1.
    const rest = gate();
    fake.reply = () => {
      const steps = chunks(30, 40);
      steps.splice(1 + 2 * 5, 0, { until: rest.opened });
      return steps;
    };
    const { body: s } = await api("POST", "/api/sessions", { agent_id: agentId, prompt: "graceful" });
    const res = await fetch(`${base}/api/sessions/${s.id}/stream?after=0`, { headers: auth });
    const before = await readSse(res, (ev) => ev.filter((e) => e.type === "agent.message").length >= 3);
    // A client still reading its stream when SIGTERM comes: the shutdown must close it, not wait on it.
    const stillOpen = (await fetch(`${base}/api/sessions/${s.id}/stream?after=0`, { headers: auth })).body!.getReader();
    await stillOpen.read();
    const closed = (async () => {
      while (!(await stillOpen.read()).done);
    })().catch(() => {});
    child!.kill("SIGTERM");
    expect(await child!.exited).toBe(0);
    await settlesWithin(closed, "a stream open during SIGTERM");
    rest.open();
    expect(rest.forcedOpen).toBe(false);
    await startChild();
    const after = await readSse(
      await fetch(`${base}/api/sessions/${s.id}/stream`, { headers: { ...auth, "last-event-id": String(before.at(-1)!.seq) } }),
      (ev) => ev.some((e) => e.type === "session.status_idle"),
      20_000,
    );
    const stored = await events(s.id);
    expect([...before, ...after].map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    expect(text(stored)).toBe(Array.from({ length: 30 }, (_, i) => `c${i} `).join(""));
  }, 120_000);

  test("a session killed while provisioning does not stay creating", async () => {
    fake.reply = () => chunks(2, 1);
    fake.delayNext("/v1/sessions", 1_500);
    const { body: s } = await api("POST", "/api/sessions", { agent_id: agentId, prompt: "hi" });
    await Bun.sleep(300);
    await kill9();
    await startChild();
    await waitFor("idle after re-provisioning", async () => (await api("GET", `/api/sessions/${s.id}`)).body.status === "idle");
    await waitFor("first prompt answered", async () => (await events(s.id)).some((e) => e.type === "session.status_idle"));
  }, 120_000);
});

/** The runtime-side session of the newest LAP session (tests here run one at a time). */
const newestRemote = () => [...fake.sessions.values()].at(-1)!;
const userTexts = (remote: { received: Array<Record<string, unknown>> }) =>
  remote.received.map((m) => (m.content as Array<{ text: string }>).map((p) => p.text).join(""));

describe("SIGKILL around sending a message: the runtime gets it exactly once", () => {
  test("killed after the runtime accepted the message but before LAP heard back: re-attach finds it in the runtime's list and does not send again", async () => {
    fake.reply = () => chunks(5, 1);
    // The runtime records the message and runs the whole turn, but its answer is held; LAP dies waiting.
    fake.holdAnswer("/v1/sessions/", 5_000);
    let killed!: Promise<void>;
    const held = new Promise<void>(
      (resolve) =>
        (fake.onHold = () => {
          killed = kill9();
          resolve();
        }),
    );
    const { body: s } = await api("POST", "/api/sessions", { agent_id: agentId, prompt: "only once please" });
    await held;
    await killed;
    fake.onHold = undefined;
    const remote = newestRemote();
    await waitFor(
      "runtime finished the turn during the outage",
      async () => remote.status === "idle" && remote.events.some((e) => e.type === "session.status_idle"),
    );
    await startChild();
    await waitFor("turn finished after restart", async () => (await events(s.id)).some((e) => e.type === "session.status_idle"), 20_000);
    expect(userTexts(remote)).toEqual(["only once please"]);
    const stored = await events(s.id);
    expect(stored.filter((e) => e.type === "user.message")).toHaveLength(1);
    expect(text(stored)).toBe("c0 c1 c2 c3 c4 ");
    await waitFor("idle", async () => (await api("GET", `/api/sessions/${s.id}`)).body.status === "idle");
    // The next message is counted right: it is sent (once), not mistaken for the one already there.
    fake.reply = () => chunks(2, 1);
    expect((await api("POST", `/api/sessions/${s.id}/messages`, { text: "second" })).status).toBe(202);
    await waitFor("second turn", async () => (await events(s.id)).filter((e) => e.type === "session.status_idle").length === 2);
    expect(userTexts(remote)).toEqual(["only once please", "second"]);
  }, 120_000);

  test("killed after LAP recorded the send and before any runtime event: the stream is re-attached, nothing is sent again", async () => {
    fake.reply = () => [{ delay: 1_500 }, ...chunks(4, 1)];
    const { body: s } = await api("POST", "/api/sessions", { agent_id: agentId, prompt: "say it once" });
    const remote = await waitFor("runtime got the message", async () => {
      const r = [...fake.sessions.values()].at(-1);
      return r && r.received.length === 1 ? r : undefined;
    });
    // Past the send (LAP writes sent_at right after the runtime's answer), before the first event at 1.5 s.
    await Bun.sleep(200);
    expect((await events(s.id)).some((e) => e.turn_id && e.type === "agent.message")).toBe(false);
    await kill9();
    await startChild();
    await waitFor("turn finished after restart", async () => (await events(s.id)).some((e) => e.type === "session.status_idle"), 20_000);
    expect(userTexts(remote)).toEqual(["say it once"]);
    expect(text(await events(s.id))).toBe("c0 c1 c2 c3 ");
  }, 120_000);

  test("killed before the runtime got the message: re-attach sees it missing from the runtime's list and sends it, once", async () => {
    fake.reply = () => chunks(3, 1);
    // The request never gets past the runtime's front door: it is dropped when LAP's connection dies.
    fake.delayNext("/v1/sessions/", 3_000);
    const before = fake.requests.length;
    const { body: s } = await api("POST", "/api/sessions", { agent_id: agentId, prompt: "lost in transit" });
    await waitFor("send on the wire", async () => fake.requests.slice(before).some((r) => /^POST \/v1\/sessions\/[^/]+\/events$/.test(r)));
    await kill9();
    const remote = newestRemote();
    await Bun.sleep(3_200);
    expect(remote.received).toHaveLength(0);
    await startChild();
    await waitFor("turn finished after restart", async () => (await events(s.id)).some((e) => e.type === "session.status_idle"), 20_000);
    expect(userTexts(remote)).toEqual(["lost in transit"]);
    expect(text(await events(s.id))).toBe("c0 c1 c2 ");
  }, 120_000);
});
