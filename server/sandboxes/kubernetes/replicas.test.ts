/**
 * Two LAP replicas on one database and one (fake) cluster: two SandboxServices, each with its own
 * kubernetes provider, watch and pool client, sharing the database (PGlite, or PostgreSQL with
 * LAP_TEST_DB=postgres, where the two replicas' transactions run on different connections).
 * Covers acquisition races for one session, 409 AlreadyExists on a claim, the reconcile lock (the
 * advisory lock on PostgreSQL; on PGlite, which only one process can open, the in-process guard), and
 * the periodic reconcile removing claims of sessions that ended while LAP kept running.
 */
import { agentsForSandboxes } from "../../agents/for-sandboxes";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../config/load";
import type { Database } from "../../db/client";
import { createLogger } from "../../lib/logger";
import { testDatabase } from "../../../test/support/db";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";
import type { AgentDefinition } from "../../runtimes/adapter";
import type { KubernetesSandboxes } from ".";
import type { ReconcileResult } from "./reconciler";
import { SandboxService } from "../service";
import { sandboxConfigFrom } from "../settings";
import { sessionsForSandboxes } from "../../sessions/for-sandboxes";

let t: KubeTestEnv;
let database: Database;
let a: SandboxService;
let b: SandboxService;
let lapB: KubernetesSandboxes;

const agent: AgentDefinition = {
  id: "agt_rep",
  name: "rep",
  description: "",
  model: "m",
  systemPrompt: "",
  tools: [],
  mcpServers: [],
  environment: {},
  repoUrl: null,
  repoBranch: null,
  approvalRequiredTools: [],
};
const claimNames = () => t.fake.store.list("sandboxclaims", "default").map((c) => c.metadata.name as string);
const adapterOf = (svc: SandboxService) =>
  svc.adapter({
    gatewayBaseUrl: "http://127.0.0.1:9/v1",
    mintSessionKey: async ({ sessionId }) => `sk-${sessionId}`,
    history: async () => [],
  });
const service = (kubernetes: KubernetesSandboxes) =>
  new SandboxService({
    ...sandboxConfigFrom(loadConfig({ ...t.env, LAP_SANDBOX: "kubernetes", K8S_RECONCILE_INTERVAL_SECONDS: "1" }), t.env),
    database,
    sessions: sessionsForSandboxes(database),
    agents: agentsForSandboxes(database),
    logger: createLogger("silent"),
    lapUpstream: () => ({ host: "127.0.0.1", port: 9 }),
    kubernetes,
  });
async function session(id: string, status = "idle") {
  await database.query(`insert into sessions (id, agent_id, status) values ($1, 'agt_rep', $2)`, [id, status]);
}

beforeAll(async () => {
  t = await kubeTestEnv({}, { autoReadyMs: 20 });
  lapB = await t.restart();
  database = await testDatabase();
  await database.query(`insert into agents (id, name, model, harness) values ('agt_rep', 'rep', 'm', 'opencode')`);
  a = service(t.lap);
  b = service(lapB);
}, 60_000);

afterAll(async () => {
  await a?.shutdown();
  await b?.shutdown();
  await t?.close();
  await database?.close();
});

describe("two LAP replicas on one database", () => {
  test("both acquire a sandbox for the same session at once: one claim, one row, both serve it", async () => {
    await session("ses_race");
    const input = {
      ref: { remoteAgentId: agent.id, remoteEnvironmentId: null, signature: "s" },
      agent,
      localSessionId: "ses_race",
      title: "",
    };
    const [ra, rb] = await Promise.all([adapterOf(a).startSession(input), adapterOf(b).startSession(input)]);
    expect([ra, rb]).toEqual(["ses_race", "ses_race"]);
    const rows = await database.query<{ sandbox_id: string; status: string; host: string | null }>(
      `select sandbox_id, status, host from sandboxes where session_id = 'ses_race'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe("claimed");
    // Pods are reachable from every replica: kubernetes rows belong to no host.
    expect(rows[0]!.host).toBeNull();
    const mine = t.fake.store
      .list("sandboxclaims", "default")
      .filter((c) => JSON.parse(c.metadata.annotations["lap.dev/labels"] ?? "{}").session_id === "ses_race");
    expect(mine.map((c) => c.metadata.name)).toEqual([rows[0]!.sandbox_id]);
    const pod = t.podOf(rows[0]!.sandbox_id);
    const sup = [...t.supervisors.values()].find((s) => s.podName === pod)!;
    expect(sup.binding!.sessionId).toBe("ses_race");
  }, 30_000);

  test("a claim create answered 409 AlreadyExists uses the existing claim when it is for the same workspace, and fails otherwise", async () => {
    const spec = { harness: "opencode", env: {}, workspaceId: "ws_same", name: "lap-0123456789abcdef" };
    const before = t.fake.requests.length;
    const [x, y] = await Promise.all([t.lap.provider.create(spec), lapB.provider.create(spec)]);
    expect(x.id).toBe("lap-0123456789abcdef");
    expect(y.id).toBe(x.id);
    expect(claimNames().filter((n) => n === x.id)).toHaveLength(1);
    expect(
      t.fake.requests.slice(before).filter((r) => r.startsWith("POST") && r.includes("/sandboxclaims") && r.endsWith(" 409")),
    ).toHaveLength(1);
    await expect(lapB.provider.create({ ...spec, workspaceId: "ws_other" })).rejects.toMatchObject({
      reason: "failed",
      message: expect.stringContaining("409"),
    });
    await t.lap.provider.destroy(x.id);
  });

  test("both reconcile at once: each orphan is deleted exactly once and neither replica fails", async () => {
    await session("ses_gone", "stopped");
    const orphans = [
      (await t.lap.provider.create({ harness: "opencode", env: {}, workspaceId: "ws_o1", labels: { session_id: "ses_unknown" } })).id,
      (await lapB.provider.create({ harness: "opencode", env: {}, workspaceId: "ws_o2", labels: { session_id: "ses_gone" } })).id,
      (await lapB.provider.create({ harness: "opencode", env: {}, workspaceId: "ws_o3" })).id,
    ];
    // ses_gone ended but its row was never updated (the replica serving it died first).
    await database.query(
      `insert into sandboxes (id, sandbox_id, provider, agent_id, session_id, workspace_id, spec_hash, status) values ('sbr_gone', $1, 'kubernetes', 'agt_rep', 'ses_gone', 'ws_o2', 'h', 'claimed')`,
      [orphans[1]],
    );
    const results = await Promise.all([a.reconcileCluster(), b.reconcileCluster(), a.reconcileCluster()]);
    const done = results.filter((r): r is ReconcileResult => r !== null && r !== "skipped");
    expect(done.length).toBeGreaterThanOrEqual(1);
    const deleted = done.flatMap((r) => r.deletedClaims);
    expect(deleted.sort()).toEqual([...orphans].sort());
    await eventually(() => orphans.every((id) => !claimNames().includes(id)));
    // The race winner's sandbox belongs to a live session: kept by every pass.
    const [live] = await database.query<{ sandbox_id: string }>(`select sandbox_id from sandboxes where session_id = 'ses_race'`);
    expect(claimNames()).toContain(live!.sandbox_id);
  }, 30_000);

  test("the periodic reconcile (K8S_RECONCILE_INTERVAL_SECONDS) removes a claim once its session ends, without a restart", async () => {
    const [live] = await database.query<{ sandbox_id: string }>(`select sandbox_id from sandboxes where session_id = 'ses_race'`);
    a.start();
    b.start();
    await a.reconciled;
    await b.reconciled;
    await Bun.sleep(1300);
    expect(claimNames()).toContain(live!.sandbox_id);
    await database.query(`update sessions set status = 'stopped' where id = 'ses_race'`);
    await eventually(() => !claimNames().includes(live!.sandbox_id), 5000);
    expect(
      t.fake.requests.filter((r) =>
        r.startsWith(`DELETE /apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxclaims/${live!.sandbox_id}`),
      ),
    ).toHaveLength(1);
  }, 30_000);
});
