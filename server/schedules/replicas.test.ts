/**
 * Two LAP app instances, each with its own connection pool, sessions worker and scheduler, on one
 * PostgreSQL database, driven by one injected clock: however their ticks interleave, each slot
 * fires exactly once (one run, one session). A replica replaced by a new one ("restart") and one
 * that dies between claiming and committing change nothing. PGlite is one process: Postgres only.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createApp } from "../app";
import { loadConfig } from "../config/load";
import { createDatabase, type Database } from "../db/client";
import { migrate } from "../db/migrate";
import { createLogger } from "../lib/logger";
import { ManualClock } from "../../test/support/clock";
import { freshPostgresUrl } from "../../test/support/db";
import { FakeManagedAgents } from "../../test/support/fake-managed-agents";
import { NEEDS_POSTGRES, requires } from "../../test/support/skip";
import { TEST_MASTER_KEY, TEST_TICK_MS } from "../../test/support/app";
import { TurnDispatcher } from "../automation/dispatch";
import { Scheduler } from "./scheduler";

type Replica = { app: ReturnType<typeof createApp>; database: Database; stop(): Promise<void> };

const clock = new ManualClock("2025-02-03T10:00:30Z");
const encryptionKey = randomBytes(32).toString("base64");
let fresh: Awaited<ReturnType<typeof freshPostgresUrl>> | undefined;
let fake: FakeManagedAgents | undefined;
const replicas: Replica[] = [];

async function replica(): Promise<Replica> {
  const database = await createDatabase({ url: fresh!.url, max: 4 });
  const rawEnv = {
    LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-sched-replica-")),
    MASTER_KEY: TEST_MASTER_KEY,
    ENCRYPTION_KEY: encryptionKey,
    LOG_LEVEL: "silent",
  };
  const app = createApp({
    config: loadConfig(rawEnv),
    database,
    logger: createLogger("silent"),
    rawEnv,
    clock,
    uiDist: join(rawEnv.LAP_DATA_DIR, "no-ui"),
    sessionOptions: { sweepIntervalMs: 500 },
    // The test ticks each replica by hand (tickAll) at the clock it sets.
    automationOptions: { tickMs: TEST_TICK_MS },
  });
  // Started as server/main.ts starts it (server/app/lifecycle.ts), driven through app.handle.
  await app.start();
  const r: Replica = {
    app,
    database,
    stop: async () => {
      await app.stop();
      await database.close();
      replicas.splice(replicas.indexOf(r), 1);
    },
  };
  replicas.push(r);
  return r;
}

const call = async (r: Replica, method: string, path: string, body?: unknown) => {
  const res = await r.app.app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }),
  );
  return { status: res.status, body: (await res.json()) as any };
};

let scheduleId = "";
const slotsFired = async (db: Database) =>
  db.query<{ slot_at: Date; runs: number; sessions: number }>(
    "select slot_at, count(*)::int as runs, count(distinct session_id)::int as sessions from schedule_runs where schedule_id = $1 group by slot_at order by slot_at",
    [scheduleId],
  );
const sessionCount = async (db: Database) => (await db.query<{ n: number }>("select count(*)::int as n from sessions"))[0]!.n;

/** Both (or all) replicas tick `rounds` times each, concurrently, at the current clock. */
async function tickAll(rounds = 3) {
  await Promise.all(replicas.flatMap((r) => Array.from({ length: rounds }, () => r.app.services.scheduler.tick())));
}

beforeAll(async () => {
  if (NEEDS_POSTGRES) return; // the tests below report themselves skipped
  fresh = await freshPostgresUrl("lap_sched");
  const setup = await createDatabase({ url: fresh.url, max: 1 });
  await migrate(setup);
  await setup.close();
  fake = new FakeManagedAgents().start();
  const a = await replica();
  await replica();
  const rt = await call(a, "POST", "/api/runtimes", { alias: "fake", base_url: fake.url, api_key: fake.apiKey });
  const agent = await call(a, "POST", "/api/agents", { name: "reporter", model: "claude-sonnet-4-5", runtime_id: rt.body.id });
  // queue: a slot never waits on skipping, so every slot has a run whatever the timing of the last one.
  const s = await call(a, "POST", "/api/schedules", {
    name: "every minute",
    agent_id: agent.body.id,
    cron: "* * * * *",
    prompt: "tick",
    concurrency: "queue",
  });
  expect(s.status).toBe(201);
  scheduleId = s.body.id;
}, 60_000);

afterAll(async () => {
  for (const r of [...replicas]) await r.stop();
  await fake?.stop();
  await fresh?.drop();
});

requires(NEEDS_POSTGRES).describe("two replicas on one PostgreSQL", () => {
  test("ticking both, concurrently and repeatedly, fires each slot exactly once", async () => {
    const db = replicas[0]!.database;
    for (let minute = 1; minute <= 8; minute++) {
      // Anywhere inside the minute: both replicas see the slot as due.
      clock.set(new Date(Date.parse("2025-02-03T10:00:00Z") + minute * 60_000 + Math.floor(Math.random() * 20_000)));
      await tickAll();
      // Let the turn finish so the next slot starts rather than waits (either way it is one run).
      await waitFor(
        async () =>
          (await db.query("select 1 from schedule_runs where schedule_id = $1 and status in ('pending', 'started')", [scheduleId]))
            .length === 0,
        tickAll,
      );
    }
    const fired = await slotsFired(db);
    expect(fired.map((f) => new Date(f.slot_at).toISOString())).toEqual(
      Array.from({ length: 8 }, (_, i) => `2025-02-03T10:0${i + 1}:00.000Z`),
    );
    expect(fired.every((f) => f.runs === 1 && f.sessions === 1)).toBe(true);
    expect(await sessionCount(db)).toBe(8);
  }, 120_000);

  test("a replica replaced by a new one does not fire a slot again, and the next slot fires once", async () => {
    await replicas[1]!.stop();
    await replica(); // the "restarted" process: nothing in memory, same database
    const db = replicas[0]!.database;
    await tickAll(); // still inside 10:08's minute: already fired
    expect((await slotsFired(db)).length).toBe(8);
    clock.set("2025-02-03T10:09:05Z");
    await tickAll();
    const fired = await slotsFired(db);
    expect(fired.length).toBe(9);
    expect(fired.at(-1)).toMatchObject({ runs: 1, sessions: 1 });
    await waitFor(
      async () =>
        (await db.query("select 1 from schedule_runs where schedule_id = $1 and status in ('pending', 'started')", [scheduleId])).length ===
        0,
      tickAll,
    );
  }, 60_000);

  test("a replica that dies after claiming, before committing, leaves the slot to the others: fired once", async () => {
    const db = replicas[0]!.database;
    const sessionsBefore = await sessionCount(db);
    const dying = new Scheduler({
      database: replicas[1]!.database,
      dispatcher: new TurnDispatcher(replicas[1]!.app.services.sessions.sessions),
      clock,
      log: createLogger("silent"),
      afterClaim: async () => {
        await Bun.sleep(200); // holds the row while the others tick (they skip it)
        throw new Error("killed");
      },
    });
    clock.set("2025-02-03T10:10:01Z");
    await Promise.all([dying.tick().catch(() => {}), Bun.sleep(20).then(() => tickAll(2))]);
    await tickAll();
    const fired = await slotsFired(db);
    expect(fired.length).toBe(10);
    expect(fired.at(-1)).toMatchObject({ runs: 1, sessions: 1 });
    expect(await sessionCount(db)).toBe(sessionsBefore + 1);
  }, 60_000);
});

async function waitFor(done: () => Promise<boolean>, between: () => Promise<void>, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await done()) return;
    await between();
    await Bun.sleep(50);
  }
  throw new Error("timed out");
}
