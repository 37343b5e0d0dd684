import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLap } from "../../main";
import { freshPostgresUrl, TEST_DB_DRIVER } from "../../../test/support/db";
import { startFakeKubeApiServer, type FakeKubeApiServer } from "../../../test/support/fake-kube-apiserver";
import { TEST_ENCRYPTION_KEY } from "../../../test/support/kube-env";

const KEY = "test-master-key-0123456789";
let fake: FakeKubeApiServer;
const drops: Array<() => Promise<void>> = [];

async function env(extra: Record<string, string>) {
  const base: Record<string, string> = {
    PORT: "0",
    LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-k8s-start-")),
    MASTER_KEY: KEY,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: "silent",
    ...extra,
  };
  if (TEST_DB_DRIVER === "postgres") {
    const db = await freshPostgresUrl();
    drops.push(db.drop);
    base.DATABASE_URL = db.url;
  }
  return base;
}

beforeAll(async () => {
  fake = await startFakeKubeApiServer();
}, 60_000);
afterAll(async () => {
  await fake.close();
  for (const d of drops) await d();
});

describe("startLap with LAP_SANDBOX=kubernetes", () => {
  test("a kubeconfig that does not work stops the start with a message that says what to check", async () => {
    const err = await startLap(
      await env({ LAP_SANDBOX: "kubernetes", K8S_EGRESS_PROXY_PORT: "0", K8S_KUBECONFIG: "/nonexistent/kubeconfig" }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toStartWith("LAP_SANDBOX=kubernetes: the cluster is not usable:");
    expect(err.message).toContain("K8S_KUBECONFIG");
  }, 60_000);

  test("with the fake cluster: templates and pool exist at start, and the API reports the provider", async () => {
    const lap = await startLap(
      await env({
        LAP_SANDBOX: "kubernetes",
        K8S_EGRESS_PROXY_PORT: "0",
        K8S_KUBECONFIG: fake.kubeconfigPath,
        WARM_POOL_SIZE: "1",
        K8S_IMAGE_PULL_POLICY: "IfNotPresent",
      }),
    );
    try {
      expect(fake.objects("sandboxtemplates")).toHaveLength(1);
      expect(fake.objects("sandboxwarmpools")[0]!.spec.replicas).toBe(1);
      const res = await fetch(`${lap.url}/api/sandboxes/kubernetes`, { headers: { authorization: `Bearer ${KEY}` } });
      const body = (await res.json()) as any;
      expect(body).toMatchObject({ enabled: true, provider: "kubernetes", api_server: fake.url, supervisor_access: "apiserver-proxy" });
      expect(body.warm_pools[0].replicas).toBe(1);
    } finally {
      await lap.stop();
    }
  }, 60_000);
});
