/**
 * Harness benchmark, per harness CLI (opencode, claude-code, codex), all against the same scripted
 * model (test/support/scripted-model, standing for the LLM provider) on loopback:
 *   - session create → first token: from "create" to the first agent.message delta, for
 *     (a) the adapter run directly on the host (baseline: the CLI's own start-up and first call) and
 *     (b) LAP's path: bubblewrap sandbox + supervisor + adapter (create, wait ready, bind, send).
 *   - per-turn time for a one-line reply, (a) vs (b): the difference is what LAP's supervisor and
 *     sandbox add per turn.
 * Run: bun bench/harness/run.ts   (CREATES=3 TURNS=8; writes bench/harness/RESULTS.md)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarnessAdapter } from "../../harness/adapters/index.ts";
import { HARNESS_NAMES, type HarnessName } from "../../harness/adapters/types.ts";
import { LocalSandboxProvider } from "../../server/sandboxes/local-provider.ts";
import { SupervisorClient } from "../../server/sandboxes/supervisor-client.ts";
import { binding, providerOptions } from "../../server/sandboxes/test-helpers.ts";
import { startScriptedModel } from "../../test/support/scripted-model/index.ts";
import { machine, median, percentile, table } from "../lib/report.ts";

const CREATES = Number(process.env.CREATES ?? 3);
const TURNS = Number(process.env.TURNS ?? 8);
const MODEL = "bench-model";
const model = startScriptedModel({ models: [MODEL], script: [{ when: "say hi", steps: [{ kind: "text", text: "hi" }] }] });
const root = mkdtempSync(join(tmpdir(), "lap-bench-harness-"));
const provider = new LocalSandboxProvider(providerOptions(() => Number(new URL(model.url).port)));
const ms = (value: number) => value.toFixed(0);

async function direct(harness: HarnessName, index: number): Promise<{ firstToken: number; turns: number[] }> {
  const dir = join(root, `${harness}-direct-${index}`);
  mkdirSync(join(dir, "ws"), { recursive: true });
  mkdirSync(join(dir, "home"), { recursive: true });
  const started = performance.now();
  const adapter = createHarnessAdapter(harness, {
    workspace: join(dir, "ws"),
    home: join(dir, "home"),
    gatewayUrl: model.url,
    apiKey: "k",
    model: MODEL,
  });
  await adapter.start();
  let firstToken = -1;
  await adapter.send("say hi", (event) => {
    if (event.type === "agent.message" && firstToken < 0) firstToken = performance.now() - started;
  });
  const turns: number[] = [];
  if (index === 0) {
    for (let turn = 0; turn < TURNS; turn++) {
      const t = performance.now();
      const result = await adapter.send("say hi again");
      if (result.outcome !== "end_turn") throw new Error(`${harness} direct turn: ${JSON.stringify(result.events.at(-1))}`);
      turns.push(performance.now() - t);
    }
  }
  await adapter.stop();
  return { firstToken, turns };
}

async function sandboxed(harness: HarnessName, index: number): Promise<{ firstToken: number; turns: number[] }> {
  const sessionId = `ses_bench_${harness.replace("-", "_")}_${index}`;
  const started = performance.now();
  const handle = await provider.create({ harness, env: {}, workspaceId: `ws-bench-${harness}-${index}` });
  await provider.waitReady(handle.id, { timeoutMs: 60_000 });
  await provider.bind(handle.id, binding(sessionId, `${model.url}/v1`, MODEL));
  const client = new SupervisorClient(await provider.connect(handle.id), sessionId);
  const after = await client.sendMessage("say hi");
  let firstToken = -1;
  for await (const event of client.stream(after, { untilIdle: true, signal: AbortSignal.timeout(120_000) })) {
    if (event.type === "agent.message" && firstToken < 0) firstToken = performance.now() - started;
    if (event.type === "session.status_idle" || event.type === "session.error") break;
  }
  const turns: number[] = [];
  if (index === 0) {
    for (let turn = 0; turn < TURNS; turn++) {
      const t = performance.now();
      const events = await client.runTurn("say hi again", { timeoutMs: 120_000 });
      if (events.at(-1)?.type !== "session.status_idle") throw new Error(`${harness} sandbox turn: ${JSON.stringify(events.at(-1))}`);
      turns.push(performance.now() - t);
    }
  }
  await provider.destroy(handle.id);
  return { firstToken, turns };
}

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
const modelMs = await modelAlone();
for (const harness of HARNESS_NAMES) {
  const directRuns = [];
  const sandboxRuns = [];
  for (let i = 0; i < CREATES; i++) directRuns.push(await direct(harness, i));
  for (let i = 0; i < CREATES; i++) sandboxRuns.push(await sandboxed(harness, i));
  const directTurns = directRuns[0]!.turns;
  const sandboxTurns = sandboxRuns[0]!.turns;
  const directFirst = median(directRuns.map((run) => run.firstToken));
  const sandboxFirst = median(sandboxRuns.map((run) => run.firstToken));
  rows.push([
    harness,
    ms(directFirst),
    ms(sandboxFirst),
    ms(sandboxFirst - directFirst),
    `${ms(median(directTurns))} / ${ms(percentile(directTurns, 90))}`,
    `${ms(median(sandboxTurns))} / ${ms(percentile(sandboxTurns, 90))}`,
    ms(median(sandboxTurns) - median(directTurns)),
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
console.log(output);
console.log(`model alone (one streamed call, no harness): ${modelMs.toFixed(1)} ms`);

const nproc = (await Bun.$`nproc`.text()).trim();
const load = (await Bun.$`cat /proc/loadavg`.text()).trim().split(" ").slice(0, 3).join(" ");
const uname = (await Bun.$`uname -a`.text()).trim();
writeFileSync(
  join(import.meta.dir, "RESULTS.md"),
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

Model alone (one streamed call, no harness, no LAP): ${modelMs.toFixed(1)} ms.
`,
);
await provider.shutdown();
await model.stop();
rmSync(root, { recursive: true, force: true });
process.exit(0);
