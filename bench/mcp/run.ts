/**
 * tools/call latency and throughput: an SDK Client straight to server-everything over Streamable HTTP
 * (the baseline) vs the same Client through LAP's /mcp/:server proxy to that same upstream, same run.
 * Run: bun bench/mcp/run.ts [sequential_calls=1000] [concurrent_calls=2000] [concurrency=16]
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { execSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEverythingHttp } from "../../test/support/mcp";

const SEQUENTIAL = Number(process.argv[2] ?? 1000);
const CONCURRENT = Number(process.argv[3] ?? 2000);
const CONCURRENCY = Number(process.argv[4] ?? 16);
const WARMUP = 200;
const MASTER_KEY = "bench-master-key-0123456789";

async function client(url: string, headers: Record<string, string> = {}) {
  const c = new Client({ name: "bench", version: "1" }, { capabilities: {} });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return c;
}

const call = (c: Client, i: number) => c.callTool({ name: "echo", arguments: { message: `m${i}` } });

async function measure(c: Client) {
  for (let i = 0; i < WARMUP; i++) await call(c, i);
  const lat: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t0 = performance.now();
    await call(c, i);
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT) await call(c, next++);
    }),
  );
  const rps = CONCURRENT / ((performance.now() - t0) / 1000);
  return { p50: pct(50), p95: pct(95), p99: pct(99), mean: lat.reduce((a, b) => a + b, 0) / lat.length, rps };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** LAP in its own process (as in production), so the bench client does not share its thread. */
async function startLapProcess(dataDir: string) {
  const port = await freePort();
  // LAP_BENCH_PROFILE=dir writes a CPU profile (markdown) of the LAP process there.
  const profile = process.env.LAP_BENCH_PROFILE ? ["--cpu-prof-md", `--cpu-prof-dir=${process.env.LAP_BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, new URL("../../bin/lap.ts", import.meta.url).pathname, "up"], {
    env: { ...process.env, LAP_DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", MASTER_KEY, LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${url}/health/liveliness`).then((r) => r.ok, () => false)) break;
    await Bun.sleep(100);
  }
  return { url, stop: async () => void (child.kill("SIGTERM"), await new Promise((r) => child.once("exit", r))) };
}

const upstream = await startEverythingHttp();
const dataDir = mkdtempSync(join(tmpdir(), "lap-bench-mcp-"));
const lap = await startLapProcess(dataDir);
try {
  const reg = await fetch(`${lap.url}/api/mcp/servers`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "ev", transport: "streamable-http", url: upstream.url }),
  });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);

  const direct = await client(upstream.url);
  const proxied = await client(`${lap.url}/mcp/ev`, { authorization: `Bearer ${MASTER_KEY}` });
  // Interleave the two so machine noise (2 shared cores) hits both alike.
  const d1 = await measure(direct);
  const p1 = await measure(proxied);
  const d2 = await measure(direct);
  const p2 = await measure(proxied);
  const best = (a: typeof d1, b: typeof d1) => (a.p50 <= b.p50 ? a : b);
  const d = best(d1, d2);
  const p = best(p1, p2);
  await direct.close();
  await proxied.close();

  const f = (n: number) => n.toFixed(3);
  const rows = [
    ["", "p50 ms", "p95 ms", "p99 ms", "mean ms", `calls/s (x${CONCURRENCY})`],
    ["direct to upstream", f(d.p50), f(d.p95), f(d.p99), f(d.mean), d.rps.toFixed(0)],
    ["through LAP", f(p.p50), f(p.p95), f(p.p99), f(p.mean), p.rps.toFixed(0)],
    ["added by LAP", f(p.p50 - d.p50), f(p.p95 - d.p95), f(p.p99 - d.p99), f(p.mean - d.mean), `${(((p.rps - d.rps) / d.rps) * 100).toFixed(1)}%`],
  ];
  const table = [
    `| ${rows[0]!.join(" | ")} |`,
    `|${rows[0]!.map(() => "---").join("|")}|`,
    ...rows.slice(1).map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  console.log(table);
  const goal = p.p50 - d.p50 <= 1 ? "met" : "NOT met";
  console.log(`\nGoal (added p50 <= 1 ms): ${goal}`);

  const machine = [
    `nproc: ${execSync("nproc").toString().trim()}`,
    `uname -a: ${execSync("uname -a").toString().trim()}`,
    `bun: ${Bun.version}`,
    `node (upstream server-everything): ${execSync("node --version").toString().trim()}`,
  ].join("\n");
  writeFileSync(
    new URL("./RESULTS.md", import.meta.url),
    `# bench/mcp\n\n\`tools/call\` (server-everything \`echo\`) with the MCP SDK Client: straight to the upstream over Streamable HTTP, ` +
      `vs through LAP's \`/mcp/ev\` proxy (master key, pooled upstream client), measured in the same run, interleaved, best of two rounds each.\n` +
      `${SEQUENTIAL} sequential calls for latency (after ${WARMUP} warm-up), ${CONCURRENT} calls with ${CONCURRENCY} in flight for throughput.\n\n` +
      `${table}\n\nGoal (added p50 <= 1 ms): ${goal}\n\n## Machine\n\n\`\`\`\n${machine}\n\`\`\`\n\nRun: \`bun bench/mcp/run.ts\` (${new Date().toISOString()})\n`,
  );
} finally {
  await lap.stop();
  await upstream.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
