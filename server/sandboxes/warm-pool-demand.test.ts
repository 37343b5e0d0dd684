/**
 * The warm pool sizing itself from demand, its memory ceiling, and its hits and misses per agent,
 * against a real database (PGlite, or Postgres with LAP_TEST_DB=postgres) and real bubblewrap sandboxes.
 */
import { agentsForSandboxes } from "../agents/for-sandboxes";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../db/client";
import { createLogger } from "../lib/logger";
import { testDatabase } from "../../test/support/db";
import { LocalSandboxProvider } from "./local-provider";
import { sandboxMemoryBytes } from "./pool-sizing";
import { poolStats } from "./pool-stats";
import { reserveSessionSandbox } from "./runtime/session-claim";
import { providerOptions } from "./test-helpers";
import { WarmPool, type WarmPoolSettings } from "./warm-pool";
import { sessionsForSandboxes } from "../sessions/for-sandboxes";

let database: Database;
let provider: LocalSandboxProvider;

const pool = (settings: Partial<WarmPoolSettings> = {}) =>
  new WarmPool({
    database,
    sessions: sessionsForSandboxes(database),
    provider,
    settings: { size: 4, ttlMinutes: 30, maxProvisioning: 4, recentAgentHours: 24, ...settings },
    specFor: async (id) => ({ spec: { harness: "builtin", env: { AGENT: id }, workspaceId: "unused" }, hash: "v1" }),
    logger: createLogger("silent"),
    refillDelayMs: 60_000,
  });

async function agent(id: string, harness: string, sessionsMinutesAgo: number[]) {
  await database.query(`insert into agents (id, name, model, harness) values ($1, $1, 'm', $2)`, [id, harness]);
  for (const [i, m] of sessionsMinutesAgo.entries())
    await database.query(`insert into sessions (id, agent_id, created_at) values ($1, $2, now() - ($3 || ' minutes')::interval)`, [
      `ses_${id}_${i}`,
      id,
      String(m),
    ]);
}

const warmSlots = async () =>
  (
    await database.query<{ agent_id: string; n: number }>(
      `select agent_id, count(*)::int as n from sandboxes where status = 'warm' group by agent_id order by agent_id`,
    )
  ).map((r) => [r.agent_id, Number(r.n)]);

async function clear() {
  for (const h of await provider.list()) await provider.destroy(h.id, { dropWorkspace: true });
  await database.query(`delete from sandboxes`);
}

beforeAll(async () => {
  database = await testDatabase();
  provider = new LocalSandboxProvider(providerOptions(() => 1));
  // agent_burst started three sessions in the last few minutes; agent_calm one, an hour ago (newer than the burst's first ones would not matter).
  await agent("agent_burst", "opencode", [1, 2, 3, 300]);
  await agent("agent_calm", "default", [60]);
}, 60_000);

afterAll(async () => {
  await provider.shutdown();
  await database.close();
});

describe("warm pool sizing", () => {
  test("an agent starting sessions in bursts gets as many warm sandboxes as its recent burst, the others one, within WARM_POOL_SIZE", async () => {
    await pool({ maxMemoryMb: 0 }).topUp();
    expect(await warmSlots()).toEqual([
      ["agent_burst", 3],
      ["agent_calm", 1],
    ]);
    await clear();
    await pool({ size: 2, maxMemoryMb: 0 }).topUp();
    expect(await warmSlots()).toEqual([
      ["agent_burst", 1],
      ["agent_calm", 1],
    ]);
    await clear();
  }, 60_000);

  test("LAP_WARM_POOL_MAX_MEMORY_MB: nothing starts past the ceiling, measured on the running warm sandboxes", async () => {
    await pool({ maxMemoryMb: 1 }).topUp();
    expect(await warmSlots()).toEqual([]);
    // Room for one by the first guess (300 MB); once it runs, what it really holds is what counts.
    await pool({ maxMemoryMb: 400, size: 1 }).topUp();
    expect(await warmSlots()).toEqual([["agent_burst", 1]]);
    const [h] = await provider.list();
    const heldMb = (sandboxMemoryBytes(h!.info) ?? 0) / (1024 * 1024);
    expect(heldMb).toBeGreaterThan(1);
    // Room for half another one: none starts; room for one and a half: one does.
    await pool({ maxMemoryMb: Math.ceil(heldMb * 1.5) }).topUp();
    expect(await warmSlots()).toEqual([["agent_burst", 1]]);
    await pool({ maxMemoryMb: Math.ceil(heldMb * 2.6) }).topUp();
    expect(await warmSlots()).toEqual([
      ["agent_burst", 1],
      ["agent_calm", 1],
    ]);
    await clear();
  }, 60_000);

  test("hits and misses per agent and harness: a claim is a hit, a cold start a miss, a recovery neither", async () => {
    const p = pool({ size: 1, maxMemoryMb: 0 });
    await p.topUp();
    expect(await p.claim("agent_burst", "v1", "ses_agent_burst_0")).not.toBeNull();
    const host = provider.host;
    const reserve = (sessionId: string, agentId: string, startKind: "cold" | "recovered") =>
      reserveSessionSandbox(database, {
        sessionId,
        agentId,
        provider: "local",
        host,
        workspaceId: `ws_${sessionId}`,
        specHash: "v1",
        startKind,
      });
    await reserve("ses_agent_burst_1", "agent_burst", "cold");
    await reserve("ses_agent_calm_0", "agent_calm", "cold");
    await reserve("ses_agent_burst_2", "agent_burst", "recovered");
    expect(await poolStats(database, agentsForSandboxes(database), host)).toEqual([
      { agent_id: "agent_burst", agent_name: "agent_burst", harness: "opencode", hits: 1, misses: 1, restarted: 0 },
      { agent_id: "agent_calm", agent_name: "agent_calm", harness: "builtin", hits: 0, misses: 1, restarted: 0 },
    ]);
    // Another host's sandboxes are its own pool's.
    expect(await poolStats(database, agentsForSandboxes(database), "another-host")).toEqual([]);
    await clear();
  }, 60_000);
});
