/**
 * What observability costs per request (issue 18): the same chat request straight to a fake provider, through
 * LAP with Prometheus metrics only (tracing off: OTEL_EXPORTER_OTLP_ENDPOINT unset), and through a second LAP
 * that also exports an OpenTelemetry trace of every call to a local OTLP receiver, in one run. Also the
 * cost of a `/metrics` scrape after the load. Prints a table and writes RESULTS.md.
 * Run: bun bench/observability/run.ts [sequential=1500] [concurrent=4500]
 */
import { spawn, type Subprocess } from "bun";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { startOtlpReceiver } from "../../test/support/otlp-receiver";
import { loadNote, machine, percentile } from "../lib/report";

const SEQ = Number(process.argv[2] ?? 1500);
const CONC_TOTAL = Number(process.argv[3] ?? 4500);
const CONCURRENCY = 50;
const SCRAPES = 50;
const MASTER = "bench-master-key-0123456789";
const here = fileURLToPath(new URL(".", import.meta.url));
const body = JSON.stringify({
  model: "bench-model",
  messages: [{ role: "user", content: "Say hello in a short sentence." }],
  max_tokens: 50,
});

interface Child {
  proc: Subprocess<"ignore", "pipe", "inherit">;
  info: { url: string; key?: string; pid?: number };
}
async function startChild(script: string, args: string[]): Promise<Child> {
  const proc = spawn(["bun", script, ...args], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  const reader = proc.stdout.getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${script} exited early`);
    buf += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { proc, info: JSON.parse(buf.slice(0, buf.indexOf("\n"))) };
}

interface Target {
  name: string;
  url: string;
  key: string;
}
async function one(t: Target): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${t.url}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
    body,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${t.name}: HTTP ${res.status}`);
  return performance.now() - started;
}
async function concurrent(t: Target, total: number): Promise<number[]> {
  const xs: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < total) xs.push(await one(t));
    }),
  );
  return xs;
}
/** CPU seconds (user + system) of a process: not inflated by other jobs on the machine, unlike wall time. */
const cpuOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

const loadBefore = loadavg()[0]!;
const otlp = startOtlpReceiver();
const fake = await startChild(`${here}../../test/support/fake-openai-server.ts`, ["sk-bench-provider"]);
const plain = await startChild(`${here}lap-server.ts`, [fake.info.url]);
const traced = await startChild(`${here}lap-server.ts`, [fake.info.url, otlp.url]);
const targets: Target[] = [
  { name: "direct", url: fake.info.url, key: "sk-bench-provider" },
  { name: "metrics", url: `${plain.info.url}/v1`, key: plain.info.key! },
  { name: "metrics+traces", url: `${traced.info.url}/v1`, key: traced.info.key! },
];
for (const t of targets) for (let i = 0; i < 300; i++) await one(t);

// Request by request, alternating the three, so drift on a shared machine hits all alike.
const seq: number[][] = targets.map(() => []);
for (let i = 0; i < SEQ; i++) for (const [j, t] of targets.entries()) seq[j]!.push(await one(t));
// Concurrency 50, three alternating rounds; CPU per request of each LAP process.
const conc: number[][] = targets.map(() => []);
const cpu = [0, 0, 0];
const pids = [fake.info.pid, plain.info.pid, traced.info.pid];
for (let r = 0; r < 3; r++) {
  for (const [j, t] of targets.entries()) {
    const c0 = pids[j] ? cpuOf(pids[j]!) : 0;
    conc[j]!.push(...(await concurrent(t, Math.floor(CONC_TOTAL / 3))));
    await Bun.sleep(800); // the spend flush and the span batch of the round land in its CPU
    cpu[j]! += pids[j] ? cpuOf(pids[j]!) - c0 : 0;
  }
}
// A Prometheus scrape of the metrics LAP, after the load.
const scrapeMs: number[] = [];
let scrapeBytes = 0;
for (let i = 0; i < SCRAPES; i++) {
  const started = performance.now();
  const res = await fetch(`${plain.info.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } });
  scrapeBytes = (await res.arrayBuffer()).byteLength;
  if (res.status !== 200) throw new Error(`/metrics: HTTP ${res.status}`);
  scrapeMs.push(performance.now() - started);
}
const series = (await (await fetch(`${plain.info.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text())
  .split("\n")
  .filter((l) => l && !l.startsWith("#")).length;
for (const c of [plain, traced, fake]) c.proc.kill("SIGTERM");
await Promise.all([plain.proc.exited, traced.proc.exited]);
const spans = otlp.spans.length;
await otlp.stop();

const f = (x: number) => x.toFixed(3);
const perReq = (s: number) => ((s / (Math.floor(CONC_TOTAL / 3) * 3)) * 1e6).toFixed(0);
const header = ["metric", "direct to fake", "LAP: metrics", "LAP: metrics + traces", "traces add"];
const row = (name: string, xs: number[][], p: number) => [
  name,
  f(percentile(xs[0]!, p)),
  f(percentile(xs[1]!, p)),
  f(percentile(xs[2]!, p)),
  f(percentile(xs[2]!, p) - percentile(xs[1]!, p)),
];
const rows = [
  row("sequential p50 (ms)", seq, 50),
  row("sequential p99 (ms)", seq, 99),
  row(`concurrency ${CONCURRENCY} p50 (ms)`, conc, 50),
  row(`concurrency ${CONCURRENCY} p99 (ms)`, conc, 99),
  [
    "LAP CPU per request at concurrency 50 (µs)",
    "",
    perReq(cpu[1]!),
    perReq(cpu[2]!),
    `${(Number(perReq(cpu[2]!)) - Number(perReq(cpu[1]!))).toFixed(0)}`,
  ],
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(line(header));
for (const r of rows) console.log(line(r));
const scrapeLine = `GET /metrics after the load: p50 ${f(percentile(scrapeMs, 50))} ms, p99 ${f(percentile(scrapeMs, 99))} ms, ${(scrapeBytes / 1024).toFixed(0)} KiB, ${series} series (${SCRAPES} scrapes)`;
console.log(scrapeLine);
console.log(`spans received by the OTLP receiver: ${spans}`);

const loadAfter = loadavg()[0]!;
const md = `# Observability benchmark

\`bun bench/observability/run.ts ${SEQ} ${CONC_TOTAL}\` — ${new Date().toISOString()}

The same non-streaming chat request straight to a fake OpenAI-compatible provider, through a LAP with
Prometheus metrics only (tracing off), and through a second LAP that also exports an OpenTelemetry trace of
every call (OTLP/HTTP, batched) to a local receiver. Each LAP: embedded PGlite, a virtual key with limits,
spend logging on (as \`bench/gateway\`). Sequential: ${SEQ} requests per side, alternating the three request by
request after 300 warm-up requests each. Concurrent: ${CONC_TOTAL} requests per side, ${CONCURRENCY} in flight, in three
alternating rounds; CPU is read from /proc after each round's spend flush and span batch.

| ${header.join(" | ")} |
|${header.map(() => "---").join("|")}|
${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}

${scrapeLine}. Spans received: ${spans}.

Metrics have no off switch, so their own cost is inside "LAP: metrics" (compare \`bench/gateway\`, whose LAP records
the same metrics). "traces add" is the difference between the two LAPs in the same run.

Load average (1 min) before / after: ${loadBefore.toFixed(1)} / ${loadAfter.toFixed(1)} on ${cpus().length} cores. ${loadNote([loadBefore, loadAfter])}

Machine: ${machine()}.
`;
writeFileSync(`${here}RESULTS.md`, md);
console.log(`wrote ${here}RESULTS.md`);
