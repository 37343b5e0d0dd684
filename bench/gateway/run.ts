/**
 * Gateway overhead: the same requests straight to a fake provider and through LAP (virtual-key auth,
 * limits, routing, spend logging on), in one run. Prints a table and writes RESULTS.md.
 * Run: bun bench/gateway/run.ts [sequential=2000] [concurrent=6000]
 */
import { spawn, type Subprocess } from "bun";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { loadNote } from "../lib/report";

const SEQ = Number(process.argv[2] ?? 2000);
const CONC_TOTAL = Number(process.argv[3] ?? 6000);
const CONCURRENCY = 50;
const STREAM_N = 500;
const SPEND_FLUSH_MS = Number(process.env.LAP_GATEWAY_SPEND_FLUSH_MS ?? 500); // LAP's default
const here = fileURLToPath(new URL(".", import.meta.url));
const DB = process.env.BENCH_DB === "postgres" ? "postgres" : "pglite";
const DB_LABEL = DB === "postgres" ? "PostgreSQL 15 on loopback (DATABASE_URL)" : "embedded PGlite (in the LAP process)";

async function startChild(
  script: string,
  args: string[],
): Promise<{ proc: Subprocess<"ignore", "pipe", "inherit">; info: any; rest: Promise<string> }> {
  const proc = spawn(["bun", `${here}${script}`, ...args], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  const reader = proc.stdout.getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${script} exited early`);
    buf += new TextDecoder().decode(value);
  }
  const line = buf.slice(0, buf.indexOf("\n"));
  const rest = (async () => {
    let out = buf.slice(buf.indexOf("\n") + 1);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return out;
      out += new TextDecoder().decode(value);
    }
  })();
  return { proc, info: JSON.parse(line), rest };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const body = JSON.stringify({
  model: "bench-model",
  messages: [
    { role: "system", content: "You are a benchmark." },
    { role: "user", content: "Say hello in a short sentence." },
  ],
  max_tokens: 50,
});
const streamBody = JSON.stringify({
  model: "bench-model",
  messages: [{ role: "user", content: "Stream a short sentence back to me." }],
  stream: true,
});

interface Target {
  name: string;
  url: string;
  key: string;
}

async function one(t: Target, payload = body): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${t.url}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
    body: payload,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${t.name}: HTTP ${res.status}`);
  return performance.now() - started;
}

async function ttft(t: Target): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${t.url}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
    body: streamBody,
  });
  const reader = res.body!.getReader();
  const first = await reader.read();
  const at = performance.now() - started;
  if (first.done) throw new Error("empty stream");
  while (!(await reader.read()).done) {
    /* drain */
  }
  return at;
}

async function warmup(t: Target, n: number) {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await one(t));
  return xs;
}

async function concurrent(t: Target, total: number) {
  const xs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < total) xs.push(await one(t));
    }),
  );
  return { xs, rps: total / ((performance.now() - started) / 1000) };
}

/** CPU seconds (user + system) a process has used: unlike wall time, not inflated by other jobs on the machine. */
const cpuOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
};

const rssOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
};

const loadBefore = loadavg()[0]!;
const fake = await startChild("../../test/support/fake-openai-server.ts", ["sk-bench-provider"]);
const lap = await startChild("lap-server.ts", [fake.info.url]);
const direct: Target = { name: "direct", url: fake.info.url, key: "sk-bench-provider" };
const through: Target = { name: "LAP", url: `${lap.info.url}/v1`, key: lap.info.key };
const rssIdle = rssOf(lap.info.pid);

// Warm up both paths (JIT, connection pools).
await warmup(direct, 300);
await warmup(through, 300);

// Alternate request by request so drift on a shared machine hits both sides alike.
const seq = { direct: [] as number[], lap: [] as number[] };
for (let i = 0; i < SEQ; i++) {
  seq.direct.push(await one(direct));
  seq.lap.push(await one(through));
}
// Three alternating rounds at concurrency 50; throughput is the median round.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const roundsD: { xs: number[]; rps: number }[] = [];
const roundsL: { xs: number[]; rps: number }[] = [];
// CPU used per request: the fake's for direct calls; LAP's plus the fake's for calls through LAP.
const cpu = { fakeDirect: 0, fakeViaLap: 0, lap: 0 };
for (let r = 0; r < 3; r++) {
  let f0 = cpuOf(fake.info.pid);
  roundsD.push(await concurrent(direct, Math.floor(CONC_TOTAL / 3)));
  cpu.fakeDirect += cpuOf(fake.info.pid) - f0;
  f0 = cpuOf(fake.info.pid);
  const l0 = cpuOf(lap.info.pid);
  roundsL.push(await concurrent(through, Math.floor(CONC_TOTAL / 3)));
  cpu.fakeViaLap += cpuOf(fake.info.pid) - f0;
  // LAP writes the round's spend rows on its flush timer, after the round's last answer: wait for that
  // flush so its cost is counted here (before, part of it fell into the next direct round, uncounted).
  await Bun.sleep(SPEND_FLUSH_MS + 300);
  cpu.lap += cpuOf(lap.info.pid) - l0;
}
const perReq = (seconds: number) => ((seconds / (Math.floor(CONC_TOTAL / 3) * 3)) * 1e6).toFixed(0);
const concD = { xs: roundsD.flatMap((r) => r.xs), rps: median(roundsD.map((r) => r.rps)) };
const concL = { xs: roundsL.flatMap((r) => r.xs), rps: median(roundsL.map((r) => r.rps)) };
const ttD: number[] = [];
const ttL: number[] = [];
for (let i = 0; i < STREAM_N; i++) {
  ttD.push(await ttft(direct));
  ttL.push(await ttft(through));
}
const rssLoaded = rssOf(lap.info.pid);

lap.proc.kill("SIGTERM");
const lapTail = await lap.rest;
fake.proc.kill("SIGTERM");
const spend = JSON.parse(lapTail.trim().split("\n").pop() ?? "{}");

const f = (x: number) => x.toFixed(3);
const rows: string[][] = [
  ["sequential p50 (ms)", f(pct(seq.direct, 50)), f(pct(seq.lap, 50)), f(pct(seq.lap, 50) - pct(seq.direct, 50))],
  ["sequential p99 (ms)", f(pct(seq.direct, 99)), f(pct(seq.lap, 99)), f(pct(seq.lap, 99) - pct(seq.direct, 99))],
  [`concurrency ${CONCURRENCY} p50 (ms)`, f(pct(concD.xs, 50)), f(pct(concL.xs, 50)), f(pct(concL.xs, 50) - pct(concD.xs, 50))],
  [`concurrency ${CONCURRENCY} p99 (ms)`, f(pct(concD.xs, 99)), f(pct(concL.xs, 99)), f(pct(concL.xs, 99) - pct(concD.xs, 99))],
  [
    `throughput at ${CONCURRENCY} (req/s)`,
    concD.rps.toFixed(0),
    concL.rps.toFixed(0),
    `${((concL.rps / concD.rps) * 100).toFixed(0)}% of direct`,
  ],
  ["stream TTFT p50 (ms)", f(pct(ttD, 50)), f(pct(ttL, 50)), f(pct(ttL, 50) - pct(ttD, 50))],
  ["stream TTFT p99 (ms)", f(pct(ttD, 99)), f(pct(ttL, 99)), f(pct(ttL, 99) - pct(ttD, 99))],
  [
    "CPU per request at concurrency 50 (µs)",
    `${perReq(cpu.fakeDirect)} (fake)`,
    `${perReq(cpu.lap)} (LAP) + ${perReq(cpu.fakeViaLap)} (fake)`,
    `${perReq(cpu.lap)} (LAP, incl. spend writes${DB === "pglite" ? " into PGlite" : ""})`,
  ],
  [
    "LAP RSS idle / after load / peak (MB)",
    "",
    `${rssIdle.rss.toFixed(0)} / ${rssLoaded.rss.toFixed(0)} / ${rssLoaded.peak.toFixed(0)}`,
    "",
  ],
];
const header = ["metric", "direct to fake", "through LAP", "added by LAP"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log(`spend rows written: ${spend.spendRows} (queue: ${JSON.stringify(spend.queue)})`);

const uname = (await new Response(spawn(["uname", "-a"]).stdout).text()).trim();
// Only what this run measured goes into RESULTS*.md; comparisons and history by hand go in NOTES.md.
const loadAfter = loadavg()[0]!;
const busy = loadNote([loadBefore, loadAfter]);
const addedP50 = pct(seq.lap, 50) - pct(seq.direct, 50);
const addedP99 = pct(seq.lap, 99) - pct(seq.direct, 99);
const share = concL.rps / concD.rps;
const goals = [
  `added p50 ${addedP50 <= 0.5 ? "met" : "NOT met"}`,
  `p99 ${addedP99 <= 2 ? "met" : "NOT met"}`,
  `throughput ${share >= 0.7 ? "met" : "NOT met"}`,
].join(", ");
const md = `# Gateway benchmark (${DB === "postgres" ? "PostgreSQL" : "PGlite"})

\`${DB === "postgres" ? "BENCH_DB=postgres " : ""}bun bench/gateway/run.ts ${SEQ} ${CONC_TOTAL}\` — ${new Date().toISOString()}

Same non-streaming chat request (and a streaming one for TTFT) sent straight to a fake OpenAI-compatible
provider and through LAP's \`/v1/chat/completions\` with a virtual key (budget, rpm, tpm and parallel limits
checked), routing, and spend logging on. Fake, LAP and the load generator are separate processes on
loopback; LAP's database: ${DB_LABEL}. Sequential: ${SEQ} requests per side, alternating direct and LAP request by
request, after 300 warm-up requests each. Concurrent: ${CONC_TOTAL} requests per side with ${CONCURRENCY} in flight,
in three alternating rounds (throughput is the median round; LAP's CPU is read after the round's spend rows are flushed).
Streaming: ${STREAM_N} requests per side, time to the first body chunk.

| ${header.join(" | ")} |
|${header.map(() => "---").join("|")}|
${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}

Spend rows written by LAP during the run: ${spend.spendRows} (queue stats at shutdown: \`${JSON.stringify(spend.queue)}\`).

Goal: added p50 ≤ 0.5 ms, p99 ≤ 2 ms, throughput ≥ 70% of direct: ${goals}.

Load average (1 min) before / after the run: ${loadBefore.toFixed(1)} / ${loadAfter.toFixed(1)} on ${cpus().length} cores.${busy ? ` ${busy}` : ""}

Machine: ${cpus().length} cores (\`nproc\` ${cpus().length}), ${cpus()[0]?.model ?? "unknown CPU"}.
\`${uname}\`, Bun ${Bun.version}.
`;
const out = `${here}RESULTS${DB === "postgres" ? "-postgres" : ""}.md`;
writeFileSync(out, md);
console.log(`wrote ${out}`);
