/**
 * Sessions benchmark, on embedded PGlite and on PostgreSQL:
 *  1. event append throughput (LAP's locked counter row) vs the MAX(seq)+1-with-retry baseline;
 *  2. latency from a runtime event (fake Managed Agents runtime → adapter → worker → store → bus)
 *     to WebSocket clients, p50/p99, with 1 and 500 subscribers, vs a bare Bun WebSocket publish;
 *  3. replay of 10,000 events to a reconnecting WebSocket client vs a bare SELECT of the same rows;
 *  4. session list with 10,000 sessions: keyset page (first and deep) vs OFFSET paging.
 * Run: bun bench/sessions/run.ts   (writes bench/sessions/RESULTS.md)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../server/app";
import { loadConfig } from "../../server/config/load";
import { createDatabase, type Database } from "../../server/db/client";
import { migrate } from "../../server/db/migrate";
import { createLogger } from "../../server/lib/logger";
import { freshPostgresUrl } from "../../test/support/db";
import { FakeManagedAgents, type FakeStep } from "../../test/support/fake-managed-agents";

const KEY = "bench-master-key-0123456789";
const H = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
const rows: string[][] = [];
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f = (n: number, d = 1) => n.toFixed(d);
const add = (driver: string, what: string, lap: string, baseline: string, goal = "") => {
  rows.push([driver, what, lap, baseline, goal]);
  console.log(`${driver.padEnd(9)} ${what.padEnd(48)} ${lap.padEnd(22)} ${baseline.padEnd(22)} ${goal}`);
};

async function withDriver(driver: "pglite" | "postgres", run: (db: Database) => Promise<void>) {
  if (driver === "postgres") {
    const fresh = await freshPostgresUrl("lap_bench");
    const db = await createDatabase({ url: fresh.url, max: 10 });
    await migrate(db);
    try {
      await run(db);
    } finally {
      await db.close();
      await fresh.drop();
    }
  } else {
    const db = await createDatabase({});
    await migrate(db);
    try {
      await run(db);
    } finally {
      await db.close();
    }
  }
}

async function bench(driver: "pglite" | "postgres", db: Database) {
  const dataDir = mkdtempSync(join(tmpdir(), "lap-bench-"));
  const config = loadConfig({ LAP_DATA_DIR: dataDir, MASTER_KEY: KEY, LOG_LEVEL: "silent" });
  const { app, services, start, stop } = createApp({ config, database: db, logger: createLogger("silent"), uiDist: join(dataDir, "none") });
  // Started as server/main.ts starts it (server/app/lifecycle.ts).
  const server = await start(() => {
    app.listen({ port: 0, hostname: "127.0.0.1", idleTimeout: 30 });
    return app.server!;
  });
  const base = `http://127.0.0.1:${server.port}`;
  const fake = new FakeManagedAgents().start();
  const api = async (method: string, path: string, body?: unknown) =>
    (await fetch(`${base}${path}`, { method, headers: H, body: body ? JSON.stringify(body) : undefined })).json() as Promise<any>;
  const rt = await api("POST", "/api/runtimes", { alias: "fake", base_url: fake.url, api_key: fake.apiKey });
  const agent = await api("POST", "/api/agents", { name: "bench", model: "m", runtime_id: rt.id });
  const newSession = async () => {
    const s = await api("POST", "/api/sessions", { agent_id: agent.id });
    while ((await api("GET", `/api/sessions/${s.id}`)).status !== "idle") await Bun.sleep(10);
    return s.id as string;
  };
  const svc = services.sessions.sessions;
  const ev = (i: number) => ({ type: "agent.message", data: { content: [{ type: "text", text: `chunk ${i} of a streamed reply` }] } });
  let t0 = performance.now();

  if (!ONLY_LATENCY) {
    // 1. Append throughput: 10 sessions written concurrently.
    const SESSIONS = 10;
    const PER = driver === "postgres" ? 1000 : 500;
    const ids = await Promise.all(Array.from({ length: SESSIONS }, () => newSession()));
    t0 = performance.now();
    await Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < PER; i++) await svc.append(id, [ev(i)]);
      }),
    );
    const single = (SESSIONS * PER) / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    await Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < PER; i += 20)
          await svc.append(
            id,
            Array.from({ length: 20 }, (_, j) => ev(i + j)),
          );
      }),
    );
    const batched = (SESSIONS * PER) / ((performance.now() - t0) / 1000);
    // Baseline: the reference's MAX(seq)+1 in a transaction, retried on a unique violation.
    await db.query(
      "create table if not exists bench_naive (session_id text, seq bigint, type text, data jsonb, primary key (session_id, seq))",
    );
    let retries = 0;
    t0 = performance.now();
    await Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < PER; i++) {
          for (;;) {
            try {
              await db.transaction(async (tx) => {
                await tx.query(
                  "insert into bench_naive select $1, coalesce(max(seq), 0) + 1, $2, $3::jsonb from bench_naive where session_id = $1",
                  [id, "agent.message", JSON.stringify(ev(i).data)],
                );
              });
              break;
            } catch {
              retries++;
            }
          }
        }
      }),
    );
    const naive = (SESSIONS * PER) / ((performance.now() - t0) / 1000);
    // Ceiling: how many commits a second this database takes from the same number of writers, one
    // single-row INSERT each with nothing else (no counter, no NOTIFY).
    await db.query("create table if not exists bench_commit (id bigserial primary key, data jsonb)");
    t0 = performance.now();
    await Promise.all(
      ids.map(async (_id) => {
        for (let i = 0; i < PER; i++) await db.query("insert into bench_commit (data) values ($1::jsonb)", [JSON.stringify(ev(i).data)]);
      }),
    );
    const commits = (SESSIONS * PER) / ((performance.now() - t0) / 1000);
    add(
      driver,
      `append, 1 event per call, ${SESSIONS} sessions concurrently`,
      `${f(single, 0)} ev/s`,
      `${f(naive, 0)} ev/s (MAX+1, ${retries} retries); ${f(commits, 0)} commits/s (bare INSERT)`,
      driver === "postgres" ? "≥ 5000 ev/s" : "",
    );
    add(
      driver,
      `append, 20 events per call (a streaming turn)`,
      `${f(batched, 0)} ev/s`,
      `${f(naive, 0)} ev/s`,
      driver === "postgres" ? "≥ 5000 ev/s" : "",
    );

    // 1b. The real path: a runtime streaming 3,000 events as fast as it can, through adapter and turn worker
    // (which batches whatever arrives while a write is in flight).
    {
      const sid = await newSession();
      const N = 3000;
      fake.reply = () => [
        { event: { type: "session.status_running" } },
        ...Array.from({ length: N }, (_, i) => ({ event: { type: "agent.message", content: [{ type: "text", text: `t${i}` }] } })),
        { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
      ];
      const start = performance.now();
      await api("POST", `/api/sessions/${sid}/messages`, { text: "go" });
      while (
        (
          await db.query<{ n: number }>(
            "select count(*)::int as n from session_events where session_id = $1 and type = 'session.status_idle'",
            [sid],
          )
        )[0]!.n === 0
      )
        await Bun.sleep(5);
      const rate = (N + 2) / ((performance.now() - start) / 1000);
      add(
        driver,
        `runtime → worker → log, one turn streaming ${N} events`,
        `${f(rate, 0)} ev/s`,
        `${f(naive, 0)} ev/s (MAX+1)`,
        driver === "postgres" ? "≥ 5000 ev/s" : "",
      );
    }
  }
  // 2. Runtime event → WebSocket client latency, clients in another process (see ws-clients.ts).
  // `cpu` is this process's CPU time (LAP + the fake runtime; not the clients) per event.
  const deliver = async (subscribers: number, native: boolean) => {
    services.sessions.topics.native = native;
    const sid = await newSession();
    const from = (await api("GET", `/api/sessions/${sid}`)).last_seq;
    const clients = await startClients(`${base.replace("http", "ws")}/api/sessions/${sid}/stream?after=${from}`, subscribers, EVENTS);
    fake.reply = () =>
      [
        { event: { type: "session.status_running" } },
        ...Array.from({ length: EVENTS }, () => [{ delay: 5 }, { lazy: true }] as unknown as FakeStep[]).flat(),
        { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
      ].map((s) =>
        "lazy" in s
          ? {
              get event() {
                return { type: "agent.message", content: [{ type: "text", text: String(epochNow()) }] };
              },
            }
          : s,
      ) as FakeStep[];
    const cpu0 = process.cpuUsage();
    await api("POST", `/api/sessions/${sid}/messages`, { text: "go" });
    const result = await clients.result;
    const cpu = process.cpuUsage(cpu0);
    services.sessions.topics.native = true;
    return { ...result, cpuPerEvent: (cpu.user + cpu.system) / 1000 / EVENTS };
  };
  // Settle the database's deferred work from the append rows (autovacuum of ~50,000 new rows, a
  // checkpoint) now, so it does not land on the 2 cores in the middle of the latency rows.
  await db.query("vacuum analyze");
  await db.query("checkpoint");
  for (const subscribers of [1, 500]) {
    const lap = await deliver(subscribers, true);
    // Baseline: a bare Bun server publishing the same number of messages to the same number of sockets.
    const bare = await bareWsLatency(subscribers, EVENTS);
    const label = `runtime event → WS client, ${subscribers} subscriber${subscribers > 1 ? "s" : ""} (p50 / p99)`;
    add(
      driver,
      label,
      `${f(lap.p50, 2)} / ${f(lap.p99, 2)} ms, cpu ${f(lap.cpuPerEvent, 2)} ms/ev`,
      `${f(bare.p50, 2)} / ${f(bare.p99, 2)} ms (bare Bun WS)`,
      subscribers === 500 ? "p99 < 10 ms" : "",
    );
    if (subscribers === 500) {
      // The previous design in the same run: every socket fed from its own feed by a JS ws.send.
      const perClient = await deliver(subscribers, false);
      add(
        driver,
        `… same, per-socket JS sends (the previous design)`,
        `${f(perClient.p50, 2)} / ${f(perClient.p99, 2)} ms, cpu ${f(perClient.cpuPerEvent, 2)} ms/ev`,
        "",
        "",
      );
    }
  }

  if (!ONLY_LATENCY) {
    // 3. Replay of 10,000 events on reconnect.
    const rsid = await newSession();
    for (let i = 0; i < 10_000; i += 500)
      await svc.append(
        rsid,
        Array.from({ length: 500 }, (_, j) => ev(i + j)),
      );
    const total = (await api("GET", `/api/sessions/${rsid}`)).last_seq;
    const replays: number[] = [];
    for (let r = 0; r < 3; r++) {
      t0 = performance.now();
      await new Promise<void>((resolve) => {
        let n = 0;
        const ws = new WebSocket(`${base.replace("http", "ws")}/api/sessions/${rsid}/stream?after=0`, { headers: H } as never);
        ws.onmessage = () => {
          if (++n === total) {
            ws.close();
            resolve();
          }
        };
      });
      replays.push(performance.now() - t0);
    }
    t0 = performance.now();
    await db.query("select seq, type, data, turn_id, created_at from session_events where session_id = $1 order by seq", [rsid]);
    const select = performance.now() - t0;
    add(
      driver,
      `replay ${total} events to a reconnecting WS client`,
      `${f(pct(replays, 50), 0)} ms (median of 3)`,
      `${f(select, 0)} ms (one SELECT, no network)`,
      "< 300 ms",
    );

    // 4. Session list with 10,000 sessions.
    await db.query(
      `insert into sessions (id, agent_id, title, status, runtime_id, created_at)
    select 'ses_bench_' || g, $1, 'bench ' || g, 'idle', $2, now() - (g || ' seconds')::interval from generate_series(1, 10000) g`,
      [agent.id, rt.id],
    );
    const timeIt = async (fn: () => Promise<unknown>, n = 20) => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) {
        const s = performance.now();
        await fn();
        xs.push(performance.now() - s);
      }
      return pct(xs, 50);
    };
    const first = await timeIt(() => api("GET", "/api/sessions?limit=50"));
    let cursor: string | null = null;
    for (let i = 0; i < 190; i++) cursor = (await api("GET", `/api/sessions?limit=50${cursor ? `&cursor=${cursor}` : ""}`)).next_cursor;
    const deep = await timeIt(() => api("GET", `/api/sessions?limit=50&cursor=${cursor}`));
    const offset = await timeIt(() => db.query("select * from sessions order by created_at desc, id desc limit 50 offset 9500"));
    const body = JSON.stringify(await api("GET", "/api/sessions?limit=50")).length;
    add(driver, `list 10,000 sessions: first page of 50 (HTTP)`, `${f(first, 2)} ms, ${f(body / 1024, 1)} KiB`, "", "");
    add(driver, `list 10,000 sessions: page 191 via cursor (HTTP)`, `${f(deep, 2)} ms`, `${f(offset, 2)} ms (OFFSET 9500, SQL only)`, "");
  }
  await stop();
  await fake.stop();
}

/** Events per delivery row, one every 5 ms: enough that the p99 is not just the second-worst sample. */
const EVENTS = 1000;

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on this machine. */
const epochNow = () => performance.timeOrigin + performance.now();

/** Starts the WebSocket clients in their own process; resolves once they are all connected. */
async function startClients(url: string, sockets: number, perSocket: number) {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "ws-clients.ts"), url, String(sockets), String(perSocket)], {
    env: { ...process.env, BENCH_AUTH: H.authorization },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const line = async () => {
    while (!buf.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("benchmark clients exited early");
      buf += dec.decode(value, { stream: true });
    }
    const i = buf.indexOf("\n");
    const out = buf.slice(0, i);
    buf = buf.slice(i + 1);
    return out;
  };
  if ((await line()) !== "ready") throw new Error("benchmark clients did not connect");
  await Bun.sleep(100);
  const result = line()
    .then((l) => JSON.parse(l) as { n: number; p50: number; p99: number; max: number })
    .finally(() => child.kill());
  return { result };
}

async function bareWsLatency(subscribers: number, events: number) {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("no")),
    websocket: { open: (ws) => void ws.subscribe("t"), message() {} },
  });
  const clients = await startClients(`ws://127.0.0.1:${server.port}`, subscribers, events);
  for (let i = 0; i < events; i++) {
    server.publish("t", JSON.stringify({ t: epochNow(), type: "agent.message" }));
    await Bun.sleep(5);
  }
  const result = await clients.result;
  await server.stop(true);
  return result;
}

const args = process.argv.slice(2);
/** `--latency`: only the delivery-latency rows, printed, RESULTS.md left alone (for iterating on fan-out). */
const ONLY_LATENCY = args.includes("--latency");
const named = args.filter((a) => !a.startsWith("--"));
const drivers = (named.length ? named : ["pglite", "postgres"]) as Array<"pglite" | "postgres">;
/** The machine is shared: the load average before and after the run says how much of it we had. */
const loadAvg = async () => (await Bun.$`uptime`.text()).trim().replace(/^.*load average:\s*/, "");
const loadBefore = await loadAvg();
console.log(`${"driver".padEnd(9)} ${"what".padEnd(48)} ${"LAP".padEnd(22)} ${"baseline".padEnd(22)} goal`);
for (const d of drivers) await withDriver(d, (db) => bench(d, db));

const uname = (await Bun.$`uname -a`.text()).trim();
const loadAfter = await loadAvg();
const md = `# Sessions benchmark

Run with \`bun bench/sessions/run.ts\` (both drivers; pass \`pglite\` or \`postgres\` for one).
Machine: ${cpus().length} cores (\`nproc\`: ${(await Bun.$`nproc`.text()).trim()}), \`${uname}\`, Bun ${Bun.version}; the
benchmark, LAP, the fake runtime and every client share this machine (and its 2 cores with other work).
Load average (1, 5, 15 min) when the run started: ${loadBefore}; when it ended: ${loadAfter}.

| driver | what | LAP | baseline (same run) | goal |
| --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}

- Append: group commit. One append statement is in flight at a time; appends arriving meanwhile, to any
  session, go together in the next one (one round trip, one commit). In it, each session's counter row is bumped
  (\`UPDATE … RETURNING\`, which row-locks it) and its events are numbered from it. The baselines: the reference
  system's \`MAX(seq)+1\` insert in a transaction, retried on a unique violation (what it needs to be correct under
  concurrency), and the database's commit rate for bare one-row INSERTs from the same number of writers.
  Cross-replica NOTIFYs are coalesced the same way (a notifying transaction takes a commit, and Postgres
  serializes notifying commits).
- Latency: the fake Managed Agents runtime stamps each \`agent.message\` with \`performance.timeOrigin + performance.now()\`
  (epoch milliseconds); it travels over HTTP/SSE to the adapter, is appended to the database, published on the bus
  and written to every WebSocket client. ${EVENTS} events, one every 5 ms. The clients run in their own process
  (\`ws-clients.ts\`) and subtract the stamp, so their 500 \`onmessage\` handlers do not run on LAP's event loop.
  \`cpu\` is the CPU time of the process holding LAP and the fake runtime, per event. The baseline is Bun's own
  \`server.publish\` of the same number of messages to the same number of sockets with no database, measured by the
  same client process.

Reading the numbers (2 cores shared by LAP, PostgreSQL, the fake runtime and the clients; runs on this machine
move by 2-3x with its load, so compare LAP with the baseline in the same row):
- Append on PostgreSQL: the streaming path through the worker (which also writes whatever arrived while the
  previous write was in flight as one call) and 20-event calls clear 5,000 ev/s several times over. One event
  per call from 10 sessions is bounded by commits: group commit puts the concurrent calls in one statement, which
  lifted it from about 2,000-2,800 ev/s (one statement and one commit per call, plus a NOTIFY each) to about
  4,000-5,300 ev/s across runs, above the MAX+1 baseline.
- Delivery: a WebSocket client replays through its own ordered feed and, once caught up, joins its session's
  native topic; every live event is then serialized once and fanned out by \`server.publish\` in native code
  (the "per-socket JS sends" row is the previous design in the same run). Latency includes the runtime's SSE hop
  and a durable commit before anything is published (subscribers never see an event that could roll back).
  On this machine idle, the 500-subscriber p99 is 5-9 ms on both drivers across runs (bare Bun 3-5 ms), under the
  10 ms goal; under load from other work the p99 follows the scheduler (30-70 ms seen with load averages of 3-5,
  with the bare baseline itself at 11-17 ms), so read it next to the baseline and the load line above.
- On PGlite (one in-process connection) group commit helps the same way; the MAX+1 baseline never contends there.
- Replay of 10,000 events is paged 2,000 at a time and written corked; it meets the 300 ms goal on both.
`;
if (ONLY_LATENCY) process.exit(0);
writeFileSync(join(import.meta.dir, "RESULTS.md"), md);
console.log("\nwrote bench/sessions/RESULTS.md");
process.exit(0);
