/**
 * Issue 16 on Kubernetes: a turn survives a LAP restart while its pod lives on. A real `lap up`
 * (LAP_SANDBOX=kubernetes against the fake cluster in this process: the fake agent-sandbox controller,
 * and the fake kubelet running the REAL supervisor with the built-in agent as the pod's process) is
 * SIGKILLed while the scripted model streams a reply, and started again on the same data dir, database
 * and port. The pod is untouched by the restart: the new LAP re-attaches the session to the same pod,
 * the agent's broken model step is tried again once LAP's gateway answers, and the turn ends `end_turn`
 * in the same seq stream with one session.recovered; no new pod is made.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lapClient, type SessionEvent, waitFor } from "../../../test/support/api-client";
import { TEST_DB_DRIVER, freshPostgresUrl } from "../../../test/support/db";
import { startFakeKubeApiServer, type FakeKubeApiServer } from "../../../test/support/fake-kube-apiserver";
import { FakeKubelet } from "../../../test/support/fake-kubelet";
import { kubeLapEnv } from "../../../test/support/kube-env";
import { freePort, type LapChild, startLapChild } from "../../../test/support/lap-child";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../test/support/scripted-openai";

const KEY = "k8s-restart-master-key-1234";
let model: ScriptedOpenAI;
let fake: FakeKubeApiServer;
let kubelet: FakeKubelet;
let dataDir: string;
let env: Record<string, string>;
let base = "";
let lapChild: LapChild | undefined;
let dropDb: (() => Promise<void>) | undefined;
const { api, events } = lapClient(() => base, KEY);

async function startLap() {
  lapChild = await startLapChild(env, base);
}

const pods = () =>
  fake.store
    .list("pods", "default")
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name)
    .sort();
const deltas = (evs: SessionEvent[]) => evs.filter((e) => e.type === "agent.message_delta");
const texts = (evs: SessionEvent[]) =>
  evs.filter((e) => e.type === "agent.message").map((e) => (e.data.content as Array<{ text: string }>)[0]?.text ?? "");
const increasing = (seqs: number[]) => seqs.every((s, i) => i === 0 || s > seqs[i - 1]!);

beforeAll(async () => {
  model = startScriptedOpenAI();
  fake = await startFakeKubeApiServer({ bookmarkIntervalMs: 200 });
  const supervisorPort = await freePort();
  kubelet = new FakeKubelet(fake, { port: supervisorPort, startMs: 100 });
  dataDir = mkdtempSync(join(tmpdir(), "lap-k8s-restart-"));
  const gatewayConfig = join(dataDir, "gateway.yaml");
  writeFileSync(
    gatewayConfig,
    `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: sk-provider-k8s-restart }\n`,
  );
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = kubeLapEnv(
    { dataDir, masterKey: KEY, kubeconfigPath: fake.kubeconfigPath, supervisorPort, gatewayConfig },
    { PORT: String(port), HOST: "127.0.0.1", WARM_POOL_SIZE: "0", LOG_LEVEL: "warn" },
  );
  if (TEST_DB_DRIVER === "postgres") {
    const db = await freshPostgresUrl("lap_k8s_restart");
    env.DATABASE_URL = db.url;
    dropDb = db.drop;
  }
}, 60_000);

afterAll(async () => {
  if (lapChild && lapChild.child.exitCode === null) await lapChild.kill9();
  await kubelet?.close();
  await fake?.close();
  await model?.stop();
  await dropDb?.();
  rmSync(dataDir, { recursive: true, force: true });
});

test("SIGKILL of LAP mid-reply: the pod lives on, the new LAP re-attaches to it and the reply completes in the same seq stream, one session.recovered, no new pod", async () => {
  await startLap();
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "k8s-survivor",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
  });
  expect(agent.status).toBe(201);
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  const id = session.body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle", 60_000);
  const podsBefore = pods();
  expect(podsBefore).toHaveLength(1);

  model.script([{ pieces: Array.from({ length: 24 }, (_, i) => `p${i} `), pieceDelayMs: 250 }, { text: "complete answer" }]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "tell me slowly" })).status).toBe(202);
  await waitFor(
    "the reply streaming",
    async () =>
      deltas((await api<{ data: SessionEvent[] }>("GET", `/api/sessions/${id}/events?limit=1000&deltas=true`)).body.data).length >= 3,
    60_000,
  );
  await lapChild!.kill9();
  // LAP is gone; the pod is not.
  expect(pods()).toEqual(podsBefore);

  await startLap();
  await waitFor(
    "the turn to end",
    async () => (await events(id)).some((e) => (e.type === "session.status_idle" && e.turn_id) || e.type === "session.error"),
    90_000,
  ).catch(async (err) => {
    const evs = await api<{ data: SessionEvent[] }>("GET", `/api/sessions/${id}/events?limit=1000&deltas=true`);
    throw new Error(
      `${(err as Error).message}: events ${JSON.stringify(evs.body.data.filter((e) => e.type !== "agent.message_delta"))}; LAP said: ${lapChild?.stderr.text().slice(-3000)}`,
    );
  });
  const stored = await events(id);
  if (stored.some((e) => e.type === "session.error"))
    throw new Error(
      `the turn failed: ${JSON.stringify(stored.filter((e) => e.type !== "agent.message_delta"))}; LAP said: ${lapChild?.stderr.text().slice(-3000)}`,
    );
  expect(increasing(stored.map((e) => e.seq))).toBe(true);
  const turn = stored.filter((e) => e.turn_id);
  expect(turn.at(-1)).toMatchObject({ type: "session.status_idle", data: { stop_reason: { type: "end_turn" } } });
  expect(stored.filter((e) => e.type === "session.recovered")).toHaveLength(1);
  expect(stored.some((e) => e.type === "session.error")).toBe(false);
  expect(texts(turn)).toEqual(["complete answer"]);
  // The same pod answered: no replacement was made.
  expect(pods()).toEqual(podsBefore);
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle", 10_000);
}, 240_000);
