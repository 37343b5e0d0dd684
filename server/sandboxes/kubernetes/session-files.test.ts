/**
 * Files of a kubernetes session through LAP's HTTP API (docs/files.md "Kubernetes"), against the fake
 * cluster whose kubelet runs the REAL supervisor and built-in agent per pod (test/support/fake-kubelet.ts,
 * K8S_SUPERVISOR_ACCESS=pod-ip); the model is scripted (test/support/scripted-openai.ts). An agent file
 * reaches the pod's workspace at session start; the workspace is listed, downloaded and zipped through
 * the supervisor while the pod runs; a link the agent makes is not served; bad input is a 4xx naming
 * `path`; after the session stops (claim and pod deleted) the copy LAP kept serves the same routes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { startLap, type RunningLap } from "../../main";
import { testDatabase } from "../../../test/support/db";
import type { FakeKubeApiServer } from "../../../test/support/fake-kube-apiserver";
import type { FakeKubelet } from "../../../test/support/fake-kubelet";
import { type KubeLapCluster, startKubeLapCluster } from "../../../test/support/kube-env";
import type { ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../../test/support/api-client";

const MASTER = "k8s-files-master-key-0123";
let cluster: KubeLapCluster;
let fake: FakeKubeApiServer;
let kubelet: FakeKubelet;
let lap: RunningLap;
let model: ScriptedOpenAI;
let dataDir: string;
const { api, events } = lapClient(() => lap.url, MASTER);
const raw = (path: string, headers: Record<string, string> = { authorization: `Bearer ${MASTER}` }) =>
  fetch(`${lap.url}${path}`, { headers });
type Listing = { path: string; data: Array<{ path: string; type: string; size: number }>; skipped: number; sandbox_running: boolean };
const list = async (id: string, path = "") =>
  (await api<Listing>("GET", `/api/sessions/${id}/files${path ? `?path=${encodeURIComponent(path)}` : ""}`)).body;

/** The host directory standing for the session's pod's workspace (the fake kubelet's). */
async function podWorkspace(sessionId: string): Promise<string> {
  const [row] = await lap.database.query<{ sandbox_id: string }>(
    `select sandbox_id from sandboxes where session_id = $1 and status = 'claimed'`,
    [sessionId],
  );
  const claim = fake.store.get("sandboxclaims", "default", row!.sandbox_id)!;
  const sandbox = fake.store.get("sandboxes", "default", claim.metadata.annotations!["agents.x-k8s.io/sandbox-name"]!)!;
  const podName = sandbox.metadata.annotations?.["agents.x-k8s.io/pod-name"] ?? sandbox.metadata.name;
  return kubelet.started.find((p) => p.name === podName)!.workspace;
}

beforeAll(async () => {
  cluster = await startKubeLapCluster({ name: "files", providerKey: "sk-provider-secret-files" });
  ({ fake, kubelet, model, dataDir } = cluster);
  lap = await startLap(cluster.lapEnv({ masterKey: MASTER }), {
    database: await testDatabase(),
  });
}, 90_000);

afterAll(async () => {
  await lap?.stop();
  await cluster?.close();
});

describe("a kubernetes session's files", () => {
  test("agent file in the pod, the workspace served while the pod runs and after the session stopped; bad input is a 4xx", async () => {
    const agent = await api<{ id: string }>("POST", "/api/agents", {
      name: "k8s-filer",
      model: "scripted-model",
      runtime_id: "rt_local_sandbox",
      harness: "builtin",
    });
    expect(agent.status).toBe(201);
    const upload = await api("POST", `/api/agents/${agent.body.id}/files`, {
      files: [{ path: "notes/brief.md", content_base64: Buffer.from("# the brief").toString("base64") }],
    });
    expect(upload.status).toBe(201);

    const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
    expect(session.status).toBe(201);
    const id = session.body.id;
    await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle", 30_000);

    // The agent file is in the pod's own workspace, and the agent writes one of its own.
    const workspace = await podWorkspace(id);
    expect(readFileSync(join(workspace, "notes/brief.md"), "utf8")).toBe("# the brief");
    model.script([
      { toolCalls: [{ name: "write", arguments: { path: "out/result.txt", content: "done in a pod" } }] },
      { text: "Written." },
    ]);
    expect((await api("POST", `/api/sessions/${id}/messages`, { text: "write it" })).status).toBe(202);
    await waitFor(
      "the turn",
      async () => (await events(id)).some((e) => e.type === "session.status_idle") && existsSync(join(workspace, "out/result.txt")),
      30_000,
    );
    // The agent links a file outside its workspace: never served.
    const outside = join(dataDir, "host-secret.txt");
    writeFileSync(outside, "host secret");
    symlinkSync(outside, join(workspace, "leak.txt"));

    const live = await list(id);
    expect(live.sandbox_running).toBe(true);
    expect(live.data.map((e) => `${e.type}:${e.path}`)).toEqual(["dir:notes", "dir:out", "file:notes/brief.md", "file:out/result.txt"]);
    expect(live.skipped).toBe(1);
    expect((await list(id, "out")).data.map((e) => e.path)).toEqual(["result.txt"]);
    const file = await raw(`/api/sessions/${id}/files/out/result.txt`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-disposition")).toContain('attachment; filename="result.txt"');
    expect(await file.text()).toBe("done in a pod");
    const zip = unzipSync(new Uint8Array(await (await raw(`/api/sessions/${id}/files.zip`)).arrayBuffer()));
    expect(Object.keys(zip).sort()).toEqual(["notes/brief.md", "out/result.txt"]);

    // Bad input: a 4xx naming `path`, nothing read outside.
    const leak = await raw(`/api/sessions/${id}/files/leak.txt`);
    expect(leak.status).toBe(422);
    expect(await leak.text()).not.toContain("host secret");
    for (const bad of [
      `/api/sessions/${id}/files/..%2F..%2Fetc%2Fpasswd`,
      `/api/sessions/${id}/files?path=..%2Fx`,
      `/api/sessions/${id}/files.zip?path=%2Fetc`,
    ]) {
      const res = await raw(bad);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('"field":"path"');
    }
    expect((await raw(`/api/sessions/${id}/files/nope.txt`)).status).toBe(404);
    expect((await raw(`/api/sessions/ses_unknown0000/files`)).status).toBe(404);
    expect((await raw(`/api/sessions/${id}/files`, {})).status).toBe(401);

    // Stopped: the claim (and pod) are deleted; LAP kept a copy of the workspace first.
    const [row] = await lap.database.query<{ sandbox_id: string; workspace_id: string }>(
      `select sandbox_id, workspace_id from sandboxes where session_id = $1 and status = 'claimed'`,
      [id],
    );
    expect((await api("POST", `/api/sessions/${id}/stop`)).status).toBeLessThan(300);
    await waitFor("claim deleted", () => !fake.store.get("sandboxclaims", "default", row!.sandbox_id), 20_000);
    expect(existsSync(join(dataDir, "workspaces", row!.workspace_id, "out/result.txt"))).toBe(true);
    const kept = await list(id);
    expect(kept.sandbox_running).toBe(false);
    expect(kept.data.map((e) => `${e.type}:${e.path}`)).toEqual(["dir:notes", "dir:out", "file:notes/brief.md", "file:out/result.txt"]);
    expect(await (await raw(`/api/sessions/${id}/files/out/result.txt`)).text()).toBe("done in a pod");
    const keptZip = unzipSync(new Uint8Array(await (await raw(`/api/sessions/${id}/files.zip?path=notes`)).arrayBuffer()));
    expect(new TextDecoder().decode(keptZip["brief.md"])).toBe("# the brief");
    expect((await raw(`/api/sessions/${id}/files/leak.txt`)).status).toBe(404);
  }, 90_000);
});
