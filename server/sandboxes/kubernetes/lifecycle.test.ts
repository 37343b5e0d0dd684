import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";
import { SandboxError, type SandboxSpec } from "../provider";

let t: KubeTestEnv;
beforeAll(async () => {
  t = await kubeTestEnv();
}, 60_000);
afterAll(() => t.close());

const spec = (over: Partial<SandboxSpec> = {}): SandboxSpec => ({
  harness: "opencode",
  env: { TZ: "UTC", VAULT_STUB_GITHUB: "stub-123" },
  workspaceId: "ws-1",
  labels: { agent: "a1" },
  ...over,
});
const binding = {
  sessionId: "sess-1",
  agentId: "a1",
  gatewayKey: "sk-session-secret",
  gatewayBaseUrl: "http://lap.internal:3000",
  model: "gpt-x",
};

describe("kubernetes provider lifecycle (cold path, agent-sandbox v1beta1 against the fake API server)", () => {
  test("start creates a SandboxTemplate and SandboxWarmPool for the default harness image, sized from WARM_POOL_SIZE", async () => {
    const [tpl] = t.fake.objects("sandboxtemplates");
    const [pool] = t.fake.objects("sandboxwarmpools");
    expect(tpl!.metadata.name).toMatch(/^lap-opencode-sandbox-dev-[0-9a-f]{8}$/);
    const c = tpl!.spec.podTemplate.spec.containers[0];
    expect(c.image).toBe("opencode-sandbox:dev");
    expect(c.imagePullPolicy).toBe("IfNotPresent");
    // CONTAINER_ENV_* is the same for every sandbox, so it may live in the template; nothing session-specific does.
    expect(c.env).toContainEqual({ name: "TZ", value: "UTC" });
    expect(JSON.stringify(tpl!.spec)).not.toContain("sk-");
    expect(tpl!.spec.envVarsInjectionPolicy).toBe("Disallowed");
    expect(tpl!.spec.podTemplate.spec.volumes).toEqual([{ name: "workspace", emptyDir: {} }]);
    expect(pool!.spec).toEqual({ replicas: 0, sandboxTemplateRef: { name: tpl!.metadata.name }, updateStrategy: { type: "Recreate" } });
  });

  test("create → claim without env; waitReady by watch; bind sends identity after the claim; connect reaches the supervisor", async () => {
    const { provider } = t.lap;
    const before = t.fake.requests.length;
    const h = await provider.create(spec());
    expect(h).toMatchObject({ provider: "kubernetes", state: "provisioning", workspaceId: "ws-1", labels: { agent: "a1" } });
    const claim = t.fake.store.get("sandboxclaims", "default", h.id)!;
    expect(claim.spec.env).toBeUndefined();
    expect(claim.spec.warmPoolRef.name).toBe(t.fake.objects("sandboxwarmpools")[0]!.metadata.name);
    // The supervisor token is sealed with ENCRYPTION_KEY in the annotation, never stored in plain text.
    expect(claim.metadata.annotations["lap.dev/supervisor-token"]).toStartWith("v1.");
    expect(JSON.stringify(claim)).not.toContain("stub-123");

    const ready = provider.waitReady(h.id, { timeoutMs: 5000 });
    const pod = await eventually(() => t.podOf(h.id));
    await Bun.sleep(30);
    t.fake.drive(pod, "ready");
    const r = await ready;
    expect(r.state).toBe("ready");
    expect(r.info).toMatchObject({ pod, node: "kind-worker", phase: "Running", launch: "cold", workspace: "emptyDir" });
    const calls = t.fake.requests.slice(before);
    // List+watch on this one claim (by field selector), not a polling loop of GETs.
    const claimReads = calls.filter(
      (c) =>
        c.startsWith("GET /apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxclaims?") &&
        c.includes(`fieldSelector=metadata.name%3D${h.id}`),
    );
    expect(claimReads.length).toBeGreaterThanOrEqual(1);
    expect(claimReads.filter((c) => !c.includes("watch=1")).length).toBe(1);
    expect(
      calls.filter((c) => c.startsWith(`GET /apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxclaims/${h.id} `)).length,
    ).toBeLessThanOrEqual(1);

    await provider.bind(h.id, binding);
    const sup = [...t.supervisors.values()].find((s) => s.podName === pod)!;
    expect(sup.binding).toMatchObject({
      sandboxId: h.id,
      sessionId: "sess-1",
      gatewayKey: "sk-session-secret",
      harness: "opencode",
      workspaceId: "ws-1",
    });
    // Only what the template does not already carry travels with bind.
    expect(sup.binding!.env).toEqual({ VAULT_STUB_GITHUB: "stub-123" });
    await provider.bind(h.id, binding); // idempotent for the same session

    const conn = await provider.connect(h.id);
    expect(conn.baseUrl).toContain(`/api/v1/namespaces/default/pods/${pod}:8080/proxy`);
    const who = await conn.fetch(`${conn.baseUrl}/v1/whoami`);
    expect(await who.json()).toEqual({ pod, sessionId: "sess-1", envKeys: ["VAULT_STUB_GITHUB"] });
    // Without the token the supervisor refuses (the connection's fetch is what carries it).
    expect((await t.lap.kube.raw("GET", new URL(`${conn.baseUrl}/v1/whoami`).pathname)).status).toBe(401);

    await expect(provider.bind(h.id, { ...binding, sessionId: "other" })).rejects.toMatchObject({
      reason: "failed",
      message: expect.stringContaining("already bound"),
    });
  });

  test("stop suspends (pod removed, workspace kept); waitReady resumes it; destroy deletes claim, sandbox and pod", async () => {
    const { provider } = t.lap;
    const h = await provider.create(spec({ workspaceId: "ws-stop" }));
    const ready = provider.waitReady(h.id, { timeoutMs: 5000 });
    const pod = await eventually(() => t.podOf(h.id));
    await eventually(() => t.fake.store.get("pods", "default", pod));
    t.fake.drive(pod, "ready");
    await ready;
    await provider.stop(h.id);
    expect(t.fake.store.get("sandboxes", "default", pod)!.spec.operatingMode).toBe("Suspended");
    expect((await provider.get(h.id))!.state).toBe("stopped");
    await eventually(() => !t.fake.store.get("pods", "default", pod));
    const resumed = provider.waitReady(h.id, { timeoutMs: 5000 });
    await eventually(() => t.fake.store.get("sandboxes", "default", pod)!.spec.operatingMode === "Running");
    await eventually(() => t.fake.store.get("pods", "default", pod));
    t.fake.drive(pod, "ready");
    expect((await resumed).state).toBe("ready");

    await provider.destroy(h.id);
    expect(await provider.get(h.id)).toBeNull();
    await eventually(() => !t.fake.store.get("sandboxes", "default", pod) && !t.fake.store.get("pods", "default", pod));
    await provider.destroy(h.id); // already gone is fine
  });

  test("unknown ids: waitReady, bind, connect and stop fail with not_found; get answers null", async () => {
    const { provider } = t.lap;
    for (const call of [
      () => provider.waitReady("lap-nope"),
      () => provider.bind("lap-nope", binding),
      () => provider.connect("lap-nope"),
      () => provider.stop("lap-nope"),
    ]) {
      const err = await call().catch((e) => e);
      expect(err).toBeInstanceOf(SandboxError);
      expect(err.reason).toBe("not_found");
    }
    expect(await provider.get("lap-nope")).toBeNull();
  });

  test("connect before the pod serves is refused as unavailable", async () => {
    const h = await t.lap.provider.create(spec({ workspaceId: "ws-early" }));
    await expect(t.lap.provider.connect(h.id)).rejects.toMatchObject({ reason: "unavailable" });
    await t.lap.provider.destroy(h.id);
  });
});
