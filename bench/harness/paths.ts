/**
 * The two paths bench/harness compares, each timed phase by phase (all ms from "create"):
 *   direct:  adapter.start() (the CLI's own start) → first agent.message delta, plus the CLI's CPU
 *            time at that token (user + system, from /proc) — robust where wall time moves with load;
 *   sandbox: provider.create → waitReady (bubblewrap + the supervisor's Bun + the harness program
 *            started) → bind → message sent → first agent.message delta over the supervisor socket.
 * Each then runs `turns` one-line turns on the same session (per-turn time).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHarnessAdapter } from "../../harness/adapters/index.ts";
import type { HarnessName } from "../../harness/adapters/types.ts";
import type { LocalSandboxProvider } from "../../server/sandboxes/local-provider.ts";
import { SupervisorClient } from "../../server/sandboxes/supervisor-client.ts";
import { binding } from "../../server/sandboxes/test-helpers.ts";

export type DirectRun = { start: number; firstToken: number; cpuMs: number; turns: number[] };
export type SandboxRun = { created: number; ready: number; bound: number; sent: number; firstToken: number; turns: number[] };
export type BenchSetup = { root: string; modelUrl: string; model: string; provider: LocalSandboxProvider; turns: number };

/** A process's CPU time (user + system) in ms; -1 once it is gone. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return -1;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return -1;
  }
}

export async function direct(setup: BenchSetup, harness: HarnessName, index: number): Promise<DirectRun> {
  const dir = join(setup.root, `${harness}-direct-${index}`);
  mkdirSync(join(dir, "ws"), { recursive: true });
  mkdirSync(join(dir, "home"), { recursive: true });
  const t0 = performance.now();
  const adapter = createHarnessAdapter(harness, {
    workspace: join(dir, "ws"),
    home: join(dir, "home"),
    gatewayUrl: setup.modelUrl,
    apiKey: "k",
    model: setup.model,
  });
  await adapter.start();
  const start = performance.now() - t0;
  let firstToken = -1;
  let cpu = -1;
  await adapter.send("say hi", (event) => {
    if (event.type !== "agent.message" || firstToken >= 0) return;
    firstToken = performance.now() - t0;
    cpu = cpuMs((adapter as { pid?: () => number | undefined }).pid?.());
  });
  const turns: number[] = [];
  for (let turn = 0; index === 0 && turn < setup.turns; turn++) {
    const t = performance.now();
    const result = await adapter.send("say hi again");
    if (result.outcome !== "end_turn") throw new Error(`${harness} direct turn: ${JSON.stringify(result.events.at(-1))}`);
    turns.push(performance.now() - t);
  }
  await adapter.stop();
  return { start, firstToken, cpuMs: cpu, turns };
}

export async function sandboxed(setup: BenchSetup, harness: HarnessName, index: number): Promise<SandboxRun> {
  const { provider } = setup;
  const sessionId = `ses_bench_${harness.replace("-", "_")}_${index}`;
  const t0 = performance.now();
  const since = () => performance.now() - t0;
  const handle = await provider.create({ harness, env: {}, workspaceId: `ws-bench-${harness}-${index}` });
  const created = since();
  await provider.waitReady(handle.id, { timeoutMs: 60_000 });
  const ready = since();
  await provider.bind(handle.id, binding(sessionId, `${setup.modelUrl}/v1`, setup.model));
  const bound = since();
  const client = new SupervisorClient(await provider.connect(handle.id), sessionId);
  const after = await client.sendMessage("say hi");
  const sent = since();
  let firstToken = -1;
  for await (const event of client.stream(after, { untilIdle: true, signal: AbortSignal.timeout(120_000) })) {
    if (event.type === "agent.message" && firstToken < 0) firstToken = since();
    if (event.type === "session.status_idle" || event.type === "session.error") break;
  }
  const turns: number[] = [];
  for (let turn = 0; index === 0 && turn < setup.turns; turn++) {
    const t = performance.now();
    const events = await client.runTurn("say hi again", { timeoutMs: 120_000 });
    if (events.at(-1)?.type !== "session.status_idle") throw new Error(`${harness} sandbox turn: ${JSON.stringify(events.at(-1))}`);
    turns.push(performance.now() - t);
  }
  await provider.destroy(handle.id);
  return { created, ready, bound, sent, firstToken, turns };
}
