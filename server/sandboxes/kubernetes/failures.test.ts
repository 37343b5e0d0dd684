import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { settlesWithin } from "../../../test/support/gate";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";
import { SANDBOX_CLAIM } from "./resources";
import type { SandboxSpec } from "../provider";
import type { PodDrive } from "../../../test/support/fake-agent-sandbox-controller";

let t: KubeTestEnv;
beforeAll(async () => {
  t = await kubeTestEnv({ K8S_IMAGE_PULL_POLICY: "Never" });
}, 60_000);
afterAll(() => t.close());

const spec = (workspaceId: string): SandboxSpec => ({ harness: "opencode", env: {}, workspaceId });

/**
 * Creates a sandbox, waits for its pod, drives it into `to`, answers the waitReady outcome. "Fails at once"
 * is proved by a wait whose own timeout is minutes, inside a 15 s guard (test/support/gate.ts).
 */
async function failWith(to: PodDrive, timeoutMs = 3000) {
  const h = await t.lap.provider.create(spec(`ws-${to}`));
  const started = Date.now();
  const wait = t.lap.provider.waitReady(h.id, { timeoutMs }).then(
    () => null,
    (e) => e,
  );
  const pod = await eventually(() => t.podOf(h.id));
  await eventually(() => t.fake.store.get("pods", "default", pod));
  t.fake.drive(pod, to);
  const err = await wait;
  return { err, ms: Date.now() - started, id: h.id, pod };
}

describe("kubernetes readiness failures end the wait with the reason, never a session stuck in creating", () => {
  test("image pull back-off fails at once with the image and the pull-policy hint", async () => {
    // The wait's own timeout is 10 minutes: a wait that did not end at the back-off fails the 15 s guard.
    const { err, id } = await settlesWithin(failWith("image_pull", 600_000), "waitReady on an image pull back-off");
    expect(err).toMatchObject({ reason: "image_pull" });
    expect(err.message).toContain('image "opencode-sandbox:dev" cannot be pulled (ImagePullBackOff');
    expect(err.message).toContain("K8S_IMAGE_PULL_POLICY=Never");
    const h = await t.lap.provider.get(id);
    expect(h).toMatchObject({ state: "failed", error: expect.stringContaining("cannot be pulled") });
  }, 30_000);

  test("crash loop fails at once with restart count", async () => {
    const { err } = await settlesWithin(failWith("crash_loop", 600_000), "waitReady on a crash loop");
    expect(err).toMatchObject({ reason: "crash_loop" });
    expect(err.message).toMatch(/container "harness" keeps crashing: .*restarted 4 times \(CrashLoopBackOff/);
  }, 30_000);

  test("a failed pod fails at once", async () => {
    const { err } = await settlesWithin(failWith("failed", 600_000), "waitReady on a failed pod");
    expect(err).toMatchObject({ reason: "failed", message: expect.stringContaining("exit code 137, OOMKilled") });
  }, 30_000);

  test("unschedulable waits for the timeout (an autoscaler may add a node), then names the scheduler's message", async () => {
    const { err, ms } = await failWith("unschedulable", 400);
    expect(err).toMatchObject({ reason: "unschedulable" });
    expect(err.message).toContain("not ready after 0.4s: pod cannot be scheduled: 0/1 nodes are available: 1 Insufficient cpu");
    expect(ms).toBeGreaterThanOrEqual(390);
  });

  test("no status at all (controller missing) times out with a hint instead of hanging", async () => {
    t.fake.controller.paused = true;
    try {
      const h = await t.lap.provider.create(spec("ws-silent"));
      const err = await t.lap.provider.waitReady(h.id, { timeoutMs: 300 }).catch((e) => e);
      expect(err).toMatchObject({ reason: "timeout" });
      expect(err.message).toBe(
        `sandbox ${h.id} not ready after 0.3s (claim has no status yet: is the agent-sandbox controller running with --extensions?)`,
      );
    } finally {
      t.fake.controller.paused = false;
    }
  });

  test("a claim whose warm pool does not exist fails as unavailable", async () => {
    await t.lap.kube.create(SANDBOX_CLAIM, "default", {
      metadata: { name: "lap-nopool", labels: { "lap.dev/managed": "true", "lap.dev/instance": "lap" } },
      spec: { warmPoolRef: { name: "missing-pool" } },
    });
    const err = await t.lap.provider.waitReady("lap-nopool", { timeoutMs: 3000 }).catch((e) => e);
    expect(err).toMatchObject({ reason: "unavailable", message: expect.stringContaining('SandboxWarmPool "missing-pool" not found') });
  });

  test("deleting the claim while waiting ends the wait as not_found; an aborted wait ends as cancelled", async () => {
    const h = await t.lap.provider.create(spec("ws-del"));
    const wait = t.lap.provider.waitReady(h.id, { timeoutMs: 3000 }).catch((e) => e);
    await Bun.sleep(50);
    await t.lap.provider.destroy(h.id);
    expect(await wait).toMatchObject({ reason: "not_found" });

    const h2 = await t.lap.provider.create(spec("ws-abort"));
    const ac = new AbortController();
    const wait2 = t.lap.provider.waitReady(h2.id, { timeoutMs: 3000, signal: ac.signal }).catch((e) => e);
    await Bun.sleep(30);
    ac.abort();
    expect(await wait2).toMatchObject({ reason: "failed", message: expect.stringContaining("cancelled") });
    // The waits closed their watches.
    await eventually(() => t.fake.activeWatches() <= 1);
  });
});

describe("the Kubernetes API itself failing", () => {
  test("RBAC forbidding claims → create fails as unavailable with the API server's message; nothing is created", async () => {
    const before = t.fake.objects("sandboxclaims").length;
    t.fake.forbid.add("create sandboxclaims");
    try {
      const err = await t.lap.provider.create(spec("ws-forbidden")).catch((e) => e);
      expect(err).toMatchObject({ reason: "unavailable" });
      expect(err.message).toContain("403 Forbidden");
      expect(err.message).toContain('cannot create resource "sandboxclaims"');
    } finally {
      t.fake.forbid.clear();
    }
    expect(t.fake.objects("sandboxclaims").length).toBe(before);
  });

  test("RBAC forbidding the claim watch or the pod list → waitReady fails as unavailable, does not hang", async () => {
    const h = await t.lap.provider.create(spec("ws-nowatch"));
    t.fake.forbid.add("watch sandboxclaims");
    try {
      const err = await t.lap.provider.waitReady(h.id, { timeoutMs: 3000 }).catch((e) => e);
      // (Read the message first: bun's toMatchObject with an asymmetric matcher overwrites it on Error objects.)
      const message = String(err.message);
      expect(err.reason).toBe("unavailable");
      expect(message).toContain(`watching sandbox ${h.id} failed`);
      expect(message).toContain("cannot watch resource");
      t.fake.forbid.clear();
      t.fake.forbid.add("list pods");
      const err2 = await t.lap.provider.waitReady(h.id, { timeoutMs: 3000 }).catch((e) => e);
      expect(err2).toMatchObject({ reason: "unavailable", message: expect.stringContaining("403 Forbidden") });
      expect(
        await t.lap.provider
          .bind(h.id, { sessionId: "s", agentId: "a", gatewayKey: "k", gatewayBaseUrl: "http://lap", model: "m" })
          .catch((e) => e.reason),
      ).toBe("unavailable");
    } finally {
      t.fake.forbid.clear();
      await t.lap.provider.destroy(h.id);
    }
  });

  test("API server unreachable → create fails as unavailable naming the server", async () => {
    const { KubeClient } = await import("./client");
    const { KubernetesSandboxProvider } = await import("./provider");
    const dead = new KubeClient({ server: "https://127.0.0.1:1", tls: {}, headers: async () => ({}) });
    const p = new KubernetesSandboxProvider({
      ...(t.lap.provider as any).deps,
      kube: dead,
      pools: {
        imageFor: () => "x",
        ensure: () => dead.list({ group: "", version: "v1", plural: "pods", kind: "Pod" }, "default").then(() => "p"),
      },
    });
    const err = await p.create(spec("ws-dead")).catch((e) => e);
    expect(err).toMatchObject({ reason: "unavailable", message: expect.stringContaining("Kubernetes API at https://127.0.0.1:1 refused") });
  });
});
