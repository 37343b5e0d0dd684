/**
 * The kubernetes provider against the real harness/supervisor (not the fake): each fake pod's
 * pods/proxy forwards to a supervisor process started as a pod would start it (TCP, no token file).
 * Proves the contract in docs/kubernetes.md end to end: bind body with supervisorToken accepted,
 * the token then required as x-api-key through the API server proxy, idempotent rebind, 409 for another session.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";
import { startRealSupervisor, type RealSupervisor } from "../../../test/support/real-supervisor";

let t: KubeTestEnv;
const real = new Map<string, Promise<RealSupervisor>>();

beforeAll(async () => {
  t = await kubeTestEnv(
    {},
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
});
