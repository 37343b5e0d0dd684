/** The warm pool against a real database (PGlite, or Postgres with LAP_TEST_DB=postgres) and real bubblewrap sandboxes. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../db/client";
import { createLogger } from "../lib/logger";
import { testDatabase } from "../../test/support/db";
import { LocalSandboxProvider } from "./local-provider";
import type { SandboxSpec } from "./provider";
import { WarmPool, type WarmPoolSettings } from "./warm-pool";
import { providerOptions } from "./test-helpers";
import { sessionsForSandboxes } from "../sessions/for-sandboxes";

let database: Database;
let provider: LocalSandboxProvider;
let now = new Date();
const specs = new Map<string, string>();

const spec = (agentId: string): SandboxSpec => ({ harness: "builtin", env: { AGENT: agentId }, workspaceId: "unused" });
const pool = (settings: Partial<WarmPoolSettings> = {}) =>
  new WarmPool({
    database,
    sessions: sessionsForSandboxes(database),
    provider,
    settings: { size: 2, ttlMinutes: 30, maxProvisioning: 2, recentAgentHours: 24, ...settings },
    specFor: async (id) => (specs.has(id) ? { spec: spec(id), hash: specs.get(id)! } : null),
    logger: createLogger("silent"),
    now: () => now,
  });

async function agentWithSession(id: string, minutesAgo: number) {
  await database.query(`insert into agents (id, name, model) values ($1, $1, 'm')`, [id]);
  await database.query(`insert into sessions (id, agent_id, created_at) values ($1, $2, now() - ($3 || ' minutes')::interval)`, [
    `ses_${id}`,
    id,
    String(minutesAgo),
  ]);
  specs.set(id, "v1");
}

const rows = () =>
  database.query<{ agent_id: string; status: string; sandbox_id: string | null; reason: string | null }>(
    `select agent_id, status, sandbox_id, reason from sandboxes order by agent_id, created_at`,
  );

beforeAll(async () => {
  database = await testDatabase();
  provider = new LocalSandboxProvider(providerOptions(() => 1));
  await agentWithSession("agent_a", 5);
  await agentWithSession("agent_b", 10);
  await agentWithSession("agent_c", 20);
  await agentWithSession("agent_old", 60 * 48);
}, 60_000);

afterAll(async () => {
  await provider.shutdown();
  await database.close();
});

describe("warm pool", () => {
  test("top-up gives the most recent agents one ready sandbox each, within WARM_POOL_SIZE", async () => {
    await pool().topUp();
    const r = await rows();
    expect(r.map((x) => [x.agent_id, x.status])).toEqual([
      ["agent_a", "warm"],
      ["agent_b", "warm"],
    ]);
    for (const x of r) expect((await provider.get(x.sandbox_id!))!.state).toBe("ready");
    // A second pass changes nothing: the pool is full.
    await pool().topUp();
    expect(await rows()).toHaveLength(2);
  }, 60_000);

  test("claims are exclusive under concurrency (SKIP LOCKED); a claim refills the pool", async () => {
    const p = pool();
    const claims = await Promise.all(Array.from({ length: 5 }, (_, i) => p.claim("agent_a", "v1", `ses_claim_${i}`)));
    const won = claims.filter(Boolean);
    expect(won).toHaveLength(1);
    const mine = (
      await database.query<{ session_id: string; status: string }>(`select session_id, status from sandboxes where id = $1`, [
        won[0]!.rowId,
      ])
    )[0]!;
    expect(mine.status).toBe("claimed");
    expect(mine.session_id).toMatch(/^ses_claim_/);
    // The stale spec hash is never handed out.
    expect(await p.claim("agent_b", "v0", "ses_x")).toBeNull();
    await p.idle();
    await p.topUp();
    const warm = (await rows()).filter((x) => x.status === "warm").map((x) => x.agent_id);
    expect(warm.sort()).toEqual(["agent_a", "agent_b"]);
  }, 60_000);

  test("a changed agent spec and the TTL recycle warm sandboxes (stopped, row gone)", async () => {
    specs.set("agent_b", "v2");
    const before = (await rows()).find((x) => x.agent_id === "agent_b" && x.status === "warm")!;
    expect(await pool().recycle()).toBe(1);
    expect(await provider.get(before.sandbox_id!)).toBeNull();
    await pool().topUp();
    expect((await database.query(`select spec_hash from sandboxes where agent_id = 'agent_b' and status = 'warm'`))[0]).toEqual({
      spec_hash: "v2",
    });

    now = new Date(Date.now() + 31 * 60_000);
    expect(await pool().recycle()).toBe(2);
    expect((await rows()).filter((x) => x.status === "warm")).toHaveLength(0);
    now = new Date();
  }, 60_000);

  test("WARM_POOL_SIZE=0 disables the pool", async () => {
    const p = pool({ size: 0 });
    await p.topUp();
    expect(await p.claim("agent_a", "v1", "ses_none")).toBeNull();
  });
});
