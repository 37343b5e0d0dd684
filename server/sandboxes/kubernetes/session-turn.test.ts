/**
 * A whole session through LAP's HTTP API with LAP_SANDBOX=kubernetes, against the fake cluster (TLS with
 * a CA and a client certificate, through a kubeconfig file): the fake agent-sandbox controller makes
 * claims, Sandboxes and pods; the fake kubelet (test/support/fake-kubelet.ts) runs the REAL supervisor
 * with the built-in agent harness as each pod's process on the pod's own loopback IP, reached by LAP
 * with K8S_SUPERVISOR_ACCESS=pod-ip; the agent's model calls go through LAP's gateway to a scripted
 * OpenAI-compatible provider. Covers a cold turn, a warm claim, pod death and recovery, and cleanup
 * when the session stops and the agent is deleted. One cluster and one LAP for the whole file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startLap, type RunningLap } from "../../main";
import { testDatabase } from "../../../test/support/db";
import type { FakeKubeApiServer } from "../../../test/support/fake-kube-apiserver";
import type { FakeKubelet } from "../../../test/support/fake-kubelet";
import { type KubeLapCluster, startKubeLapCluster } from "../../../test/support/kube-env";
import type { ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../../test/support/api-client";

const MASTER = "k8s-session-master-key";
/** Image pull + container start of a cold pod in the fake (a warm pod has paid it already). */
const COLD_START_MS = 1500;
let cluster: KubeLapCluster;
let fake: FakeKubeApiServer;
let kubelet: FakeKubelet;
let lap: RunningLap;
let model: ScriptedOpenAI;

type Ev = { type: string; data: Record<string, unknown> };
const { api, events } = lapClient(() => lap.url, MASTER);
const status = async (id: string) => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status;
const idleCount = async (id: string) => (await events(id)).filter((e) => e.type === "session.status_idle").length;
const replyText = (evs: Ev[]) =>
  evs
    .filter((e) => e.type === "agent.message")
    .map((e) => ((e.data.content as { text?: string }[]) ?? []).map((c) => c.text ?? "").join(""))
    .join("");
const claims = () => fake.store.list("sandboxclaims", "default");
const claimOfSession = async (sessionId: string) => {
  const [row] = await lap.database.query<{ sandbox_id: string }>(
    `select sandbox_id from sandboxes where session_id = $1 and status = 'claimed'`,
    [sessionId],
  );
  return row ? fake.store.get("sandboxclaims", "default", row.sandbox_id) : undefined;
};
const sandboxOf = (claim: { metadata: { annotations?: Record<string, string> } }) =>
  fake.store.get("sandboxes", "default", claim.metadata.annotations!["agents.x-k8s.io/sandbox-name"]!)!;
const coldSandboxes = () =>
  fake.store.list("sandboxes", "default").filter((s) => s.metadata.labels?.["agents.x-k8s.io/launch-type"] === "cold").length;

/** What a stuck session looks like, for the failure message: its status, events, claims and pods. */
async function explain(id: string) {
  const evs = await events(id).catch(() => [] as Ev[]);
  const pods = fake.store.list("pods", "default").map((p) => `${p.metadata.name}:${p.status?.phase ?? "?"}:${p.status?.podIP ?? "-"}`);
  return JSON.stringify({
    status: await status(id).catch(() => "?"),
    events: evs.map((e) => (e.type === "session.error" ? `error: ${JSON.stringify(e.data.error)}` : e.type)),
    claims: claims().map((c) => ({
      name: c.metadata.name,
      status: c.status,
      annotations: c.metadata.annotations,
      pool: c.spec?.warmPoolRef?.name,
    })),
    sandboxes: fake.store.list("sandboxes", "default").map((s) => s.metadata.name),
    pools: fake.store.list("sandboxwarmpools", "default").map((p) => p.metadata.name),
    templates: fake.store.list("sandboxtemplates", "default").map((p) => p.metadata.name),
    paused: fake.controller.paused,
    pods,
    model_requests: model.requests.length,
  });
}
const idleOrExplain = (id: string) =>
  waitFor("session idle", async () => (await status(id)) === "idle").catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${await explain(id)}`);
  });

let agentId = "";
let first = "";
let second = "";

beforeAll(async () => {
  cluster = await startKubeLapCluster({ name: "turn", providerKey: "sk-provider-secret-k8s", startMs: COLD_START_MS, holdWarmPool: true });
  ({ fake, kubelet, model } = cluster);
  const env = cluster.lapEnv({ masterKey: MASTER });
  // A copy of the migrated template (PGlite), or a fresh PostgreSQL database dropped when LAP closes it.
  lap = await startLap(env, { database: await testDatabase() });
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "k8s-builder",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
  });
  expect(agent.status).toBe(201);
  agentId = agent.body.id;
}, 90_000);

afterAll(async () => {
  await lap?.stop();
  await cluster?.close();
});

describe("a session on the (fake) cluster through LAP's HTTP API", () => {
  test("cold: the session gets a claimed pod, the turn runs in the real supervisor, events stream and the reply is stored", async () => {
    const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agentId });
    expect(session.status).toBe(201);
    first = session.body.id;
    await idleOrExplain(first);
    if (!(await claimOfSession(first)))
      console.error(
        await lap.database.query(`select * from sandboxes`),
        claims().map((c) => c.metadata.name),
      );
    const claim = (await claimOfSession(first))!;
    expect(claim.spec.warmPoolRef.name).toBeTruthy();
    expect(claim.spec.env).toBeUndefined(); // env on a claim would force a cold start
    expect(sandboxOf(claim).metadata.labels!["agents.x-k8s.io/launch-type"]).toBe("cold");

    model.script([
      { toolCalls: [{ name: "write", arguments: { path: "plan.md", content: "ship the k8s provider" } }] },
      { text: "Noted: the plan is to ship the k8s provider." },
    ]);
    // The live stream (SSE) sees the turn as it happens.
    const token = (await api<{ token: string }>("POST", `/api/sessions/${first}/stream-token`)).body?.token;
    const stream = token
      ? fetch(`${lap.url}/api/sessions/${first}/stream?token=${token}`)
      : fetch(`${lap.url}/api/sessions/${first}/stream`, { headers: { authorization: `Bearer ${MASTER}` } });
    expect((await api("POST", `/api/sessions/${first}/messages`, { text: "remember: we ship the k8s provider" })).status).toBe(202);
    await waitFor("first turn", async () => (await idleCount(first)) >= 1);
    const evs = await events(first);
    const types = evs.map((e) => e.type);
    for (const t of [
      "user.message",
      "session.status_running",
      "agent.tool_use",
      "agent.tool_result",
      "agent.message",
      "session.status_idle",
    ])
      expect(types).toContain(t);
    expect(replyText(evs)).toContain("Noted: the plan is to ship the k8s provider.");
    const res = await stream;
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let seen = "";
    while (!seen.includes("session.status_idle")) seen += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(seen).toContain("agent.message");
    // Every model call went through LAP's gateway with the provider key the pod never saw.
    expect(model.requests.length).toBe(2);
    for (const r of model.requests) expect(r.authorization).toBe("Bearer sk-provider-secret-k8s");
  }, 60_000);

  // Whether warm is faster than cold is for bench/, not a test: this proves the warm path was taken.
  test("warm: the second session is served from the SandboxWarmPool, with no new cold pod", async () => {
    kubelet.release();
    await waitFor(
      "a ready warm sandbox",
      () => fake.store.list("sandboxwarmpools", "default").some((p) => (p.status?.readyReplicas ?? 0) >= 1),
      20_000,
    );
    const coldBefore = coldSandboxes();
    const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agentId });
    second = session.body.id;
    await idleOrExplain(second);
    const sandbox = sandboxOf((await claimOfSession(second))!);
    expect(sandbox.metadata.labels!["agents.x-k8s.io/launch-type"]).toBe("warm");
    expect(coldSandboxes()).toBe(coldBefore);
    model.script([{ text: "Warm and ready." }]);
    expect((await api("POST", `/api/sessions/${second}/messages`, { text: "hello" })).status).toBe(202);
    await waitFor("warm turn", async () => replyText(await events(second)).includes("Warm and ready."));
  }, 60_000);

  test("pod death: the session goes recovering, gets a new pod, replays history, emits session.recovered and answers with the context", async () => {
    const before = (await claimOfSession(first))!;
    const pod = sandboxOf(before).metadata.name;
    const seenStatuses = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seenStatuses.add(await status(first));
        await Bun.sleep(10);
      }
    })();
    fake.deletePod(pod, 2);
    await waitFor("a new claim for the session", async () => {
      const c = await claimOfSession(first);
      return c && c.metadata.name !== before.metadata.name;
    });
    await waitFor("back to idle", async () => (await status(first)) === "idle" && seenStatuses.has("recovering"));
    watching = false;
    await watcher;
    expect(seenStatuses.has("recovering")).toBe(true);
    await waitFor("the old claim to go", () => !fake.store.get("sandboxclaims", "default", before.metadata.name));

    const countBefore = (await events(first)).length;
    model.requests.length = 0;
    model.script([{ text: "You asked me to remember that we ship the k8s provider." }]);
    expect((await api("POST", `/api/sessions/${first}/messages`, { text: "what did I ask you to remember?" })).status).toBe(202);
    await waitFor("the turn after recovery", async () => (await idleCount(first)) >= 2, 30_000);
    const after = (await events(first)).slice(countBefore);
    expect(after.map((e) => e.type)).toContain("session.recovered");
    expect(replyText(after)).toContain("ship the k8s provider");
    // The new pod's harness was given the conversation so far (replayed history).
    expect(JSON.stringify(model.requests[0]!.messages)).toContain("remember: we ship the k8s provider");
  }, 60_000);

  test("a crash-looping pod: the session is moved to a new pod and still answers", async () => {
    const before = (await claimOfSession(second))!;
    await kubelet.crash(sandboxOf(before).metadata.name);
    await waitFor("a new claim for the session", async () => {
      const c = await claimOfSession(second);
      return c && c.metadata.name !== before.metadata.name;
    });
    await waitFor("back to idle", async () => (await status(second)) === "idle");
    model.script([{ text: "Still here after the crash." }]);
    expect((await api("POST", `/api/sessions/${second}/messages`, { text: "are you there?" })).status).toBe(202);
    await waitFor("the answer", async () => replyText(await events(second)).includes("Still here after the crash."));
    const dead = await lap.database.query<{ reason: string | null }>(
      `select reason from sandboxes where session_id = $1 and status = 'dead'`,
      [second],
    );
    expect(dead.map((d) => d.reason).join(" ")).toContain("CrashLoopBackOff");
  }, 60_000);

  test("stopping the session deletes its SandboxClaim, and with it the Sandbox and the pod", async () => {
    const claim = (await claimOfSession(first))!;
    const sandboxName = sandboxOf(claim).metadata.name;
    expect((await api("POST", `/api/sessions/${first}/stop`)).status).toBe(200);
    await waitFor(
      "claim, sandbox and pod gone",
      () =>
        !fake.store.get("sandboxclaims", "default", claim.metadata.name) &&
        !fake.store.get("sandboxes", "default", sandboxName) &&
        !fake.store.get("pods", "default", sandboxName),
    );
    const rows = await lap.database.query<{ status: string }>(
      `select status from sandboxes where session_id = $1 and status in ('provisioning', 'claimed', 'stopped')`,
      [first],
    );
    expect(rows).toEqual([]);
  }, 30_000);

  test("deleting the agent stops its sessions and deletes their claims; only the warm pool remains", async () => {
    const claim = (await claimOfSession(second))!;
    expect((await api("DELETE", `/api/agents/${agentId}`)).status).toBe(200);
    expect(await status(second)).toBe("stopped");
    await waitFor("the claim to go", () => !fake.store.get("sandboxclaims", "default", claim.metadata.name));
    expect(claims()).toEqual([]);
    const left = fake.store.list("sandboxes", "default");
    expect(left.every((s) => s.metadata.labels?.["agents.x-k8s.io/warm-pool-sandbox"])).toBe(true);
  }, 30_000);
});
