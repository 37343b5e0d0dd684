/**
 * K8S_WARM_PREPARE through LAP's HTTP API (docs/kubernetes.md "Warm pool"), against the fake cluster whose
 * kubelet runs the REAL supervisor and built-in agent per pod (test/support/fake-kubelet.ts); the model is
 * scripted (test/support/scripted-openai.ts). After an agent's first session the generic warm pool keeps a
 * claim for it and has its supervisor start the harness (`/lap/prepare`, gateway proxy toward LAP's
 * origin); the next session claims it (a hit), the bind keeps the pre-started harness, and its turn
 * reaches the model through the pod's proxy and LAP's gateway with the provider key the pod never saw.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startLap, type RunningLap } from "../../main";
import { testDatabase } from "../../../test/support/db";
import type { FakeKubeApiServer } from "../../../test/support/fake-kube-apiserver";
import { type KubeLapCluster, startKubeLapCluster } from "../../../test/support/kube-env";
import type { ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../../test/support/api-client";

const MASTER = "k8s-warm-prepare-master-key";
let cluster: KubeLapCluster;
let fake: FakeKubeApiServer;
let lap: RunningLap;
let model: ScriptedOpenAI;
const { api, events } = lapClient(() => lap.url, MASTER);
const status = async (id: string) => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status;

beforeAll(async () => {
  cluster = await startKubeLapCluster({ name: "warm-prepare", providerKey: "sk-provider-secret-warm" });
  ({ fake, model } = cluster);
  lap = await startLap(cluster.lapEnv({ masterKey: MASTER }, { K8S_WARM_PREPARE: "true" }), { database: await testDatabase() });
}, 90_000);

afterAll(async () => {
  await lap?.stop();
  await cluster?.close();
});

describe("K8S_WARM_PREPARE", () => {
  test("the pool keeps a prepared claim for a recent agent; the next session is a hit, keeps the harness and answers", async () => {
    const agent = await api<{ id: string }>("POST", "/api/agents", {
      name: "k8s-warm",
      model: "scripted-model",
      runtime_id: "rt_local_sandbox",
      harness: "builtin",
    });
    expect(agent.status).toBe(201);
    const first = (await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id })).body.id;
    await waitFor("first session idle", async () => (await status(first)) === "idle", 30_000);

    // The refill after that session's claim keeps a slot for the agent: a claim, prepared.
    const warmRow = async () =>
      (
        await lap.database.query<{ sandbox_id: string }>(
          `select sandbox_id from sandboxes where agent_id = $1 and status = 'warm' and session_id is null`,
          [agent.body.id],
        )
      )[0];
    await waitFor("a warm slot", async () => !!(await warmRow()), 30_000);
    const slot = (await warmRow())!.sandbox_id;
    expect(fake.store.get("sandboxclaims", "default", slot)).toBeTruthy();

    const second = (await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id })).body.id;
    await waitFor("second session idle", async () => (await status(second)) === "idle", 30_000);
    const [row] = await lap.database.query<{ sandbox_id: string; start_kind: string }>(
      `select sandbox_id, start_kind from sandboxes where session_id = $1 and status = 'claimed'`,
      [second],
    );
    expect(row).toEqual({ sandbox_id: slot, start_kind: "warm" });

    // The pre-started harness was kept at the bind (its supervisor says so).
    const conn = await lap.sandboxes.provider().connect(slot);
    expect(await (await conn.fetch(`${conn.baseUrl}/health`)).json()).toMatchObject({
      bound: true,
      session_id: second,
      prepared: "kept",
      gateway_proxy: { bound: true, refused_unbound: 0 },
    });

    model.script([{ text: "Warm and prepared." }]);
    const before = model.requests.length;
    expect((await api("POST", `/api/sessions/${second}/messages`, { text: "hello" })).status).toBe(202);
    await waitFor(
      "the warm turn",
      async () => (await events(second)).some((e) => e.type === "agent.message" && JSON.stringify(e.data).includes("Warm and prepared.")),
      30_000,
    );
    for (const r of model.requests.slice(before)) expect(r.authorization).toBe("Bearer sk-provider-secret-warm");
  }, 120_000);
});
