/**
 * The warm path as a user meets it: `POST /api/sessions` with the first prompt → the first
 * agent.message on the session's SSE stream, through a real LAP (startLap: its HTTP API, database,
 * warm pool, local bubblewrap sandboxes, gateway) in front of the scripted model
 * (test/support/lap-api.ts). Each session claims a sandbox the warm pool prepared for its agent
 * (docs/sandboxes.md "Warm pool"); what the pool's claim, LAP's session setup, the bind and the
 * gateway hop add over bind → first token (./warm.ts) is the difference between the two columns.
 */
import { GATEWAY_MODELS, type LapUnderTest, MASTER_KEY, readSse, waitFor } from "../../test/support/lap-api.ts";

export interface ApiWarmRuns {
  /** POST /api/sessions (sent) → first agent.message on the stream (ms), one per session. */
  firstToken: number[];
  /** Of that: POST /api/sessions answered (ms), and session.status_running reached the stream (ms). */
  created: number[];
  running: number[];
  /** Sessions that took a warm sandbox / started one cold (the pool's own counts, /api/sandboxes/pool). */
  hits: number;
  misses: number;
  /** Wall-clock times (Date.now()) each POST /api/sessions was sent, and its session id (api-warm-trace.ts). */
  sentAt: number[];
  sessionIds: string[];
}

type Pool = {
  slots: { agent_id: string; status: string; sandbox_id: string | null }[];
  agents: { agent_id: string; hits: number; misses: number }[];
};

const isToken = (type: string) => type === "agent.message" || type === "agent.message_delta";

/**
 * Waits until the pool holds a prepared sandbox for the agent. The top-up asked for here answers once
 * the sandbox is ready and its harness pre-started, which for opencode can outlast LAP's HTTP idle
 * timeout: the pass goes on when the connection is cut, so the pool is read until the slot is there.
 */
async function warmSlot(t: LapUnderTest, harness: string, agentId: string, ms = 240_000): Promise<void> {
  const hasSlot = (pool: Pool) => pool.slots.some((s) => s.agent_id === agentId && s.status === "warm");
  const refilled = await t.api<Pool>("POST", "/api/sandboxes/pool/refill").catch(() => null);
  if (refilled && hasSlot(refilled.body)) return;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const { body } = await t.api<Pool>("GET", "/api/sandboxes/pool");
    if (hasSlot(body)) return;
    await Bun.sleep(250);
  }
  throw new Error(`${harness}: no warm sandbox for the agent after ${ms / 1000} s`);
}

/** `runs` sessions for a new agent with `harness`, each on a warm sandbox the pool prepared for it. */
export async function apiWarmFirstToken(
  t: LapUnderTest,
  harness: string,
  runs: number,
  /** More fields for the agent (api-warm-trace.ts: `platform_tools: false`, an agent with no MCP server). */
  agentFields: Record<string, unknown> = {},
  /**
   * How long a warm slot waits before its session comes (api-warm-trace.ts SLOT_AGE_MS): a slot older than
   * a CLI's MCP start timeout (opencode's ~60 s) shows whether the bind still keeps its pre-started CLI.
   */
  slotAgeMs = 0,
): Promise<ApiWarmRuns> {
  const model = harness === "claude-code" ? GATEWAY_MODELS.anthropic : GATEWAY_MODELS.openai;
  const agent = await t.api<{ id: string }>("POST", "/api/agents", {
    name: `bench-warm-${harness}`,
    model,
    runtime_id: "rt_local_sandbox",
    harness,
    ...agentFields,
  });
  if (agent.status !== 201) throw new Error(`${harness}: creating the agent failed (${agent.status}): ${JSON.stringify(agent.body)}`);
  const agentId = agent.body.id;
  const stopSession = (id: string) => t.api("POST", `/api/sessions/${id}/stop`);
  // One session makes the agent a recent one, which is what the pool keeps sandboxes for.
  const seed = await t.api<{ id: string }>("POST", "/api/sessions", { agent_id: agentId });
  await waitFor(
    `${harness}: the seed session to be idle`,
    async () => (await t.api<{ status: string }>("GET", `/api/sessions/${seed.body.id}`)).body.status === "idle",
    120_000,
  );
  await stopSession(seed.body.id);

  const firstToken: number[] = [];
  const createdAt: number[] = [];
  const runningAt: number[] = [];
  const sentAt: number[] = [];
  const sessionIds: string[] = [];
  for (let i = 0; i < runs; i++) {
    await warmSlot(t, harness, agentId);
    if (slotAgeMs > 0) await Bun.sleep(slotAgeMs); // a slot waiting for its user, not a synchronisation
    const sent = performance.now();
    sentAt.push(Date.now());
    const created = await t.api<{ id: string }>("POST", "/api/sessions", { agent_id: agentId, prompt: "say hi" });
    if (created.status !== 201) throw new Error(`${harness}: POST /api/sessions ${created.status}: ${JSON.stringify(created.body)}`);
    createdAt.push(performance.now() - sent);
    sessionIds.push(created.body.id);
    let first = -1;
    let running = -1;
    const stream = readSse(`${t.lap.url}/api/sessions/${created.body.id}/stream`, MASTER_KEY, (events) => {
      if (running < 0 && events.some((e) => e.type === "session.status_running")) running = performance.now() - sent;
      if (first < 0 && events.some((e) => isToken(e.type))) first = performance.now() - sent;
      if (events.some((e) => e.type === "session.error")) throw new Error(`${harness}: ${JSON.stringify(events.at(-1))}`);
      return events.some((e) => e.type === "session.status_idle");
    });
    await stream.events;
    if (first < 0) throw new Error(`${harness}: no agent.message on session ${created.body.id}`);
    firstToken.push(first);
    runningAt.push(running);
    await stopSession(created.body.id);
  }
  const { body } = await t.api<Pool>("GET", "/api/sandboxes/pool");
  const counts = body.agents.find((a) => a.agent_id === agentId);
  // Paused, the agent's warm sandboxes are recycled at the next top-up and the next harness gets the pool.
  await t.api("POST", `/api/agents/${agentId}/pause`);
  await t.api("POST", "/api/sandboxes/pool/refill").catch(() => undefined);
  return { firstToken, created: createdAt, running: runningAt, hits: counts?.hits ?? 0, misses: counts?.misses ?? 0, sentAt, sessionIds };
}
