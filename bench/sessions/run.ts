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
  const { app, services } = createApp({ config, database: db, logger: createLogger("silent"), uiDist: join(dataDir, "none") });
  app.listen({ port: 0, hostname: "127.0.0.1", idleTimeout: 30 });
  const base = `http://127.0.0.1:${app.server!.port}`;
  await services.sessions.start();
  const fake = new FakeManagedAgents().start();
  const api = async (method: string, path: string, body?: unknown) => (await fetch(`${base}${path}`, { method, headers: H, body: body ? JSON.stringify(body) : undefined })).json() as Promise<any>;
  const rt = await api("POST", "/api/runtimes", { alias: "fake", base_url: fake.url, api_key: fake.apiKey });
  const agent = await api("POST", "/api/agents", { name: "bench", model: "m", runtime_id: rt.id });
  const newSession = async () => {
    const s = await api("POST", "/api/sessions", { agent_id: agent.id });
    while ((await api("GET", `/api/sessions/${s.id}`)).status !== "idle") await Bun.sleep(10);
    return s.id as string;
  };
  const svc = services.sessions.sessions;

  // 1. Append throughput: 10 sessions written concurrently.
  const SESSIONS = 10;
  const PER = driver === "postgres" ? 1000 : 500;
  const ids = await Promise.all(Array.from({ length: SESSIONS }, () => newSession()));
  const ev = (i: number) => ({ type: "agent.message", data: { content: [{ type: "text", text: `chunk ${i} of a streamed reply` }] } });
  let t0 = performance.now();
  await Promise.all(ids.map(async (id) => {
    for (let i = 0; i < PER; i++) await svc.append(id, [ev(i)]);
  }));
  const single = (SESSIONS * PER) / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  await Promise.all(ids.map(async (id) => {
    for (let i = 0; i < PER; i += 20) await svc.append(id, Array.from({ length: 20 }, (_, j) => ev(i + j)));
  }));
  const batched = (SESSIONS * PER) / ((performance.now() - t0) / 1000);
  // Baseline: the reference's MAX(seq)+1 in a transaction, retried on a unique violation.
  await db.query("create table if not exists bench_naive (session_id text, seq bigint, type text, data jsonb, primary key (session_id, seq))");
  let retries = 0;
  t0 = performance.now();
  await Promise.all(ids.map(async (id) => {
    for (let i = 0; i < PER; i++) {
      for (;;) {
        try {
          await db.transaction(async (tx) => {
            await tx.query("insert into bench_naive select $1, coalesce(max(seq), 0) + 1, $2, $3::jsonb from bench_naive where session_id = $1", [id, "agent.message", JSON.stringify(ev(i).data)]);
          });
          break;
        } catch {
          retries++;
        }
      }
    }
  }));
  const naive = (SESSIONS * PER) / ((performance.now() - t0) / 1000);
  add(driver, `append, 1 event/tx, ${SESSIONS} sessions concurrently`, `${f(single, 0)} ev/s`, `${f(naive, 0)} ev/s (MAX+1, ${retries} retries)`, driver === "postgres" ? "≥ 5000 ev/s" : "");
  add(driver, `append, 20 events/tx (a streaming turn)`, `${f(batched, 0)} ev/s`, `${f(naive, 0)} ev/s`, driver === "postgres" ? "≥ 5000 ev/s" : "");

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
    while ((await db.query<{ n: number }>("select count(*)::int as n from session_events where session_id = $1 and type = 'session.status_idle'", [sid]))[0]!.n === 0) await Bun.sleep(5);
    const rate = (N + 2) / ((performance.now() - start) / 1000);
    add(driver, `runtime → worker → log, one turn streaming ${N} events`, `${f(rate, 0)} ev/s`, `${f(naive, 0)} ev/s (MAX+1)`, driver === "postgres" ? "≥ 5000 ev/s" : "");
  }

  // 2. Runtime event → WebSocket client latency.
  for (const subscribers of [1, 500]) {
    const EVENTS = 200;
    const sid = await newSession();
    const sockets: WebSocket[] = [];
    const lat: number[] = [];
    let done = 0;
    const from = (await api("GET", `/api/sessions/${sid}`)).last_seq;
    await Promise.all(Array.from({ length: subscribers }, () => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${base.replace("http", "ws")}/api/sessions/${sid}/stream?after=${from}`, { headers: H } as never);
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("ws"));
      ws.onmessage = (m) => {
        const e = JSON.parse(String(m.data));
        if (e.type === "agent.message") lat.push(performance.now() - Number(e.data.content[0].text));
        if (e.type === "session.status_idle") done++;
      };
      sockets.push(ws);
    })));
    fake.reply = () => [
      { event: { type: "session.status_running" } },
      ...Array.from({ length: EVENTS }, () => [{ delay: 5 }, { lazy: true }] as unknown as FakeStep[]).flat(),
      { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
    ].map((s) => ("lazy" in s ? { get event() { return { type: "agent.message", content: [{ type: "text", text: String(performance.now()) }] }; } } : s)) as FakeStep[];
    await api("POST", `/api/sessions/${sid}/messages`, { text: "go" });
    while (done < subscribers) await Bun.sleep(20);
    for (const ws of sockets) ws.close();
    // Baseline: a bare Bun server publishing the same number of messages to the same number of sockets.
    const bare = await bareWsLatency(subscribers, EVENTS);
    add(driver, `runtime event → WS client, ${subscribers} subscriber${subscribers > 1 ? "s" : ""} (p50 / p99)`, `${f(pct(lat, 50), 2)} / ${f(pct(lat, 99), 2)} ms`, `${f(pct(bare, 50), 2)} / ${f(pct(bare, 99), 2)} ms (bare Bun WS)`, subscribers === 500 ? "p99 < 10 ms" : "");
  }

  // 3. Replay of 10,000 events on reconnect.
  const rsid = await newSession();
  for (let i = 0; i < 10_000; i += 500) await svc.append(rsid, Array.from({ length: 500 }, (_, j) => ev(i + j)));
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
  add(driver, `replay ${total} events to a reconnecting WS client`, `${f(pct(replays, 50), 0)} ms (median of 3)`, `${f(select, 0)} ms (one SELECT, no network)`, "< 300 ms");

  // 4. Session list with 10,000 sessions.
  await db.query(`insert into sessions (id, agent_id, title, status, runtime_id, created_at)
    select 'ses_bench_' || g, $1, 'bench ' || g, 'idle', $2, now() - (g || ' seconds')::interval from generate_series(1, 10000) g`, [agent.id, rt.id]);
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

  await services.sessions.stop();
  await app.server!.stop(true);
  await fake.stop();
}

async function bareWsLatency(subscribers: number, events: number): Promise<number[]> {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("no")),
    websocket: { open: (ws) => void ws.subscribe("t"), message() {} },
  });
  const lat: number[] = [];
  const sockets = await Promise.all(Array.from({ length: subscribers }, () => new Promise<WebSocket>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`);
    ws.onmessage = (m) => lat.push(performance.now() - Number(JSON.parse(String(m.data)).t));
    ws.onopen = () => resolve(ws);
  })));
  await Bun.sleep(50);
  for (let i = 0; i < events; i++) {
    server.publish("t", JSON.stringify({ t: performance.now(), type: "agent.message" }));
    await Bun.sleep(5);
  }
  await Bun.sleep(200);
  for (const s of sockets) s.close();
  await server.stop(true);
  return lat;
}

const drivers = (process.argv[2] ? [process.argv[2]] : ["pglite", "postgres"]) as Array<"pglite" | "postgres">;
console.log(`${"driver".padEnd(9)} ${"what".padEnd(48)} ${"LAP".padEnd(22)} ${"baseline".padEnd(22)} goal`);
for (const d of drivers) await withDriver(d, (db) => bench(d, db));

const uname = (await Bun.$`uname -a`.text()).trim();
const md = `# Sessions benchmark

Run with \`bun bench/sessions/run.ts\` (both drivers; pass \`pglite\` or \`postgres\` for one).
Machine: ${cpus().length} cores (\`nproc\`: ${(await Bun.$`nproc`.text()).trim()}), \`${uname}\`, Bun ${Bun.version}; the
benchmark, LAP, the fake runtime and every client share this machine (and its 2 cores with other work).

| driver | what | LAP | baseline (same run) | goal |
| --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}

- Append: LAP locks the session's counter row (\`SELECT … FOR UPDATE\`, then one multi-row INSERT and the
  counter UPDATE in one transaction). The baseline is the reference system's \`MAX(seq)+1\` insert, retried on a
  unique violation, which is what it needs to be correct under concurrency.
- Latency: the fake Managed Agents runtime stamps each \`agent.message\` with \`performance.now()\`; it travels over
  HTTP/SSE to the adapter, is appended to Postgres, published on the bus and sent to every WebSocket client,
  which subtracts the stamp (one process, one clock). The baseline is Bun's own \`server.publish\` to the same
  number of sockets with no database.
`;
writeFileSync(join(import.meta.dir, "RESULTS.md"), md);
console.log("\nwrote bench/sessions/RESULTS.md");
process.exit(0);
