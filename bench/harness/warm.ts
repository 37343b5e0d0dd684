/**
 * The warm path of bench/harness: a sandbox the warm pool would hold for the agent (created, ready,
 * its harness pre-started with `prepare`: docs/sandboxes.md "Warm pool"), then timed from the
 * session's side: bind (the session key reaches the supervisor's gateway proxy), send, first token.
 * What is not timed here: LAP's session-create API and the pool's claim (one row update,
 * server/sandboxes/warm-pool.ts), which bench/sandbox measures.
 */
import type { LocalSandboxProvider } from "../../server/sandboxes/local-provider.ts";
import { SupervisorClient } from "../../server/sandboxes/supervisor-client.ts";
import { binding } from "../../server/sandboxes/test-helpers.ts";

export interface WarmRun {
  /** bind → first agent.message delta (ms). */
  firstToken: number;
  /** What the supervisor did with the pre-started harness at bind (`kept` is the warm path). */
  prepared: string;
  /** How long the pre-start took (not on the session's path). */
  prepareMs: number;
}

/** One warm sandbox prepared for `harness`, then one session's first turn on it. */
export async function warmFirstToken(
  provider: LocalSandboxProvider,
  harness: string,
  index: number,
  modelUrl: string,
  model: string,
): Promise<WarmRun> {
  const sessionId = `ses_bench_warm_${harness.replace("-", "_")}_${index}`;
  const handle = await provider.create({ harness, env: {}, workspaceId: `ws-bench-warm-${harness}-${index}` });
  await provider.waitReady(handle.id, { timeoutMs: 60_000 });
  const bound = binding(sessionId, `${modelUrl}/v1`, model);
  const t0 = performance.now();
  const { harness: state } = await provider.prepare(handle.id, { agentId: bound.agentId, model, holdSeconds: 1800 }, bound.gatewayBaseUrl);
  const prepareMs = performance.now() - t0;
  if (state !== "ready") throw new Error(`${harness}: the pre-start ended ${state}`);
  const started = performance.now();
  await provider.bind(handle.id, bound);
  const client = new SupervisorClient(await provider.connect(handle.id), sessionId);
  const after = await client.sendMessage("say hi");
  let firstToken = -1;
  for await (const event of client.stream(after, { untilIdle: true, signal: AbortSignal.timeout(120_000) })) {
    if (event.type === "agent.message" && firstToken < 0) firstToken = performance.now() - started;
    if (event.type === "session.error") throw new Error(`${harness} warm turn: ${JSON.stringify(event)}`);
    if (event.type === "session.status_idle") break;
  }
  const prepared = String((await client.health()).prepared);
  await provider.destroy(handle.id, { dropWorkspace: true });
  return { firstToken, prepared, prepareMs };
}
