import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";

let t: KubeTestEnv;
beforeAll(async () => {
  t = await kubeTestEnv({ WARM_POOL_SIZE: "3", K8S_HARNESS_IMAGE_CODEX: "registry.example/codex-sandbox:1.2" }, { autoReadyMs: 20 });
}, 60_000);
afterAll(() => t.close());

const binding = { sessionId: "s-warm", agentId: "a1", gatewayKey: "sk-x", gatewayBaseUrl: "http://lap:3000", model: "m" };
const warmMembers = (pool: string) =>
  t.fake.objects("sandboxes").filter((s) => s.metadata.labels?.["agents.x-k8s.io/warm-pool-sandbox"] === pool);
const ready = (s: any) => s.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");

describe("warm pools: LAP's WARM_POOL_* settings mapped onto SandboxWarmPool", () => {
  test("a claim adopts a ready warm sandbox, binds late, and the pool refills", async () => {
    const [pool] = t.fake.objects("sandboxwarmpools");
    expect(pool!.spec.replicas).toBe(3);
    await eventually(() => warmMembers(pool!.metadata.name).filter(ready).length === 3);
    const warmNames = warmMembers(pool!.metadata.name).map((s) => s.metadata.name);

    const podsBefore = t.fake.objects("pods").map((p) => p.metadata.name);
    const h = await t.lap.provider.create({ harness: "opencode", env: {}, workspaceId: "w" });
    const r = await t.lap.provider.waitReady(h.id, { timeoutMs: 3000 });
    expect(r.info.launch).toBe("warm");
    expect(warmNames).toContain(r.info.sandbox as string);
    // Served by a pod that was already running, not one started for this claim.
    expect(podsBefore).toContain(r.info.pod as string);
    // The adopted pod now carries the claim's labels (additionalPodMetadata) and was never restarted for it.
    const pod = t.fake.store.get("pods", "default", r.info.pod as string)!;
    expect(pod.metadata.labels["lap.dev/sandbox-id"]).toBe(h.id);
    await t.lap.provider.bind(h.id, binding);
    expect([...t.supervisors.values()].find((s) => s.podName === pod.metadata.name)!.binding!.sessionId).toBe("s-warm");
    await eventually(() => warmMembers(pool!.metadata.name).filter(ready).length === 3);
    await t.lap.provider.destroy(h.id);
  });

  test("setTargets sizes a pool per harness image, capped at WARM_POOL_SIZE in total; unlisted pools go to 0", async () => {
    const sizes = await t.lap.pools.setTargets([
      { harness: "codex", size: 2 },
      { harness: "opencode", size: 5 },
    ]);
    const pools = t.fake.objects("sandboxwarmpools");
    const codex = pools.find((p) => p.metadata.annotations["lap.dev/image"] === "registry.example/codex-sandbox:1.2")!;
    const opencode = pools.find((p) => p.metadata.annotations["lap.dev/image"] === "opencode-sandbox:dev")!;
    expect(codex.metadata.name).toMatch(/^lap-codex-sandbox-1-2-[0-9a-f]{8}$/);
    expect(sizes).toEqual({ [codex.metadata.name]: 2, [opencode.metadata.name]: 1 });
    expect([codex.spec.replicas, opencode.spec.replicas]).toEqual([2, 1]);
    expect(
      t.fake.requests.some((r) =>
        r.startsWith(`PATCH /apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxwarmpools/${codex.metadata.name}/scale 200`),
      ),
    ).toBe(true);
    await eventually(() => warmMembers(opencode.metadata.name).length === 1 && warmMembers(codex.metadata.name).filter(ready).length === 2);

    const status = await t.lap.pools.status();
    const s = status.find((p) => p.name === codex.metadata.name)!;
    expect(s).toMatchObject({ image: "registry.example/codex-sandbox:1.2", replicas: 2, readyReplicas: 2 });
    expect(s.sandboxes.map((x) => x.ready)).toEqual([true, true]);

    expect(await t.lap.pools.setTargets([])).toEqual({ [codex.metadata.name]: 0, [opencode.metadata.name]: 0 });
    await eventually(() => warmMembers(codex.metadata.name).length === 0);
  });

  test("warm sandboxes older than WARM_POOL_TTL_MINUTES are recycled and replaced; younger ones stay", async () => {
    const [pool] = t.fake.objects("sandboxwarmpools").filter((p) => p.metadata.annotations["lap.dev/image"] === "opencode-sandbox:dev");
    await t.lap.pools.scale(pool!.metadata.name, 2);
    await eventually(() => warmMembers(pool!.metadata.name).filter(ready).length === 2);
    const before = warmMembers(pool!.metadata.name)
      .map((s) => s.metadata.name)
      .sort();
    expect(await t.lap.pools.recycleExpired(60_000)).toEqual([]);
    const recycled = await t.lap.pools.recycleExpired(60_000, Date.now() + 61_000);
    expect(recycled.sort()).toEqual(before);
    await eventually(() => {
      const now = warmMembers(pool!.metadata.name);
      return now.length === 2 && now.every((s) => !before.includes(s.metadata.name));
    });
  });
});

describe("TTL recycling runs by itself once started", () => {
  test("warm sandboxes older than the TTL are replaced without anyone calling recycleExpired", async () => {
    const env = await kubeTestEnv({ WARM_POOL_SIZE: "1" }, { autoReadyMs: 10 }, { recycleEveryMs: 100, warmTtlMs: 300 });
    try {
      const [pool] = env.fake.objects("sandboxwarmpools");
      const members = () =>
        env.fake.objects("sandboxes").filter((s) => s.metadata.labels?.["agents.x-k8s.io/warm-pool-sandbox"] === pool!.metadata.name);
      const first = (await eventually(() => members()[0])).metadata.name;
      await eventually(() => members().length === 1 && members()[0]!.metadata.name !== first, 4000);
    } finally {
      await env.close();
    }
  }, 20_000);
});
