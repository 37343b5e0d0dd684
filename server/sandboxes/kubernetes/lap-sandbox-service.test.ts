/**
 * LAP itself (startLap) with LAP_SANDBOX=kubernetes against the fake cluster: the SandboxService uses
 * the kubernetes provider, reconciles the cluster at start (orphan claims go), and a sandbox goes
 * create → waitReady → bind → connect through it, with the fake supervisor standing for the pod's.
 * Database: PGlite, or a fresh PostgreSQL database with LAP_TEST_DB=postgres.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startLap, type RunningLap } from "../../main";
import { freshPostgresUrl, TEST_DB_DRIVER } from "../../../test/support/db";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";
import type { SandboxSpec } from "../provider";

const KEY = "test-master-key-0123456789";
let t: KubeTestEnv;
let lap: RunningLap;
let orphanId = "";
let drop: (() => Promise<void>) | undefined;

const spec = (workspaceId: string): SandboxSpec => ({
  harness: "opencode",
  env: { TZ: "UTC", VAULT_STUB_GITHUB: "stub-9" },
  workspaceId,
  labels: { agent_id: "agt_k8s" },
});
const claimOf = (id: string) => t.fake.store.get("sandboxclaims", "default", id);
const gone = (id: string) => !claimOf(id) || Boolean(claimOf(id)!.metadata.deletionTimestamp);

beforeAll(async () => {
  t = await kubeTestEnv();
  // A claim left by an earlier LAP run that no row in this database owns.
  orphanId = (await t.lap.provider.create(spec("ws_orphan"))).id;
  // Pods reach LAP at its Service, not at BASE_URL (a public address the sandbox NetworkPolicy blocks).
  const env: Record<string, string> = {
    ...t.env,
    LAP_SANDBOX: "kubernetes",
    PORT: "0",
    MASTER_KEY: KEY,
    K8S_LAP_URL: "http://lap.lap-sandboxes.svc.cluster.local:3000",
  };
  if (TEST_DB_DRIVER === "postgres") {
    const db = await freshPostgresUrl();
    drop = db.drop;
    env.DATABASE_URL = db.url;
  }
  lap = await startLap(env);
}, 60_000);

afterAll(async () => {
  await lap?.stop();
  await t.close();
  await drop?.();
});

describe("LAP with LAP_SANDBOX=kubernetes (startLap, fake cluster)", () => {
  test("the sandbox service's provider is the kubernetes one", () => {
    expect(lap.sandboxes.provider().name).toBe("kubernetes");
    expect(lap.sandboxes.provider().externalWarmPool).toBeDefined();
  });

  test("start reconciles the cluster: a claim no sandbox row owns is deleted", async () => {
    const r = (await lap.sandboxes.reconciled) as { kubernetes?: { deletedClaims: string[] } };
    expect(r.kubernetes?.deletedClaims).toContain(orphanId);
    await eventually(() => gone(orphanId));
  });

  test("create → waitReady → bind → connect through LAP's sandbox service; the dashboard lists it", async () => {
    const provider = lap.sandboxes.provider();
    const h = await provider.create(spec("ws_live"));
    expect(h).toMatchObject({ provider: "kubernetes", state: "provisioning", workspaceId: "ws_live" });
    const ready = provider.waitReady(h.id, { timeoutMs: 5000 });
    const pod = await eventually(() => t.podOf(h.id));
    await Bun.sleep(30);
    t.fake.drive(pod, "ready");
    expect((await ready).state).toBe("ready");

    await provider.bind(h.id, {
      sessionId: "ses_k8s",
      agentId: "agt_k8s",
      gatewayKey: "sk-session-k8s",
      gatewayBaseUrl: `${lap.url}/v1`,
      model: "m-1",
    });
    const sup = [...t.supervisors.values()].find((s) => s.podName === pod)!;
    expect(sup.binding).toMatchObject({
      sandboxId: h.id,
      sessionId: "ses_k8s",
      gatewayKey: "sk-session-k8s",
      harness: "opencode",
      workspaceId: "ws_live",
    });
    // The gateway URL LAP handed out, on the origin pods reach (K8S_LAP_URL); the same path.
    expect(sup.binding!.gatewayBaseUrl).toBe("http://lap.lap-sandboxes.svc.cluster.local:3000/v1");
    // The spec's env, plus the proxy settings of LAP's pod egress proxy with this sandbox's own credentials.
    const env = sup.binding!.env as Record<string, string>;
    expect(env.VAULT_STUB_GITHUB).toBe("stub-9");
    const proxy = new URL(env.HTTPS_PROXY!);
    expect([proxy.username, proxy.port]).toEqual([h.id, String(await lap.sandboxes.podEgressProxy().port())]);
    expect(
      lap.sandboxes
        .podEgressProxy()
        .authenticate(`Basic ${Buffer.from(`${h.id}:${decodeURIComponent(proxy.password)}`).toString("base64")}`)?.sandboxId,
    ).toBe(h.id);
    expect(env.NO_PROXY).toContain("127.0.0.1");
    expect(env.NO_PROXY).toContain("lap.lap-sandboxes.svc.cluster.local");
    expect(String(sup.binding!.egressCaPem)).toContain("BEGIN CERTIFICATE");
    expect(sup.binding!.supervisorToken.length).toBeGreaterThanOrEqual(16);

    const conn = await provider.connect(h.id);
    const who = await conn.fetch(`${conn.baseUrl}/v1/whoami`);
    expect(await who.json()).toEqual({
      pod,
      sessionId: "ses_k8s",
      envKeys: ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "VAULT_STUB_GITHUB", "http_proxy", "https_proxy", "no_proxy"],
    });

    const res = await fetch(`${lap.url}/api/sandboxes`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    const listed = ((await res.json()) as { data: Array<Record<string, unknown>> }).data.find((s) => s.id === h.id);
    expect(listed).toMatchObject({ id: h.id, provider: "kubernetes", state: "ready", workspace_id: "ws_live", agent_id: "agt_k8s" });

    // A sandbox a row owns survives the reconcile; one nobody owns does not.
    await lap.database.query(`insert into agents (id, name, model) values ('agt_k8s', 'agt_k8s', 'm')`);
    await lap.database.query(`insert into sessions (id, agent_id) values ('ses_k8s', 'agt_k8s')`);
    await lap.database.query(
      `insert into sandboxes (id, sandbox_id, provider, agent_id, session_id, workspace_id, spec_hash, status) values ('sbr_k8s_live', $1, 'kubernetes', 'agt_k8s', 'ses_k8s', 'ws_live', 'h', 'claimed')`,
      [h.id],
    );
    const stray = await provider.create(spec("ws_stray"));
    const r = await lap.sandboxes.reconcileAfterRestart();
    expect(r.kubernetes!.deletedClaims).toEqual([stray.id]);
    expect(r.kubernetes!.reattach.map((x) => x.id)).toEqual([h.id]);
    expect(r).toMatchObject({ dropped: 0, stopped: 0 });
    expect(gone(h.id)).toBe(false);

    // The admin API stops it (Suspended) and destroys it (claim deleted).
    const stop = await fetch(`${lap.url}/api/sandboxes/${h.id}/stop`, { method: "POST", headers: { authorization: `Bearer ${KEY}` } });
    expect(stop.status).toBe(200);
    expect((await provider.get(h.id))!.state).toBe("stopped");
    const del = await fetch(`${lap.url}/api/sandboxes/${h.id}`, { method: "DELETE", headers: { authorization: `Bearer ${KEY}` } });
    expect(del.status).toBe(200);
    await eventually(() => gone(h.id));
  }, 30_000);
});
