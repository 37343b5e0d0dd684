/**
 * tools/call latency and throughput: an SDK Client straight to server-everything over Streamable HTTP
 * (the baseline) vs the same Client through LAP's /mcp/:server proxy to that same upstream, same run.
 * Run: bun bench/mcp/run.ts [sequential_calls=1000] [concurrent_calls=2000] [concurrency=16]
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { execSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startEverythingHttp } from "../../test/support/mcp";
import { loadNote } from "../lib/report";

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

const ROUNDS = 5;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function latencies(c: Client, n: number): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call(c, i);
    lat.push(performance.now() - t0);
  }
  return lat.sort((a, b) => a - b);
}

async function throughput(c: Client): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT) await call(c, next++);
    }),
  );
  return CONCURRENT / ((performance.now() - t0) / 1000);
}

/**
 * Rounds alternate direct and proxied so load from other processes on this shared machine hits both
 * alike; each round's added latency is proxied minus direct, and the table reports medians.
 */
/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function compare(direct: Client, proxied: Client, lapPid: number) {
  for (let i = 0; i < WARMUP; i++) await Promise.all([call(direct, i), call(proxied, i)]);
  const per = Math.ceil(SEQUENTIAL / ROUNDS);
  const rounds: Array<{ d: number[]; p: number[] }> = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push({ d: await latencies(direct, per), p: await latencies(proxied, per) });
  const stat = (pick: (x: { d: number[]; p: number[] }) => number[], q: number) => median(rounds.map((x) => pct(pick(x), q)));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const row = (pick: (x: { d: number[]; p: number[] }) => number[]) => ({
    p50: stat(pick, 50),
    p95: stat(pick, 95),
    p99: stat(pick, 99),
    mean: median(rounds.map((x) => mean(pick(x)))),
  });
  const addedP50 = median(rounds.map((x) => pct(x.p, 50) - pct(x.d, 50)));
  const rps: { d: number[]; p: number[] } = { d: [], p: [] };
  let lapCpu = 0;
  for (let r = 0; r < 2; r++) {
    rps.d.push(await throughput(direct));
    const cpu0 = cpuSeconds(lapPid);
    rps.p.push(await throughput(proxied));
    lapCpu += cpuSeconds(lapPid) - cpu0;
  }
  // LAP's own CPU per proxied call: unlike wall-clock latency, other load on the machine barely moves it.
  const lapCpuMsPerCall = (lapCpu * 1000) / (2 * CONCURRENT);
  return {
    d: { ...row((x) => x.d), rps: Math.max(...rps.d) },
    p: { ...row((x) => x.p), rps: Math.max(...rps.p) },
    addedP50,
    perRound: rounds.map((x) => pct(x.p, 50) - pct(x.d, 50)),
    lapCpuMsPerCall,
  };
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
    if (
      await fetch(`${url}/health/liveliness`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await Bun.sleep(100);
  }
  return { url, pid: child.pid!, stop: async () => void (child.kill("SIGTERM"), await new Promise((r) => child.once("exit", r))) };
}

const loadAtStart = loadavg()[0]!;
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
  const { d, p, addedP50, perRound, lapCpuMsPerCall } = await compare(direct, proxied, lap.pid);
  await direct.close();
  await proxied.close();

  const f = (n: number) => n.toFixed(3);
  const rows = [
    ["", "p50 ms", "p95 ms", "p99 ms", "mean ms", `calls/s (x${CONCURRENCY})`],
    ["direct to upstream", f(d.p50), f(d.p95), f(d.p99), f(d.mean), d.rps.toFixed(0)],
    ["through LAP", f(p.p50), f(p.p95), f(p.p99), f(p.mean), p.rps.toFixed(0)],
    [
      "added by LAP",
      f(addedP50),
      f(p.p95 - d.p95),
      f(p.p99 - d.p99),
      f(p.mean - d.mean),
      `${(((p.rps - d.rps) / d.rps) * 100).toFixed(1)}%`,
    ],
  ];
  const table = [
    `| ${rows[0]!.join(" | ")} |`,
    `|${rows[0]!.map(() => "---").join("|")}|`,
    ...rows.slice(1).map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  console.log(table);
  const goal = addedP50 <= 1 ? "met" : "NOT met";
  const rounds = `added p50 per round (ms): ${perRound.map(f).join(", ")}\nLAP CPU per proxied call: ${lapCpuMsPerCall.toFixed(3)} ms (user+system, during the throughput runs)`;
  console.log(`\n${rounds}\nGoal (added p50 <= 1 ms): ${goal}`);

  const busy = loadNote([loadAtStart, loadavg()[0]!]);
  const machine = [
    `nproc: ${execSync("nproc").toString().trim()}`,
    `uname -a: ${execSync("uname -a").toString().trim()}`,
    `bun: ${Bun.version}`,
    `load average at the end of the run: ${execSync("cat /proc/loadavg").toString().trim()}`,
    `node (upstream server-everything): ${execSync("node --version").toString().trim()}`,
  ].join("\n");
  writeFileSync(
    new URL("./RESULTS.md", import.meta.url),
    `# bench/mcp\n\n\`tools/call\` (server-everything \`echo\`) with the MCP SDK Client: straight to the upstream over Streamable HTTP, ` +
      `vs through LAP's \`/mcp/ev\` proxy (master key, pooled upstream client), measured in the same run.\n` +
      `Latency: ${ROUNDS} rounds alternating direct and proxied, ${Math.ceil(SEQUENTIAL / ROUNDS)} sequential calls each (after ${WARMUP} warm-up), medians across rounds. ` +
      `Throughput: ${CONCURRENT} calls with ${CONCURRENCY} in flight, best of 2. LAP runs as its own process (\`lap up\`, embedded PGlite unless DATABASE_URL is set).\n\n` +
      `${table}\n\n${rounds}\n\nGoal (added p50 <= 1 ms): ${goal}\n\n` +
      // Only what this run measured: notes and history by hand go in NOTES.md.
      (busy ? `${busy}\n\n` : "") +
      `## Machine\n\n\`\`\`\n${machine}\n\`\`\`\n\nRun: \`bun bench/mcp/run.ts\` (${new Date().toISOString()})\n`,
  );
} finally {
  await lap.stop();
  await upstream.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
