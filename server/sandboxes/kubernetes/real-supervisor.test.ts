/**
 * The kubernetes provider against the real harness/supervisor (not the fake): each fake pod's
 * pods/proxy forwards to a supervisor process started as a pod would start it (TCP, no token file).
 * Proves the contract in docs/kubernetes.md end to end: bind body with supervisorToken accepted,
 * the token then required as x-api-key through the API server proxy, idempotent rebind, 409 for another session;
 * the workspace API through the same proxy and the copy kept at destroy (docs/files.md "Kubernetes"); and
 * the warm pre-start (K8S_WARM_PREPARE): the prepare brings the token, the bind keeps the harness.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";
import { startRealSupervisor, type RealSupervisor } from "../../../test/support/real-supervisor";

let t: KubeTestEnv;
const real = new Map<string, Promise<RealSupervisor>>();

beforeAll(async () => {
  t = await kubeTestEnv(
    { K8S_WARM_PREPARE: "true" },
    {
      supervisorFor: (pod) => {
        const uid = pod.metadata.uid as string;
        return async (req, path) => {
          if (!real.has(uid)) real.set(uid, startRealSupervisor());
          return (await real.get(uid)!).forward(req, path);
        };
      },
    },
  );
}, 60_000);

afterAll(async () => {
  for (const s of real.values()) await (await s).stop();
  await t.close();
});

describe("kubernetes provider with the real supervisor (TCP, first-bind token)", () => {
  test("create → waitReady → bind → connect; the supervisor serves the session with the token LAP sealed in the claim", async () => {
    const { provider } = t.lap;
    const h = await provider.create({ harness: "builtin", env: { TZ: "UTC", VAULT_STUB_GITHUB: "stub-1" }, workspaceId: "ws_real" });
    const ready = provider.waitReady(h.id, { timeoutMs: 5000 });
    const pod = await eventually(() => t.podOf(h.id));
    await Bun.sleep(30);
    t.fake.drive(pod, "ready");
    expect((await ready).state).toBe("ready");

    const conn = await provider.connect(h.id);
    // Before the bind nothing but /health (and the first bind) is served.
    expect((await conn.fetch(`${conn.baseUrl}/v1/models`)).status).toBe(401);
    expect(await (await conn.fetch(`${conn.baseUrl}/health`)).json()).toMatchObject({ bound: false });

    const binding = {
      sessionId: "ses_real",
      agentId: "agt_real",
      gatewayKey: "sk-session-real",
      gatewayBaseUrl: "http://127.0.0.1:9/v1",
      model: "m-real",
    };
    await provider.bind(h.id, binding);
    expect(await (await conn.fetch(`${conn.baseUrl}/health`)).json()).toMatchObject({
      bound: true,
      session_id: "ses_real",
      agent_id: "agt_real",
    });
    expect(await (await conn.fetch(`${conn.baseUrl}/v1/models`)).json()).toEqual({ data: [{ id: "m-real", type: "model" }] });
    const session = await conn.fetch(`${conn.baseUrl}/v1/sessions/ses_real`);
    expect(await session.json()).toMatchObject({ id: "ses_real", type: "session" });
    // Without the token (straight through the API server proxy) the supervisor refuses.
    expect((await t.lap.kube.raw("GET", new URL(`${conn.baseUrl}/v1/models`).pathname)).status).toBe(401);

    await provider.bind(h.id, binding); // idempotent
    await expect(provider.bind(h.id, { ...binding, sessionId: "ses_other" })).rejects.toMatchObject({
      reason: "failed",
      message: expect.stringContaining("already bound"),
    });
  }, 30_000);

  /** A ready sandbox (the fake's pod driven ready) with its real supervisor. */
  async function readySandbox(workspaceId: string) {
    const { provider } = t.lap;
    const h = await provider.create({ harness: "builtin", env: { TZ: "UTC" }, workspaceId });
    const ready = provider.waitReady(h.id, { timeoutMs: 5000 });
    const pod = await eventually(() => t.podOf(h.id));
    await Bun.sleep(30);
    t.fake.drive(pod, "ready");
    await ready;
    const uid = t.fake.store.get("pods", "default", pod)!.metadata.uid as string;
    return { id: h.id, supervisor: () => real.get(uid)! };
  }

  test("workspace API through the API server proxy after the bind; destroy keeps a copy under LAP_DATA_DIR/workspaces", async () => {
    const { provider } = t.lap;
    const { id, supervisor } = await readySandbox("ws_files");
    const files = JSON.stringify({ files: [{ path: "notes/a.md", content_base64: Buffer.from("alpha").toString("base64") }] });
    const post = () =>
      provider.workspaceRequest!(id, "/lap/files", { method: "POST", headers: { "content-type": "application/json" }, body: files });
    // Before the bind the supervisor has no token: nothing is written.
    expect((await post()).status).toBe(401);
    await provider.bind(id, {
      sessionId: "ses_files",
      agentId: "agt_f",
      gatewayKey: "sk-f",
      gatewayBaseUrl: "http://127.0.0.1:9/v1",
      model: "m",
    });
    expect(await (await post()).json()).toEqual({ written: 1 });
    const workspace = (await supervisor()).workspace;
    expect(readFileSync(join(workspace, "notes/a.md"), "utf8")).toBe("alpha");
    const tree = (await (await provider.workspaceRequest!(id, "/lap/files/tree?path=notes")).json()) as {
      entries: Array<{ path: string }>;
    };
    expect(tree.entries.map((e) => e.path)).toEqual(["a.md"]);
    expect(await (await provider.workspaceRequest!(id, "/lap/files/raw?path=notes%2Fa.md")).text()).toBe("alpha");
    expect((await provider.workspaceRequest!(id, "/lap/files/raw?path=..%2Fx")).status).toBe(400);

    await provider.destroy(id);
    const kept = join(t.env.LAP_DATA_DIR!, "workspaces", "ws_files", "notes", "a.md");
    expect(existsSync(kept) && readFileSync(kept, "utf8")).toBe("alpha");
  }, 30_000);

  test("warm pre-start: prepare brings the token and starts the agent's harness; the same bind keeps it", async () => {
    const { provider } = t.lap;
    const { id } = await readySandbox("ws_warm");
    const setup = { agentId: "agt_w", model: "m-warm", systemPrompt: "be brief" };
    expect(await provider.prepare!(id, setup, "http://127.0.0.1:9/v1")).toEqual({ harness: "ready" });
    const conn = await provider.connect(id);
    expect(await (await conn.fetch(`${conn.baseUrl}/health`)).json()).toMatchObject({ bound: false, prepared: "ready" });
    await provider.bind(id, { ...setup, sessionId: "ses_warm", gatewayKey: "sk-warm", gatewayBaseUrl: "http://127.0.0.1:9/v1" });
    expect(await (await conn.fetch(`${conn.baseUrl}/health`)).json()).toMatchObject({
      bound: true,
      session_id: "ses_warm",
      prepared: "kept",
    });
    await provider.destroy(id);
  }, 30_000);
});
