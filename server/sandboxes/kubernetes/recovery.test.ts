import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";
import type { SandboxHandle } from "../provider";
import { reconcileKubernetes } from "./reconciler";

let t: KubeTestEnv;
beforeAll(async () => {
  t = await kubeTestEnv({}, { autoReadyMs: 20 });
}, 60_000);
afterAll(() => t.close());

const bindingFor = (sessionId: string) => ({
  sessionId,
  agentId: "a1",
  gatewayKey: `sk-${sessionId}`,
  gatewayBaseUrl: "http://lap:3000",
  model: "m",
});

async function readySandbox(workspaceId: string, sessionId: string, lap = t.lap) {
  const h = await lap.provider.create({ harness: "opencode", env: {}, workspaceId, labels: { session: sessionId } });
  const r = await lap.provider.waitReady(h.id, { timeoutMs: 3000 });
  await lap.provider.bind(h.id, bindingFor(sessionId));
  return r;
}

describe("pod loss and LAP restarts", () => {
  test("pod deleted with a grace period: reported lost once; waitReady skips the terminating pod and returns its replacement", async () => {
    const r = await readySandbox("ws-a", "sess-a");
    const oldPod = t.fake.store.get("pods", "default", r.info.pod as string)!;
    t.fake.controller.opts.autoReadyMs = undefined; // the test drives the replacement
    try {
      t.fake.deletePod(oldPod.metadata.name, 20); // terminating for 100 ms in the fake
      const lost = await eventually(() => t.lost.find((l) => l.id === r.id));
      expect(lost).toMatchObject({ pod: oldPod.metadata.name, reason: "pod terminating" });
      expect(lost.handle.state).not.toBe("ready");
      expect(lost.handle.info.workspace).toBe("emptyDir"); // recovery must re-clone and replay
      const waiting = t.lap.provider.waitReady(r.id, { timeoutMs: 3000 });
      // While the old pod terminates it still has a stale Ready condition: it must not be adopted.
      await Bun.sleep(40);
      const replacement = await eventually(() => {
        const p = t.fake.store.get("pods", "default", oldPod.metadata.name);
        return p && p.metadata.uid !== oldPod.metadata.uid ? p : null;
      });
      t.fake.drive(replacement.metadata.name, "ready");
      const back = await waiting;
      expect(back.state).toBe("ready");
      // The new pod's supervisor starts unbound: recovery binds again.
      await t.lap.provider.bind(r.id, bindingFor("sess-a"));
      expect(t.supervisors.get(replacement.metadata.uid)!.binding!.sessionId).toBe("sess-a");
      expect(t.lost.filter((l) => l.id === r.id)).toHaveLength(1);
      await t.lap.provider.destroy(r.id);
    } finally {
      t.fake.controller.opts.autoReadyMs = 20;
    }
  });

  test("a serving pod that starts crash-looping is reported lost with the reason", async () => {
    const r = await readySandbox("ws-crash", "sess-crash");
    t.fake.drive(r.info.pod as string, "crash_loop");
    const lost = await eventually(() => t.lost.find((l) => l.id === r.id));
    expect(lost.reason).toContain("keeps crashing");
    expect(lost.handle).toMatchObject({ state: "failed", error: expect.stringContaining("CrashLoopBackOff") });
    // The kubelet restarts the container; once it serves again the same pod is ready (it was never gone).
    const uid = t.fake.store.get("pods", "default", r.info.pod as string)!.metadata.uid;
    t.fake.drive(r.info.pod as string, "ready");
    const back = await t.lap.provider.waitReady(r.id, { timeoutMs: 3000 });
    expect(t.fake.store.get("pods", "default", back.info.pod as string)!.metadata.uid).toBe(uid);
    await t.lap.provider.destroy(r.id);
  });

  test("a pod deleted while the monitor's watch history was compacted is still reported after the relist", async () => {
    const r = await readySandbox("ws-gap", "sess-gap");
    await Bun.sleep(50);
    t.fake.controller.paused = true; // no replacement pod, so only the relist can tell
    try {
      t.fake.compact();
      t.fake.store.finalize("pods", "default", r.info.pod as string);
      const lost = await eventually(() => t.lost.find((l) => l.id === r.id));
      expect(lost.reason).toBe("pod deleted");
    } finally {
      t.fake.controller.paused = false;
      await t.lap.provider.destroy(r.id);
    }
  });

  test("a stopped or destroyed sandbox is not reported as lost", async () => {
    const r = await readySandbox("ws-b", "sess-b");
    await t.lap.provider.stop(r.id);
    await eventually(() => !t.fake.store.get("pods", "default", r.info.pod as string));
    await t.lap.provider.destroy(r.id);
    await Bun.sleep(100);
    expect(t.lost.filter((l) => l.id === r.id)).toEqual([]);
  });

  test("watch history compacted (410 Gone) while waiting: the wait relists and still sees the pod become ready", async () => {
    t.fake.controller.opts.autoReadyMs = undefined;
    const h = await t.lap.provider.create({ harness: "opencode", env: {}, workspaceId: "ws-410" });
    try {
      const waiting = t.lap.provider.waitReady(h.id, { timeoutMs: 4000 });
      const pod = await eventually(() => t.podOf(h.id));
      await eventually(() => t.fake.store.get("pods", "default", pod));
      // The pod monitor's watch plus this wait's two (claim, pods) are open: now the history goes away.
      await eventually(() => t.fake.activeWatches() >= 3);
      const lists = () =>
        t.fake.requests.filter(
          (r) =>
            (r.includes(`fieldSelector=metadata.name%3D${h.id}`) || r.includes(`labelSelector=lap.dev%2Fsandbox-id%3D${h.id}`)) &&
            !r.includes("watch=1"),
        ).length;
      const before = lists();
      t.fake.compact();
      t.fake.drive(pod, "ready");
      expect((await waiting).state).toBe("ready");
      expect(lists()).toBeGreaterThan(before);
    } finally {
      t.fake.controller.opts.autoReadyMs = 20;
      await t.lap.provider.destroy(h.id);
    }
  });

  test("after a restart the reconciler deletes orphans, re-attaches live sandboxes without a new bind, and never offers a terminating pod", async () => {
    const keep = await readySandbox("ws-keep", "sess-keep");
    const orphan = await readySandbox("ws-orphan", "sess-orphan");
    const dying = await readySandbox("ws-dying", "sess-dying");
    // LAP goes away; a pod is being deleted (long grace) when the new LAP process starts.
    await t.lap.close();
    t.fake.deletePod(dying.info.pod as string, 100_000);
    const lap2 = await t.restart();
    const owned = new Set(["sess-keep", "sess-dying"]);
    const result = await lap2.reconcile((h: SandboxHandle) => owned.has(h.labels.session!));
    expect(result.deletedClaims).toEqual([orphan.id]);
    expect(result.reattach.map((h) => h.id)).toEqual([keep.id]);
    expect(result.recovering.map((h) => [h.id, h.info.phase])).toEqual([[dying.id, "Terminating"]]);
    await eventually(() => !t.fake.store.get("sandboxes", "default", orphan.info.sandbox as string));
    // The new process reaches the still-bound supervisor with the token sealed in the claim.
    const conn = await lap2.provider.connect(keep.id);
    const who = await (await conn.fetch(`${conn.baseUrl}/v1/whoami`)).json();
    expect(who.sessionId).toBe("sess-keep");
    // The terminating pod is not served to anyone.
    await expect(lap2.provider.connect(dying.id)).rejects.toMatchObject({ reason: "unavailable" });
    // Reconciling again changes nothing.
    const again = await lap2.reconcile((h: SandboxHandle) => owned.has(h.labels.session!));
    expect(again.deletedClaims).toEqual([]);
  });

  test("the reconciler removes a cold sandbox whose claim vanished and pools of an older configuration", async () => {
    const lap = await t.restart();
    const stalePool = "lap-old-image-deadbeef";
    await lap.kube.create(
      { group: "extensions.agents.x-k8s.io", version: "v1beta1", plural: "sandboxtemplates", kind: "SandboxTemplate" },
      "default",
      {
        metadata: { name: stalePool, labels: { "lap.dev/managed": "true", "lap.dev/instance": "lap" } },
        spec: { podTemplate: { spec: { containers: [{ name: "harness", image: "old:1" }] } } },
      },
    );
    await lap.kube.create(
      { group: "extensions.agents.x-k8s.io", version: "v1beta1", plural: "sandboxwarmpools", kind: "SandboxWarmPool" },
      "default",
      {
        metadata: { name: stalePool, labels: { "lap.dev/managed": "true", "lap.dev/instance": "lap" } },
        spec: { replicas: 0, sandboxTemplateRef: { name: stalePool } },
      },
    );
    // A pool of another LAP installation sharing the namespace is not ours to remove.
    await lap.kube.create(
      { group: "extensions.agents.x-k8s.io", version: "v1beta1", plural: "sandboxwarmpools", kind: "SandboxWarmPool" },
      "default",
      {
        metadata: { name: "lap-other-install", labels: { "lap.dev/managed": "true", "lap.dev/instance": "staging" } },
        spec: { replicas: 0, sandboxTemplateRef: { name: "x" } },
      },
    );
    await lap.kube.create({ group: "agents.x-k8s.io", version: "v1beta1", plural: "sandboxes", kind: "Sandbox" }, "default", {
      metadata: {
        name: "lap-ghost",
        labels: { "lap.dev/instance": "lap" },
        ownerReferences: [
          { apiVersion: "extensions.agents.x-k8s.io/v1beta1", kind: "SandboxClaim", name: "lap-gone", uid: "00000000-dead" },
        ],
      },
      spec: { podTemplate: { spec: { containers: [{ name: "harness", image: "x" }] } } },
    });
    const result = await lap.reconcile(() => true);
    expect(result.deletedSandboxes).toEqual(["lap-ghost"]);
    expect(result.removedPools).toEqual([stalePool]);
    expect(t.fake.store.get("sandboxtemplates", "default", stalePool)).toBeUndefined();
    expect(t.fake.store.get("sandboxwarmpools", "default", "lap-other-install")).toBeDefined();
  });

  test("a session's claim and sandbox made while the reconciler is between its lists are not taken for orphans", async () => {
    const lap = await t.restart();
    const kinds = {
      claim: { group: "extensions.agents.x-k8s.io", version: "v1beta1", plural: "sandboxclaims", kind: "SandboxClaim" },
      sandbox: { group: "agents.x-k8s.io", version: "v1beta1", plural: "sandboxes", kind: "Sandbox" },
    };
    // The race, made certain: right after the reconciler's first list of sandboxes or claims (after it
    // has read the provider's handles), a session creates its claim and then its cold sandbox.
    let phase = false;
    let made = false;
    const provider = Object.create(lap.provider) as typeof lap.provider;
    provider.list = async () => {
      const handles = await lap.provider.list();
      phase = true;
      return handles;
    };
    const kube = Object.create(lap.kube) as typeof lap.kube;
    kube.list = (async (k: { plural: string }, ns: string, sel?: Record<string, string>) => {
      const listed = await lap.kube.list(k as never, ns, sel);
      if (phase && !made && (k.plural === "sandboxes" || k.plural === "sandboxclaims")) {
        made = true;
        const claim = await lap.kube.create(kinds.claim, "default", {
          metadata: { name: "lap-racing", labels: { "lap.dev/managed": "true", "lap.dev/instance": "lap" } },
          spec: { warmPoolRef: { name: "none" } },
        });
        await lap.kube.create(kinds.sandbox, "default", {
          metadata: {
            name: "lap-racing",
            labels: { "lap.dev/instance": "lap" },
            ownerReferences: [
              { apiVersion: "extensions.agents.x-k8s.io/v1beta1", kind: "SandboxClaim", name: "lap-racing", uid: claim.metadata.uid! },
            ],
          },
          spec: { podTemplate: { spec: { containers: [{ name: "harness", image: "x" }] } } },
        });
      }
      return listed;
    }) as typeof kube.list;
    const result = await reconcileKubernetes({
      kube,
      namespace: "default",
      instance: "lap",
      provider,
      pools: lap.pools,
      isOwned: () => true,
      warmTtlMs: 3_600_000,
    });
    expect(made).toBe(true);
    expect(result.deletedSandboxes).toEqual([]);
    expect(t.fake.store.get("sandboxes", "default", "lap-racing")).toBeDefined();
  });
});
