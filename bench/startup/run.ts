/**
 * Startup benchmark: time from process start to `/health/readiness` 200, and idle RSS after ready,
 * for LAP on embedded PGlite (first start and restart) and on PostgreSQL, against a bare Bun.serve
 * process as the baseline measured in the same run. Median of RUNS runs (default 5).
 * Run: bun bench/startup/run.ts   (writes bench/startup/RESULTS.md)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshPostgresUrl } from "../../test/support/db";
import { machine, median, table } from "../lib/report";

const ROOT = join(import.meta.dir, "../..");
const RUNS = Number(process.env.RUNS ?? 5);
const IDLE_MS = 2000;

const rssMb = async (pid: number) => {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
};

async function measure(cmd: string[], env: Record<string, string>, port: number): Promise<{ readyMs: number; rssMb: number }> {
  const started = performance.now();
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdout: "ignore", stderr: "ignore" });
  let readyMs = -1;
  while (performance.now() - started < 60_000) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/readiness`);
      if (res.status === 200) {
        readyMs = performance.now() - started;
        break;
      }
    } catch {}
    await Bun.sleep(5);
  }
  await Bun.sleep(IDLE_MS);
  const rss = await rssMb(proc.pid);
  proc.kill("SIGTERM");
  await proc.exited;
  if (readyMs < 0) throw new Error(`${cmd.join(" ")} never became ready`);
  return { readyMs, rssMb: rss };
}

let nextPort = 41000 + Math.floor(Math.random() * 2000);
const lap = [process.execPath, "bin/lap.ts", "up"];
const common = { MASTER_KEY: "bench-master-key", LOG_LEVEL: "warn", HOST: "127.0.0.1" };

const baselineScript = join(mkdtempSync(join(tmpdir(), "lap-bench-")), "baseline.ts");
writeFileSync(baselineScript, `Bun.serve({ port: Number(process.env.PORT), hostname: "127.0.0.1", fetch: () => new Response("ok") });`);

const scenarios: { name: string; run: () => Promise<{ readyMs: number; rssMb: number }> }[] = [
  {
    name: "baseline: bare Bun.serve",
    run: () => {
      const port = nextPort++;
      return measure([process.execPath, baselineScript], { PORT: String(port) }, port);
    },
  },
  {
    name: "LAP, PostgreSQL (fresh database, migrates)",
    run: async () => {
      const db = await freshPostgresUrl("lap_bench");
      const port = nextPort++;
      try {
        return await measure(
          lap,
          { ...common, PORT: String(port), DATABASE_URL: db.url, LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-bench-")) },
          port,
        );
      } finally {
        await db.drop();
      }
    },
  },
  {
    name: "LAP, PostgreSQL (restart, already migrated)",
    run: (() => {
      let db: Awaited<ReturnType<typeof freshPostgresUrl>> | undefined;
      return async () => {
        db ??= await freshPostgresUrl("lap_bench");
        const port = nextPort++;
        return measure(
          lap,
          { ...common, PORT: String(port), DATABASE_URL: db.url, LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-bench-")) },
          port,
        );
      };
    })(),
  },
  {
    name: "LAP, embedded PGlite (first start: initdb + migrate)",
    run: () => {
      const port = nextPort++;
      return measure(lap, { ...common, PORT: String(port), LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-bench-")) }, port);
    },
  },
  {
    name: "LAP, embedded PGlite (restart)",
    run: (() => {
      const dir = mkdtempSync(join(tmpdir(), "lap-bench-"));
      let primed = false;
      return async () => {
        if (!primed) {
          const port = nextPort++;
          await measure(lap, { ...common, PORT: String(port), LAP_DATA_DIR: dir }, port);
          primed = true;
        }
        const port = nextPort++;
        return measure(lap, { ...common, PORT: String(port), LAP_DATA_DIR: dir }, port);
      };
    })(),
  },
];

const rows: (string | number)[][] = [];
for (const s of scenarios) {
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await s.run());
  const ready = median(results.map((r) => r.readyMs));
  const rss = median(results.map((r) => r.rssMb));
  rows.push([s.name, ready.toFixed(0), rss.toFixed(0)]);
  console.log(`${s.name}: ready ${ready.toFixed(0)} ms, idle RSS ${rss.toFixed(0)} MB`);
}

const out = table(["scenario", "ready (ms, median)", "idle RSS (MB, median)"], rows);
console.log(`\n${out}`);
const md = `# Startup benchmark

Time from process start to \`/health/readiness\` 200, and resident memory ${IDLE_MS / 1000} s after ready.
Median of ${RUNS} runs each. Goals (issue 2): ready in under 1 s on PostgreSQL; idle RSS under 100 MB.

Machine: ${machine()}
Date: ${new Date().toISOString().slice(0, 10)}
Command: \`bun bench/startup/run.ts\`

${out}
`;
writeFileSync(join(import.meta.dir, "RESULTS.md"), md);
process.exit(0);
