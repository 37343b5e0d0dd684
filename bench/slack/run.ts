/**
 * Slack bot benchmark: how fast LAP answers Slack's HTTP request (Slack retries after 3 s), and how
 * fast the user sees the placeholder and the final answer. In-process (`app.handle`) against the
 * real app on each database driver, with FakeSlack as the Web API and an in-memory agent that answers
 * at once. Baseline measured in the same run: GET /health/liveliness through the same app.
 * Run: bun bench/slack/run.ts   (writes bench/slack/RESULTS.md)
 */
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { machine, median, percentile, table } from "../lib/report";

const N = Number(process.env.N ?? 200);
const E2E_N = Number(process.env.E2E_N ?? 20);

type Row = { scenario: string; n: number; p50: number; p95: number; max: number };

async function child(): Promise<Row[]> {
  const { nextTs, slackHarness, BASE, SIGNING_SECRET } = await import("../../test/support/slack-harness");
  const { signedRequest } = await import("../../test/support/slack-signing");
  const h = await slackHarness({ minEditIntervalMs: 1000 });
  await h.api("PUT", "/api/slack/bindings", { agent_id: "helper" });
  h.sessions.stepDelayMs = 0;
  const rows: Row[] = [];
  const stats = (scenario: string, xs: number[]) =>
    rows.push({ scenario, n: xs.length, p50: median(xs), p95: percentile(xs, 95), max: Math.max(...xs) });
  const time = async (fn: () => Promise<Response>, expect: number) => {
    const t = performance.now();
    const res = await fn();
    const ms = performance.now() - t;
    if (res.status !== expect) throw new Error(`expected ${expect}, got ${res.status}`);
    await res.arrayBuffer();
    return ms;
  };
  const mention = (ts: string, channel = "CB") => ({ type: "app_mention", user: "U1", text: "<@UBOTT1> ping", ts, channel });

  // Warm up both paths.
  for (let i = 0; i < 20; i++) {
    await time(() => h.app.handle(new Request(`${BASE}/health/liveliness`)), 200);
    await time(() => h.event(mention(nextTs(), "CWARM")), 200);
  }
  await h.idle();

  const base: number[] = [];
  for (let i = 0; i < N; i++) base.push(await time(() => h.app.handle(new Request(`${BASE}/health/liveliness`)), 200));
  stats("baseline: GET /health/liveliness", base);

  const bad: number[] = [];
  for (let i = 0; i < N; i++) bad.push(await time(() => h.event(mention(nextTs()), { secret: "wrong" }), 401));
  stats("bad signature -> 401", bad);

  const verify: number[] = [];
  for (let i = 0; i < N; i++) {
    const body = JSON.stringify({ type: "url_verification", challenge: `c${i}` });
    verify.push(
      await time(() => h.app.handle(signedRequest(`${BASE}/slack/events`, body, "application/json", { secret: SIGNING_SECRET })), 200),
    );
  }
  stats("url_verification -> challenge", verify);

  // New messages: the ack includes the dedupe/inbox insert; the answers run in the background meanwhile.
  const fresh: number[] = [];
  const seen: string[] = [];
  for (let i = 0; i < N; i++) {
    const ts = nextTs();
    seen.push(ts);
    fresh.push(await time(() => h.event(mention(ts), { eventId: `EvB${ts}` }), 200));
  }
  stats("new mention -> 200 (inbox row written)", fresh);
  await h.idle();

  const dup: number[] = [];
  for (let i = 0; i < N; i++) {
    const ts = seen[i]!;
    dup.push(await time(() => h.event(mention(ts), { eventId: `EvB${ts}`, retryNum: 1, retryReason: "http_timeout" }), 200));
  }
  stats("Slack retry of a stored event -> 200", dup);

  // 10 at once, as a busy workspace would send them.
  const burst: number[] = [];
  for (let round = 0; round < N / 10; round++) {
    burst.push(...(await Promise.all(Array.from({ length: 10 }, () => time(() => h.event(mention(nextTs(), `C${round % 5}`)), 200)))));
  }
  stats("new mention, 10 concurrent -> 200", burst);
  await h.idle();

  // What the user sees: the placeholder and the final answer in the thread.
  const placeholder: number[] = [];
  const answer: number[] = [];
  for (let i = 0; i < E2E_N; i++) {
    const ts = nextTs();
    const t = performance.now();
    await h.event(mention(ts, "CE2E"));
    let first = 0;
    while (performance.now() - t < 10_000) {
      const msgs = h.fake.thread("CE2E", ts);
      if (!first && msgs.length) first = performance.now() - t;
      if (msgs[0]?.text === "You said: ping") break;
      await Bun.sleep(1);
    }
    placeholder.push(first);
    answer.push(performance.now() - t);
    await h.idle();
  }
  stats("event -> placeholder in thread", placeholder);
  stats("event -> final answer in thread (1 s edit spacing)", answer);
  await h.close();
  return rows;
}

if (process.env.BENCH_CHILD) {
  console.log(`JSON:${JSON.stringify(await child())}`);
  process.exit(0);
}

const results: Array<{ driver: string; rows: Row[] }> = [];
for (const driver of ["pglite", "postgres"]) {
  const proc = Bun.spawnSync([process.execPath, import.meta.path], {
    env: { ...process.env, BENCH_CHILD: "1", LAP_TEST_DB: driver },
    stderr: "inherit",
  });
  const line = proc.stdout
    .toString()
    .split("\n")
    .find((l) => l.startsWith("JSON:"));
  if (!line) throw new Error(`${driver} run failed`);
  results.push({ driver, rows: JSON.parse(line.slice(5)) });
}

const f = (ms: number) => ms.toFixed(2);
const out = results.map(({ driver, rows }) => {
  const base = rows[0]!.p50;
  return `### ${driver}\n\n${table(
    ["scenario", "n", "p50 ms", "p95 ms", "max ms", "p50 vs baseline"],
    rows.map((r) => [r.scenario, r.n, f(r.p50), f(r.p95), f(r.max), `${(r.p50 / base).toFixed(1)}×`]),
  )}`;
});
const sh = (cmd: string) => execSync(cmd).toString().trim();
const md = `# Slack bot benchmark

\`bun bench/slack/run.ts\` (N=${N}, E2E_N=${E2E_N}). In-process requests through the real app (\`app.handle\`), signed like Slack signs
them; Slack's Web API is FakeSlack on loopback; the agent answers at once (in-memory sessions port), so the
numbers are LAP's own overhead. Slack needs the HTTP answer within 3 000 ms.

Machine: ${machine()}
- nproc: ${sh("nproc")}
- uname -a: ${sh("uname -a")}
- bun: ${Bun.version}
- measured: ${new Date().toISOString()} (2 cores shared with other engineers' work: expect noise)

${out.join("\n\n")}
`;
console.log(md);
writeFileSync(join(import.meta.dir, "RESULTS.md"), md);
