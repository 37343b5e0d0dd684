import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createApp } from "../../app";
import { loadConfig } from "../../config/load";
import type { Database } from "../../db/client";
import { createLogger } from "../../lib/logger";
import { testDatabase } from "../../../test/support/db";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";

let t: KubeTestEnv;
let database: Database;
let app: ReturnType<typeof createApp>["app"];
let bare: ReturnType<typeof createApp>["app"];
const KEY = "test-master-key-0123456789";

beforeAll(async () => {
  t = await kubeTestEnv({ WARM_POOL_SIZE: "1" }, { autoReadyMs: 10 });
  database = await testDatabase();
  const config = loadConfig(t.env);
  const logger = createLogger("silent");
  app = createApp({ config, database, logger, rawEnv: t.env, uiDist: join(t.env.LAP_DATA_DIR!, "no-ui"), kubernetes: t.lap }).app;
  bare = createApp({ config, database, logger, rawEnv: t.env, uiDist: join(t.env.LAP_DATA_DIR!, "no-ui") }).app;
}, 60_000);
afterAll(async () => {
  await t.close();
  await database.close();
});

const call = async (a: typeof app, method: string, path: string, body?: unknown, key: string | null = KEY) => {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await a.handle(
    new Request(`http://localhost${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
  );
  return { status: res.status, body: (await res.json()) as any };
};

describe("GET /api/sandboxes/kubernetes (dashboard data)", () => {
  test("needs an admin key", async () => {
    expect((await call(app, "GET", "/api/sandboxes/kubernetes", undefined, null)).status).toBe(401);
  });

  test("lists sandboxes with pod, node, phase and the warm pools' resources", async () => {
    await eventually(async () => (await t.lap.pools.status())[0]?.readyReplicas === 1);
    const h = await t.lap.provider.create({ harness: "opencode", env: {}, workspaceId: "ws-ui", labels: { session_id: "ses_ui" } });
    await t.lap.provider.waitReady(h.id, { timeoutMs: 3000 });
    await eventually(async () => (await t.lap.pools.status())[0]?.readyReplicas === 1);
    const { status, body } = await call(app, "GET", "/api/sandboxes/kubernetes");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      enabled: true,
      provider: "kubernetes",
      namespace: "default",
      api_server: t.fake.url,
      supervisor_access: "apiserver-proxy",
      sandbox_egress: "lap-only",
    });
    const row = body.sandboxes.find((s: any) => s.id === h.id);
    expect(row).toMatchObject({
      state: "ready",
      workspace_id: "ws-ui",
      session_id: "ses_ui",
      node: "kind-worker",
      phase: "Running",
      launch: "warm",
      error: null,
    });
    expect(row.pod).toBeString();
    expect(body.warm_pools).toHaveLength(1);
    expect(body.warm_pools[0]).toMatchObject({ image: "opencode-sandbox:dev", replicas: 1, ready_replicas: 1 });
    // Each warm pod's requests and limits, from the template LAP made for the pool.
    expect(body.warm_pools[0].resources).toEqual({ requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "2", memory: "4Gi" } });
    // Nothing secret leaves through this API: no supervisor token, no sealed annotation.
    expect(JSON.stringify(body)).not.toContain("v1.");
  });

  test("without the kubernetes provider it answers enabled: false", async () => {
    const { status, body } = await call(bare, "GET", "/api/sandboxes/kubernetes");
    expect(status).toBe(200);
    expect(body).toMatchObject({ enabled: false, sandboxes: [], warm_pools: [] });
  });
});

describe("POST /api/sandboxes/kubernetes/warm-pools/:name/scale", () => {
  test("bad replicas → 400 naming the field, pool unchanged; unknown pool → 404; valid → scaled", async () => {
    const pool = t.fake.objects("sandboxwarmpools")[0]!;
    const path = `/api/sandboxes/kubernetes/warm-pools/${pool.metadata.name}/scale`;
    const bad = await call(app, "POST", path, { replicas: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: any) => f.field)).toEqual(["replicas"]);
    const wrongType = await call(app, "POST", path, { replicas: "lots" });
    expect(wrongType.status).toBe(400);
    expect(t.fake.store.get("sandboxwarmpools", "default", pool.metadata.name)!.spec.replicas).toBe(1);
    expect((await call(app, "POST", "/api/sandboxes/kubernetes/warm-pools/nope/scale", { replicas: 1 })).status).toBe(404);
    expect((await call(bare, "POST", path, { replicas: 1 })).status).toBe(404);
    const ok = await call(app, "POST", path, { replicas: 3 });
    expect(ok).toEqual({ status: 200, body: { name: pool.metadata.name, replicas: 3 } });
    expect(t.fake.store.get("sandboxwarmpools", "default", pool.metadata.name)!.spec.replicas).toBe(3);
    // The one accepted scale is in the audit trail (server/audit/route-coverage.test.ts runs without a cluster).
    const audited = await database.query<{ action: string; object_id: string; actor_label: string; changes: unknown }>(
      "select action, object_id, actor_label, changes from audit_log where action = 'warm_pool.scale'",
    );
    expect(audited).toEqual([
      {
        action: "warm_pool.scale",
        object_id: pool.metadata.name,
        actor_label: "master key",
        changes: { replicas: { before: null, after: 3 } },
      },
    ]);
  });
});
