/**
 * Harness benchmark, per harness CLI, all against the same scripted model (test/support/scripted-model,
 * standing for the LLM provider) on loopback:
 *   - session create → first token: from "create" to the first agent.message delta, for
 *     (a) the adapter run directly on the host (baseline: the CLI's own start-up and first call) and
 *     (b) LAP's path: bubblewrap sandbox + supervisor + adapter (create, wait ready, bind, send),
 *     with the cold breakdown of both (paths.ts: which phase the time goes to);
 *   - per-turn time for a one-line reply, (a) vs (b): the difference is what LAP's supervisor and
 *     sandbox add per turn (turn-stages.ts splits one harness's turn further);
 *   - warm: bind → first token on a pre-started sandbox (warm.ts), and POST /api/sessions → first token
 *     through a real LAP with its warm pool (api-warm.ts).
 * Run: bun bench/harness/run.ts   (CREATES=3 TURNS=8 WARM=10 API_WARM=WARM; HARNESSES=codex,claude-code for a subset;
 * writes bench/harness/RESULTS.md, or OUT=<file>; what was measured by hand is in NOTES.md beside it)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HARNESS_NAMES, type HarnessName } from "../../harness/adapters/types.ts";
import { LocalSandboxProvider } from "../../server/sandboxes/local-provider.ts";
import { providerOptions } from "../../server/sandboxes/test-helpers.ts";
import { startScriptedModel } from "../../test/support/scripted-model/index.ts";
import { machine, median, percentile, table } from "../lib/report.ts";
import { type BenchSetup, type DirectRun, direct, type SandboxRun, sandboxed } from "./paths.ts";
import { startLapWithScriptedModel } from "../../test/support/lap-api.ts";
import { apiWarmFirstToken } from "./api-warm.ts";
import { warmFirstToken } from "./warm.ts";

const CREATES = Number(process.env.CREATES ?? 3);
const TURNS = Number(process.env.TURNS ?? 8);
/** Warm sessions per harness (p50/p90 of bind → first token on a pre-started harness, ./warm.ts). */
const WARM = Number(process.env.WARM ?? 10);
/** Warm sessions per harness through LAP's HTTP API (p50/p90 of POST /api/sessions → first token, ./api-warm.ts). */
const API_WARM = Number(process.env.API_WARM ?? WARM);
const HARNESSES = (process.env.HARNESSES?.split(",") ?? HARNESS_NAMES) as HarnessName[];
const OUT = process.env.OUT ?? join(import.meta.dir, "RESULTS.md");
const MODEL = "bench-model";
const model = startScriptedModel({ models: [MODEL], script: [{ when: "say hi", steps: [{ kind: "text", text: "hi" }] }] });
const setup: BenchSetup = {
  root: mkdtempSync(join(tmpdir(), "lap-bench-harness-")),
  modelUrl: model.url,
  model: MODEL,
  provider: new LocalSandboxProvider(providerOptions(() => Number(new URL(model.url).port))),
  turns: TURNS,
};
const ms = (value: number) => value.toFixed(0);
const med = <T>(runs: T[], pick: (run: T) => number) => median(runs.map(pick));

/** The model alone: one streamed request straight to the scripted model (no harness, no LAP). */
async function modelAlone(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < TURNS; i++) {
    const t = performance.now();
    const response = await fetch(`${model.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: "say hi" }],
        tools: [{ type: "function", function: { name: "bash" } }],
      }),
    });
    await response.text();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

const rows: (string | number)[][] = [];
const breakdown: (string | number)[][] = [];
const firsts = new Map<string, { direct: number | null; cold: number }>();
const modelMs = await modelAlone();
for (const harness of HARNESSES) {
  const directRuns: DirectRun[] = [];
  const sandboxRuns: SandboxRun[] = [];
  for (let i = 0; i < CREATES; i++) directRuns.push(await direct(setup, harness, i));
  for (let i = 0; i < CREATES; i++) sandboxRuns.push(await sandboxed(setup, harness, i));
  const directTurns = directRuns[0]!.turns;
  const sandboxTurns = sandboxRuns[0]!.turns;
  const directFirst = med(directRuns, (run) => run.firstToken);
  const sandboxFirst = med(sandboxRuns, (run) => run.firstToken);
  firsts.set(harness, { direct: directFirst, cold: sandboxFirst });
  rows.push([
    harness,
    ms(directFirst),
    ms(sandboxFirst),
    ms(sandboxFirst - directFirst),
    `${ms(median(directTurns))} / ${ms(percentile(directTurns, 90))}`,
    `${ms(median(sandboxTurns))} / ${ms(percentile(sandboxTurns, 90))}`,
    ms(median(sandboxTurns) - median(directTurns)),
  ]);
  breakdown.push([
    harness,
    ms(med(directRuns, (run) => run.start)),
    ms(med(directRuns, (run) => run.firstToken - run.start)),
    ms(med(directRuns, (run) => run.cpuMs)),
    ms(med(sandboxRuns, (run) => run.created)),
    ms(med(sandboxRuns, (run) => run.ready - run.created)),
    ms(med(sandboxRuns, (run) => run.bound - run.ready)),
    ms(med(sandboxRuns, (run) => run.sent - run.bound)),
    ms(med(sandboxRuns, (run) => run.firstToken - run.sent)),
  ]);
  console.log(`${harness} done`);
}

const headers = [
  "harness",
  "create→first token, direct (ms)",
  "create→first token, LAP sandbox (ms)",
  "added by LAP (ms)",
  "turn p50/p90, direct (ms)",
  "turn p50/p90, LAP sandbox (ms)",
  "per-turn added by LAP (ms)",
];
const output = table(headers, rows);
const coldHeaders = [
  "harness",
  "direct: CLI start",
  "direct: start→first token",
  "direct: CLI CPU at first token",
  "sandbox: create",
  "ready (bwrap + supervisor)",
  "bind",
  "send",
  "sent→first token (harness + CLI start + call)",
];
const cold = table(coldHeaders, breakdown);

// The warm path: the same first turn on a sandbox whose harness the warm pool pre-started.
const warmRows: (string | number)[][] = [];
const builtinCold: number[] = [];
// The built-in agent has no direct run (it is LAP's own harness); its cold path is the same sandbox.
for (let i = 0; i < CREATES; i++) builtinCold.push((await sandboxed(setup, "builtin" as HarnessName, i)).firstToken);
firsts.set("builtin", { direct: null, cold: median(builtinCold) });
// The same first turn through a real LAP's HTTP API, on sandboxes its warm pool prepared (./api-warm.ts).
const lap = await startLapWithScriptedModel({ WARM_POOL_SIZE: "1", WARM_POOL_MAX_PROVISIONING: "1" });
for (const harness of ["builtin", ...HARNESSES]) {
  const runs = [];
  for (let i = 0; i < WARM; i++) runs.push(await warmFirstToken(setup.provider, harness, i, model.url, MODEL));
  const first = runs.map((r) => r.firstToken);
  const api = await apiWarmFirstToken(lap, harness, API_WARM);
  const f = firsts.get(harness)!;
  warmRows.push([
    harness,
    f.direct === null ? "—" : ms(f.direct),
    ms(f.cold),
    `${ms(median(first))} / ${ms(percentile(first, 90))}`,
    `${ms(median(api.firstToken))} / ${ms(percentile(api.firstToken, 90))}`,
    `${ms(median(api.created))} / ${ms(median(api.running))}`,
    `${api.hits}/${api.firstToken.length}`,
    ms(median(runs.map((r) => r.prepareMs))),
    `${runs.filter((r) => r.prepared === "kept").length}/${runs.length}`,
  ]);
  console.log(`${harness} warm done`);
}
await lap.stop();
const warmHeaders = [
  "harness",
  "create→first token, direct (ms)",
  "cold: LAP sandbox (ms)",
  "warm: bind→first token p50 / p90 (ms)",
  "warm: API create→first token p50 / p90 (ms)",
  "of which: POST answered / status_running on the stream, p50 (ms)",
  "API sessions on a warm sandbox",
  "pre-start in the pool (ms, off the session's path)",
  "pre-started harness kept",
];
const warm = table(warmHeaders, warmRows);
console.log(warm);
console.log(output);
console.log(cold);
console.log(`model alone (one streamed call, no harness): ${modelMs.toFixed(1)} ms`);

const nproc = (await Bun.$`nproc`.text()).trim();
const load = (await Bun.$`cat /proc/loadavg`.text()).trim().split(" ").slice(0, 3).join(" ");
const uname = (await Bun.$`uname -a`.text()).trim();
writeFileSync(
  OUT,
  `# bench/harness results

${new Date().toISOString()}: ${machine()}
\`nproc\`: ${nproc}; \`uname -a\`: ${uname}; Bun ${Bun.version}; load average at the end of the run: ${load}.
CREATES=${CREATES} sessions per harness and path (median), TURNS=${TURNS} turns on the first session (p50/p90).
The machine is shared with other work (2 cores), so absolute numbers are noisy; compare within a row.

Baseline: the same adapter and CLI run directly on the host against the same scripted model.
"LAP sandbox" = bubblewrap sandbox + supervisor + adapter (provider create, wait ready, bind, send,
stream events over the supervisor socket). The model calls go through the sandbox's bridge straight
to the scripted model: LAP's gateway hop is not in these numbers (see bench/gateway for its overhead).

${output}

Cold start, phase by phase (ms, median of the ${CREATES} creates; paths.ts). Direct: the adapter's
\`start()\` (the CLI's own start; Claude Code starts its process there and initializes on the first
message), then the first call, and the CPU time (user + system) the CLI process had used by its
first token. Sandbox: \`create\` (run dir, token, sockets, cgroup, spawn; the first one after LAP
starts also bundles harness/ once, so the first harness's median may carry it), ready (bubblewrap, the
supervisor's Bun, which starts the harness program at once), bind, send, then everything up to
the first token (the CLI's start and first call inside the sandbox).

${cold}

Model alone (one streamed call, no harness, no LAP): ${modelMs.toFixed(1)} ms.

## Warm pool: create → first token on a pre-started harness

WARM=${WARM} sessions per harness (p50 / p90). "warm" = a sandbox the warm pool holds for the agent,
its harness's CLI already started and warmed up by \`prepare\` with a placeholder key (docs/sandboxes.md
"Warm pool"). Two clocks:
- bind → first token (warm.ts): from the bind (the session key reaches the supervisor's gateway proxy)
  to the first agent.message delta over the supervisor socket; the model is called through the sandbox's
  bridge straight to the scripted model.
- API create → first token (api-warm.ts, API_WARM=${API_WARM} sessions): a real LAP (HTTP API, PGlite, warm pool
  with WARM_POOL_SIZE=1, gateway): \`POST /api/sessions\` with the prompt → the first agent.message on
  \`GET /api/sessions/:id/stream\` (SSE). It adds the session row, the pool's claim, the key, the bind,
  the event store and LAP's gateway hop. Each session waits for a synchronous pool refill first
  (\`POST /api/sandboxes/pool/refill\`), so it always finds a prepared sandbox; the pool's own refill
  after the claim (250 ms later) runs during the session's first turn, as it does in use.
"direct" and "cold" are the medians of the first table (built-in: no direct run, it is LAP's own harness).

${warm}
`,
);
await setup.provider.shutdown();
await model.stop();
rmSync(setup.root, { recursive: true, force: true });
process.exit(0);
