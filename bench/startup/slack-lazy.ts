/**
 * Idle RSS and readiness of LAP on PostgreSQL (already migrated) for two checkouts, interleaved so
 * both see the same machine load: used to measure loading Slack's Bolt lazily.
 * Run: bun bench/startup/slack-lazy.ts <before-checkout> <after-checkout> [runs]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshPostgresUrl } from "../../test/support/db";
import { median } from "../lib/report";

const [before, after] = [process.argv[2]!, process.argv[3]!];
const RUNS = Number(process.argv[4] ?? 5);
const rssMb = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await Bun.file(`/proc/${pid}/status`).text())![1]) / 1024;
let port = 43000 + Math.floor(Math.random() * 2000);

async function once(root: string, url: string) {
  const p = port++;
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, "bin/lap.ts", "up"], {
    cwd: root,
    stdout: "ignore",
    stderr: "ignore",
    env: {
      PATH: process.env.PATH ?? "",
      MASTER_KEY: "bench-master-key",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(p),
      DATABASE_URL: url,
      LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-bench-")),
    },
  });
  let ready = -1;
  while (performance.now() - started < 180_000) {
    if (
      (await fetch(`http://127.0.0.1:${p}/health/readiness`).then(
        (r) => r.status,
        () => 0,
      )) === 200
    ) {
      ready = performance.now() - started;
      break;
    }
    await Bun.sleep(10);
  }
  await Bun.sleep(2000);
  const rss = await rssMb(proc.pid);
  proc.kill("SIGTERM");
  await proc.exited;
  return { ready, rss };
}

const db = await freshPostgresUrl("lap_bench");
await once(after, db.url); // migrate
const results: Record<string, { ready: number; rss: number }[]> = { before: [], after: [] };
for (let i = 0; i < RUNS; i++) {
  results.before!.push(await once(before, db.url));
  results.after!.push(await once(after, db.url));
}
await db.drop();
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name}: ready median ${median(r.map((x) => x.ready)).toFixed(0)} ms, idle RSS median ${median(r.map((x) => x.rss)).toFixed(1)} MB  (rss: ${r.map((x) => x.rss.toFixed(1)).join(", ")})`,
  );
}
process.exit(0);
