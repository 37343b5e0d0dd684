import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { BUN, ownLapAddress, ROOT, startOwnLap } from "./own-lap";
import { MASTER_KEY, shot, navTo } from "./support";

// The Kubernetes page against a real LAP process started with LAP_SANDBOX=kubernetes and a kubeconfig
// for the fake API server (TLS, client certificate), which runs as its own Bun process. That process
// also plays a second LAP replica and starts two sandboxes: one ready, one whose image cannot be pulled.
let BASE = "";
const ENV = {
  ENCRYPTION_KEY: Buffer.alloc(32, 9).toString("base64"),
  MASTER_KEY,
  WARM_POOL_SIZE: "2",
  K8S_IMAGE_PULL_POLICY: "IfNotPresent",
  K8S_HARNESS_IMAGE_CODEX: "registry.invalid/codex:missing",
  K8S_SUPERVISOR_ACCESS: "apiserver-proxy",
};
const children: ChildProcess[] = [];

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const address = await ownLapAddress("k8s");
  BASE = address.base;
  const cluster = spawn(BUN, ["test/support/fake-kube-cluster.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...ENV,
      SEED_SANDBOXES: "1",
      // Pods run the real supervisor, so a session's workspace (its Files tab) is real.
      REAL_SUPERVISORS: "1",
      SEED_AFTER_URL: `${BASE}/health/readiness`,
      LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-e2e-k8s-seed-")),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(cluster);
  const lines = createInterface({ input: cluster.stdout! });
  const seeded = new Promise<void>((resolve, reject) => {
    lines.on("line", (l) => l.includes('"seeded"') && resolve());
    cluster.once("exit", (code) => reject(new Error(`fake cluster exited ${code}`)));
  });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    cluster.once("exit", (code) => reject(new Error(`fake cluster exited ${code}`)));
  });
  const { kubeconfig } = JSON.parse(first) as { kubeconfig: string };
  const lap = await startOwnLap(
    address,
    { ...ENV, LAP_SANDBOX: "kubernetes", K8S_EGRESS_PROXY_PORT: "0", K8S_KUBECONFIG: kubeconfig },
    { readyTimeoutMs: 150_000 },
  );
  children.push(lap.process);
  await seeded;
});

test.afterAll(() => {
  for (const c of children.reverse()) c.kill("SIGTERM");
});

test("Kubernetes page: provider, pods, nodes, phases, warm pools; scale a pool", async ({ page }) => {
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Master key or admin API key").fill(MASTER_KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("get-started")).toBeVisible();
  await navTo(page, /Kubernetes/);
  await expect(page.getByRole("heading", { name: "Kubernetes", exact: true })).toBeVisible();

  await expect(page.getByTestId("k8s-provider")).toHaveText("kubernetes");
  await expect(page.getByTestId("k8s-namespace")).toHaveText("default");
  const rows = page.getByTestId("k8s-sandbox-row");
  await expect(rows).toHaveCount(2);
  const ready = rows.filter({ hasText: "ws-demo-ready" });
  await expect(ready).toContainText("ready");
  await expect(ready).toContainText("kind-worker");
  await expect(ready).toContainText("Running");
  await expect(ready).toContainText("warm");
  await expect(ready.getByTestId("k8s-sandbox-session")).toHaveText("sess-demo");
  await expect(page.getByTestId("k8s-egress")).toHaveText("lap-only");
  await expect(page.getByTestId("k8s-sandbox-error")).toContainText('image "registry.invalid/codex:missing" cannot be pulled');

  const pool = page.getByTestId("k8s-pool-row").filter({ hasText: "opencode-sandbox:dev" });
  await expect(pool.getByTestId("k8s-pool-ready")).toHaveText("2/2");
  // What each warm pod reserves and may use (the template's requests → limits).
  await expect(pool.getByTestId("k8s-pool-resources")).toHaveText("100m / 512Mi → 2 / 4Gi");
  await shot(page, "kubernetes");

  // A wrong number is refused with the field's message, and the pool keeps its size.
  await pool.getByLabel(/Replicas of/).fill("-1");
  await pool.getByRole("button", { name: "Set" }).click();
  await expect(pool.getByRole("alert")).toContainText("replicas must be 0 or more");
  await expect(pool.getByTestId("k8s-pool-ready")).toHaveText("2/2");

  await pool.getByLabel(/Replicas of/).fill("3");
  await pool.getByRole("button", { name: "Set" }).click();
  await expect(pool.getByTestId("k8s-pool-ready")).toHaveText("3/3", { timeout: 10_000 });
  await shot(page, "kubernetes-scaled");
});

test("a kubernetes session's Files tab: the agent's file is in the pod's workspace and opens", async ({ page }) => {
  test.setTimeout(90_000);
  const uid = Math.random().toString(36).slice(2, 8);
  const auth = { authorization: `Bearer ${MASTER_KEY}` };
  // A model the gateway knows (never called: nothing here sends a turn).
  const model = `k8s-files-model-${uid}`;
  const added = await page.request.post(`${BASE}/model/new`, {
    headers: auth,
    data: { model_name: model, litellm_params: { model: `openai/${model}`, api_base: "http://127.0.0.1:9", api_key: "sk-unused" } },
  });
  expect(added.status()).toBe(200);
  const agent = await page.request.post(`${BASE}/api/agents`, {
    headers: auth,
    data: { name: `k8s-files-${uid}`, model, runtime_id: "rt_local_sandbox", harness: "builtin" },
  });
  expect(agent.status()).toBe(201);
  const agentId = (await agent.json()).id as string;
  const upload = await page.request.post(`${BASE}/api/agents/${agentId}/files`, {
    headers: auth,
    data: { files: [{ path: "docs/brief.md", content_base64: Buffer.from("Shipped from a pod.\n").toString("base64") }] },
  });
  expect(upload.status()).toBe(201);
  const session = await page.request.post(`${BASE}/api/sessions`, { headers: auth, data: { agent_id: agentId } });
  expect(session.status()).toBe(201);
  const sessionId = (await session.json()).id as string;
  await expect
    .poll(async () => (await (await page.request.get(`${BASE}/api/sessions/${sessionId}`, { headers: auth })).json()).status, {
      timeout: 60_000,
    })
    .toBe("idle");

  await page.goto(`${BASE}/login`);
  await page.getByLabel("Master key or admin API key").fill(MASTER_KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("get-started")).toBeVisible();
  await page.goto(`${BASE}/sessions/${sessionId}`);
  await page.getByRole("button", { name: "Files", exact: true }).click();
  const panel = page.getByTestId("workspace-files");
  await expect(panel.getByTestId("workspace-entry")).toHaveText([/^docs\/$/, /brief\.md/]);
  const href = await panel.getByRole("link", { name: "brief.md" }).getAttribute("href");
  const file = await page.request.get(new URL(href!, BASE).href);
  expect(file.status()).toBe(200);
  expect(await file.text()).toBe("Shipped from a pod.\n");
  await shot(page, "kubernetes-session-files");
});
