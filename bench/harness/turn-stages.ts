/**
 * Where a turn's time goes, direct against LAP's sandbox, for one harness (default opencode): each
 * turn after the first is cut at the model calls, as a timing proxy in front of the scripted model sees
 * them (test/support/scripted-model, standing for the LLM provider):
 *   before the model: send → the turn's first model request arrives (direct: the adapter and the CLI;
 *                     sandbox: plus LAP's POST to the supervisor, the harness program's stdin, and the
 *                     request's way out through the supervisor's gateway proxy and LAP's bridge);
 *   model calls:      first request in → last response out (and how many calls the turn made);
 *   after the model:  last response out → the turn's session.status_idle at the caller (the response's
 *                     way back, the CLI's step end, its idle event, and in the sandbox the harness
 *                     program's stdout, the supervisor's event log and its SSE stream).
 * Run: HARNESS=opencode TURNS=10 bun bench/harness/turn-stages.ts   (prints a table; bench/harness/NOTES.md
 * has what it showed). All stamps are epoch milliseconds (performance.timeOrigin + now), one clock.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarnessAdapter } from "../../harness/adapters/index.ts";
import type { HarnessName } from "../../harness/adapters/types.ts";
import { LocalSandboxProvider } from "../../server/sandboxes/local-provider.ts";
import { ProcessSandboxProvider } from "../../server/sandboxes/process-provider.ts";
import { SupervisorClient } from "../../server/sandboxes/supervisor-client.ts";
import { binding, providerOptions } from "../../server/sandboxes/test-helpers.ts";
import { startScriptedModel } from "../../test/support/scripted-model/index.ts";
import { descendants } from "../../test/support/lap-api.ts";
import { median, table } from "../lib/report.ts";
import { cpuMs } from "./paths.ts";

const HARNESS = (process.env.HARNESS ?? "opencode") as HarnessName;
const TURNS = Number(process.env.TURNS ?? 10);
const MODEL = "bench-model";
const now = () => performance.timeOrigin + performance.now();

const model = startScriptedModel({ models: [MODEL], script: [{ when: "say hi", steps: [{ kind: "text", text: "hi" }] }] });
/** Every model call as the provider's side sees it: when the request arrived, when its response ended. */
const calls: { in: number; out: number; path: string }[] = [];
const proxy = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(req) {
    const arrived = now();
    const url = new URL(req.url);
    const upstream = await fetch(`${model.url}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" ? undefined : await req.arrayBuffer(),
    });
    const body = await upstream.arrayBuffer();
    calls.push({ in: arrived, out: now(), path: url.pathname });
    return new Response(body, { status: upstream.status, headers: upstream.headers });
  },
});
const proxyUrl = `http://127.0.0.1:${proxy.port}`;
const root = mkdtempSync(join(tmpdir(), "lap-bench-stages-"));

type Turn = { sent: number; firstToken: number; idle: number };
/** What one path measured: its turns, and the CPU time each of its processes used per turn (ms). */
type PathRun = { turns: Turn[]; cpu: Map<string, number> };

/** A process's name for the CPU table: the program and what it runs (`bun supervisor.js`, `opencode serve`). */
function label(argv: string[]): string {
  const base = (s: string | undefined) => (s ?? "").split("/").at(-1) ?? "";
  return `${base(argv[0])} ${base(argv[1])}`.trim();
}

/** CPU time (user + system, ms) of the bench process itself and of `pids` with their labels. */
function cpuSnapshot(pids: { pid: number; argv: string[] }[]): Map<string, number> {
  const usage = process.cpuUsage();
  const out = new Map<string, number>([
    ["bench process (the adapter direct; LAP's bridge in the sandbox)", (usage.user + usage.system) / 1000],
  ]);
  for (const p of pids) out.set(label(p.argv), (out.get(label(p.argv)) ?? 0) + Math.max(0, cpuMs(p.pid)));
  return out;
}

/** Per-turn CPU by process between two snapshots. */
const perTurn = (before: Map<string, number>, after: Map<string, number>) =>
  new Map([...after].map(([name, ms]) => [name, (ms - (before.get(name) ?? 0)) / TURNS]));

/** One turn's stages from its stamps and the model calls made in it. */
function stages(turn: Turn) {
  const mine = calls.filter((c) => c.in >= turn.sent && c.out <= turn.idle);
  const first = mine[0];
  const last = mine.at(-1);
  return {
    total: turn.idle - turn.sent,
    firstToken: turn.firstToken - turn.sent,
    before: first ? first.in - turn.sent : Number.NaN,
    model: first && last ? last.out - first.in : Number.NaN,
    after: last ? turn.idle - last.out : Number.NaN,
    calls: mine.length,
  };
}

async function directTurns(): Promise<PathRun> {
  mkdirSync(join(root, "direct", "ws"), { recursive: true });
  mkdirSync(join(root, "direct", "home"), { recursive: true });
  const adapter = createHarnessAdapter(HARNESS, {
    workspace: join(root, "direct", "ws"),
    home: join(root, "direct", "home"),
    gatewayUrl: proxyUrl,
    apiKey: "k",
    model: MODEL,
  });
  await adapter.start();
  await adapter.send("say hi");
  const pid = (adapter as { pid?: () => number | undefined }).pid?.();
  const processes = () => (pid ? [{ pid, argv: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0") }] : []);
  const cpuBefore = cpuSnapshot(processes());
  const turns: Turn[] = [];
  for (let i = 0; i < TURNS; i++) {
    const turn: Turn = { sent: now(), firstToken: -1, idle: -1 };
    await adapter.send("say hi again", (event) => {
      if (event.type === "agent.message" && turn.firstToken < 0) turn.firstToken = now();
      if (event.type === "session.status_idle") turn.idle = now();
    });
    turns.push(turn);
  }
  const cpu = perTurn(cpuBefore, cpuSnapshot(processes()));
  await adapter.stop();
  return { turns, cpu };
}

let sandboxes = 0;
/** The supervisor's path on a host provider: local = bubblewrap; process = the same supervisor with no isolation. */
async function supervisedTurns(provider: LocalSandboxProvider | ProcessSandboxProvider): Promise<PathRun> {
  // New every run: the process provider keeps a harness home per session id in the host's /tmp, and a
  // resumed opencode session whose workspace is gone fails its prompts without going idle.
  const sessionId = `ses_bench_stages_${HARNESS.replace("-", "_")}_${process.pid}_${++sandboxes}`;
  const handle = await provider.create({ harness: HARNESS, env: {}, workspaceId: `ws-bench-stages-${sandboxes}` });
  await provider.waitReady(handle.id, { timeoutMs: 60_000 });
  await provider.bind(handle.id, binding(sessionId, `${proxyUrl}/v1`, MODEL));
  const client = new SupervisorClient(await provider.connect(handle.id), sessionId);
  await client.runTurn("say hi", { timeoutMs: 120_000 });
  const root = (await provider.list()).find((h) => h.id === handle.id)?.info.pid as number | undefined;
  const processes = () =>
    root ? [{ pid: root, argv: readFileSync(`/proc/${root}/cmdline`, "utf8").split("\0") }, ...descendants(root)] : [];
  const cpuBefore = cpuSnapshot(processes());
  const turns: Turn[] = [];
  for (let i = 0; i < TURNS; i++) {
    const turn: Turn = { sent: now(), firstToken: -1, idle: -1 };
    const after = await client.sendMessage("say hi again");
    for await (const event of client.stream(after, { untilIdle: true, signal: AbortSignal.timeout(120_000) })) {
      if (event.type === "agent.message" && turn.firstToken < 0) turn.firstToken = now();
      if (event.type === "session.status_idle" || event.type === "session.error") {
        turn.idle = now();
        break;
      }
    }
    turns.push(turn);
  }
  const cpu = perTurn(cpuBefore, cpuSnapshot(processes()));
  await provider.destroy(handle.id, { dropWorkspace: true });
  await provider.shutdown();
  rmSync(join(tmpdir(), "lap-harness-home", sessionId), { recursive: true, force: true });
  return { turns, cpu };
}
const upstreamPort = () => Number(proxy.port);

const rows: (string | number)[][] = [];
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = load();
const paths: [string, () => Promise<PathRun>][] = [
  ["direct", directTurns],
  // The model is called straight (no gateway proxy, no bridge): what the supervisor and stdio add.
  ["supervisor, no sandbox (process provider)", () => supervisedTurns(new ProcessSandboxProvider(providerOptions(upstreamPort)))],
  ["LAP sandbox", () => supervisedTurns(new LocalSandboxProvider(providerOptions(upstreamPort)))],
];
/** Each round runs every path once, one after the other, so that a change in load falls on all of them. */
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const byPath = new Map<string, ReturnType<typeof stages>[]>();
const cpuRows: (string | number)[][] = [];
for (let round = 0; round < ROUNDS; round++)
  for (const [name, run] of paths) {
    console.error(`round ${round + 1}: ${name}`);
    const measured = await run();
    byPath.set(name, [...(byPath.get(name) ?? []), ...measured.turns.map(stages)]);
    for (const [process, ms] of measured.cpu) if (ms > 0.5) cpuRows.push([name, round + 1, process, ms.toFixed(1)]);
  }
const medians: Record<string, ReturnType<typeof stages>> = {};
for (const [name, measured] of byPath) {
  const pick = (key: keyof ReturnType<typeof stages>) => median(measured.map((m) => m[key]));
  medians[name] = {
    total: pick("total"),
    firstToken: pick("firstToken"),
    before: pick("before"),
    model: pick("model"),
    after: pick("after"),
    calls: pick("calls"),
  };
  const m = medians[name]!;
  rows.push([name, m.total.toFixed(1), m.firstToken.toFixed(1), m.before.toFixed(1), m.model.toFixed(1), m.after.toFixed(1), m.calls]);
}
const d = medians.direct!;
const s = medians["LAP sandbox"]!;
rows.push([
  "added by LAP",
  (s.total - d.total).toFixed(1),
  (s.firstToken - d.firstToken).toFixed(1),
  (s.before - d.before).toFixed(1),
  (s.model - d.model).toFixed(1),
  (s.after - d.after).toFixed(1),
  "",
]);
console.log(`${HARNESS}, ${TURNS} turns after the first × ${ROUNDS} rounds, medians (ms); load before ${loadBefore}, after ${load()}`);
console.log(table(["path", "turn", "send→first token", "before the model", "model calls", "after the model", "calls/turn"], rows));
console.log("CPU time per turn, by process (ms, user + system):");
console.log(table(["path", "round", "process", "CPU ms per turn"], cpuRows));
await model.stop();
proxy.stop(true);
rmSync(root, { recursive: true, force: true });
process.exit(0);
