/**
 * The generic WarmPool on the kubernetes provider: it sizes agent-sandbox's SandboxWarmPools through
 * `externalWarmPool.setTargets` and never pre-creates claims. Real database (PGlite, or Postgres with
 * LAP_TEST_DB=postgres) and the fake kube API server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../../db/client";
import { createLogger } from "../../lib/logger";
import { testDatabase } from "../../../test/support/db";
import { kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";
import type { SandboxSpec } from "../provider";
import { WarmPool } from "../warm-pool";
import { sessionsForSandboxes } from "../../sessions/for-sandboxes";

let t: KubeTestEnv;
let database: Database;
const harnessOf = new Map<string, string>();

const pool = (size = 3) =>
  new WarmPool({
    database,
    sessions: sessionsForSandboxes(database),
    provider: t.lap.provider,
    settings: { size, ttlMinutes: 30, maxProvisioning: 2, recentAgentHours: 24 },
    specFor: async (id) => {
      const harness = harnessOf.get(id);
      return harness ? { spec: { harness, env: {}, workspaceId: "unused" } satisfies SandboxSpec, hash: "v1" } : null;
    },
    logger: createLogger("silent"),
  });

async function agentWithSession(id: string, harness: string, minutesAgo: number) {
  await database.query(`insert into agents (id, name, model) values ($1, $1, 'm')`, [id]);
  await database.query(`insert into sessions (id, agent_id, created_at) values ($1, $2, now() - ($3 || ' minutes')::interval)`, [
    `ses_${id}`,
    id,
    String(minutesAgo),
  ]);
  harnessOf.set(id, harness);
}

const replicas = () =>
  Object.fromEntries(
    t.fake.objects("sandboxwarmpools").map((p) => [p.spec.sandboxTemplateRef.name.replace(/-[0-9a-f]{8}$/, ""), p.spec.replicas]),
  );

beforeAll(async () => {
  t = await kubeTestEnv({ WARM_POOL_SIZE: "3", K8S_HARNESS_IMAGE_CODEX: "codex-sandbox:dev" });
  database = await testDatabase();
}, 60_000);
afterAll(async () => {
  await database.close();
  await t.close();
});

describe("generic warm pool on the kubernetes provider (externalWarmPool)", () => {
  test("the provider advertises its own pool", () => {
    expect(t.lap.provider.externalWarmPool).toBe(t.lap.pools);
  });

  test("with no recent agent a top-up leaves the pool sized at start (WARM_POOL_SIZE on the default image)", async () => {
    await pool().topUp();
    expect(replicas()).toEqual({ "lap-opencode-sandbox-dev": 3 });
  });

  test("top-up sizes one warm pod per recent agent per harness image, creates no claims and keeps no rows; claim goes cold", async () => {
    await agentWithSession("agent_a", "opencode", 5);
    await agentWithSession("agent_b", "codex", 10);
    await agentWithSession("agent_c", "opencode", 20);
    await agentWithSession("agent_old", "codex", 60 * 48);
    const p = pool();
    await p.topUp();
    expect(replicas()).toEqual({ "lap-opencode-sandbox-dev": 2, "lap-codex-sandbox-dev": 1 });
    expect(t.fake.objects("sandboxclaims")).toHaveLength(0);
    expect(await database.query(`select id from sandboxes`)).toEqual([]);
    expect(await p.claim("agent_a", "v1", "ses_x")).toBeNull();
    expect(await p.recycle()).toBe(0);
  });

  test("targets are capped at WARM_POOL_SIZE across images; WARM_POOL_SIZE=0 in LAP scales every pool to 0", async () => {
    await pool(1).topUp();
    // size 1: only the most recent agent counts.
    expect(replicas()).toEqual({ "lap-opencode-sandbox-dev": 1, "lap-codex-sandbox-dev": 0 });
    await pool(0).topUp();
    expect(replicas()).toEqual({ "lap-opencode-sandbox-dev": 0, "lap-codex-sandbox-dev": 0 });
  });
});
