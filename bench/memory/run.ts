/**
 * Memory benchmark: LAP's resident memory (RSS) during start-up (peak: the kernel's high-water mark,
 * VmHWM) and idle after it, with the time to `/health/readiness` and a short database workload
 * (create and list agents over the API), for embedded PGlite at several `shared_buffers`
 * (LAP_PGLITE_SHARED_BUFFERS; 128MB is Postgres' own default, what LAP used before) against LAP on
 * PostgreSQL as the baseline measured in the same run. Median of RUNS runs (default 3).
 * Run: bun bench/memory/run.ts   (writes bench/memory/RESULTS.md)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { freshPostgresUrl } from "../../test/support/db";
import { loadNote, machine, median, table } from "../lib/report";

const ROOT = join(import.meta.dir, "../..");
const RUNS = Number(process.env.RUNS ?? 3);
const IDLE_MS = 5000;
const WORKLOAD = 100;
const KEY = "bench-master-key";

const status = async (pid: number) => {
  const s = await Bun.file(`/proc/${pid}/status`).text();
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(s)![1]) / 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
};

interface Sample {
  readyMs: number;
  peakMb: number;
  idleMb: number;
  workloadMs: number;
  afterWorkMb: number;
}

async function workload(base: string): Promise<number> {
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  const started = performance.now();
  for (let i = 0; i < WORKLOAD; i++) {
    const res = await fetch(`${base}/api/agents`, {
      method: "POST",
      headers,
      body: JSON.stringify({ name: `bench-${i}-${Math.random().toString(36).slice(2, 8)}`, model: "m" }),
    });
    if (res.status !== 201) throw new Error(`create agent: ${res.status} ${await res.text()}`);
    const list = await fetch(`${base}/api/agents?limit=50`, { headers });
    if (list.status !== 200) throw new Error(`list agents: ${list.status}`);
    await list.arrayBuffer();
  }
  return performance.now() - started;
}

async function measure(env: Record<string, string>, port: number): Promise<Sample> {
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, "bin/lap.ts", "up"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", MASTER_KEY: KEY, LOG_LEVEL: "warn", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdout: "ignore",
    stderr: "ignore",
  });
  const base = `http://127.0.0.1:${port}`;
  let readyMs = -1;
  try {
    while (performance.now() - started < 180_000) {
      const ready = await fetch(`${base}/health/readiness`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) {
        readyMs = performance.now() - started;
        break;
      }
      await Bun.sleep(20);
    }
    if (readyMs < 0) throw new Error("LAP never became ready");
    await Bun.sleep(IDLE_MS);
    const idle = await status(proc.pid);
    const workloadMs = await workload(base);
    await Bun.sleep(1000);
    const after = await status(proc.pid);
    // The high-water mark read after ready + idle covers start-up (the workload comes after it and is reported on its own).
    return { readyMs, peakMb: idle.hwm, idleMb: idle.rss, workloadMs, afterWorkMb: after.rss };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

let nextPort = 43000 + Math.floor(Math.random() * 2000);
const pglite = (sharedBuffers: string, restart: boolean) => {
  let dir: string | undefined;
  return async () => {
    const env = (d: string) => ({ LAP_DATA_DIR: d, LAP_PGLITE_SHARED_BUFFERS: sharedBuffers });
    if (!restart) return measure(env(mkdtempSync(join(tmpdir(), "lap-mem-"))), nextPort++);
    if (!dir) {
      dir = mkdtempSync(join(tmpdir(), "lap-mem-"));
      await measure(env(dir), nextPort++);
    }
    return measure(env(dir), nextPort++);
  };
};

const scenarios: { name: string; run: () => Promise<Sample> }[] = [
  {
    name: "baseline: LAP on PostgreSQL (restart, migrated)",
    run: (() => {
      let db: Awaited<ReturnType<typeof freshPostgresUrl>> | undefined;
      return async () => {
        db ??= await freshPostgresUrl("lap_mem");
        return measure({ DATABASE_URL: db.url, LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-mem-")) }, nextPort++);
      };
    })(),
  },
  { name: "PGlite restart, shared_buffers 128MB (Postgres default, before)", run: pglite("128MB", true) },
  { name: "PGlite restart, shared_buffers 16MB (LAP default)", run: pglite("16MB", true) },
  { name: "PGlite restart, shared_buffers 8MB", run: pglite("8MB", true) },
  { name: "PGlite first start (initdb + migrate), 128MB", run: pglite("128MB", false) },
  { name: "PGlite first start (initdb + migrate), 16MB", run: pglite("16MB", false) },
];

const loads = [loadavg()[0]!];
const loadTimer = setInterval(() => loads.push(loadavg()[0]!), 5000);
const rows: (string | number)[][] = [];
for (const s of scenarios) {
  const results: Sample[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await s.run());
  const m = (f: (r: Sample) => number) => median(results.map(f));
  rows.push([
    s.name,
    m((r) => r.idleMb).toFixed(0),
    m((r) => r.peakMb).toFixed(0),
    m((r) => r.readyMs).toFixed(0),
    m((r) => r.workloadMs).toFixed(0),
    m((r) => r.afterWorkMb).toFixed(0),
  ]);
  console.log(rows.at(-1)!.join(" | "));
}
clearInterval(loadTimer);

const headers = [
  "scenario",
  "idle RSS (MB)",
  "peak RSS during start (MB)",
  "ready (ms)",
  `workload: ${WORKLOAD} × create + list agents (ms)`,
  "RSS after workload (MB)",
];
const out = table(headers, rows);
console.log(`\n${out}`);
const note = loadNote(loads);
writeFileSync(
  join(import.meta.dir, "RESULTS.md"),
  `# Memory benchmark

LAP (\`bun bin/lap.ts up\`, every module, no sandboxes running) measured from outside through
\`/proc/<pid>/status\`: idle RSS ${IDLE_MS / 1000} s after \`/health/readiness\` answered 200, peak = VmHWM at
that moment (start-up's high-water mark), then a workload of ${WORKLOAD} agent creations each followed by a
list, and RSS 1 s after it. Median of ${RUNS} runs each; the PostgreSQL row is the baseline of the same run.

Machine: ${machine()}
Date: ${new Date().toISOString().slice(0, 10)}
Load average (1 min) during the run: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}
Command: \`bun bench/memory/run.ts\`

${out}
${note ? `\n${note}\n` : ""}`,
);
process.exit(0);
