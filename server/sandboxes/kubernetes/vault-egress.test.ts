/**
 * Vault secrets and the egress allow-list on LAP_SANDBOX=kubernetes, through LAP's HTTP API against the
 * fake cluster: the fake kubelet runs the REAL supervisor and built-in harness as the pod's process (a
 * warm pod, started before its session was known). The agent has a vault secret bound to a loopback TLS
 * server (standing in for api.github.com, its certificate from a CA standing in for a public one) and an
 * allow-list; the scripted model makes the agent run curl in the pod with the stub. Through LAP's pod
 * egress proxy the bound host gets the real value, an allowed unbound host the stub, a host off the
 * list is refused; the records carry the session. Wrong or missing proxy credentials get 407, unrecorded.
 * A LAP that did not bind the pod restores its egress from the claim and the vault.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import { startLap, type RunningLap } from "../../main";
import { testDatabase } from "../../../test/support/db";
import type { FakeKubeApiServer } from "../../../test/support/fake-kube-apiserver";
import { type KubeLapCluster, startKubeLapCluster, TEST_ENCRYPTION_KEY } from "../../../test/support/kube-env";
import { LOOPBACK_FAKES_ALLOWED } from "../../../test/support/destinations";
import type { ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { createSecretBox } from "../../lib/crypto";
import { LAP } from "./resources";
import { lapClient, waitFor } from "../../../test/support/api-client";
import { startEgressTargets } from "../../../test/support/egress-targets";

const MASTER = "k8s-vault-master-key";
const VAULT_VALUE = "ghp_REALK8SVAULTVALUE_51c0de";
let cluster: KubeLapCluster;
let fake: FakeKubeApiServer;
let lap: RunningLap;
let model: ScriptedOpenAI;
let boundApi: ReturnType<typeof Bun.serve>;
let otherApi: ReturnType<typeof Bun.serve>;
const seen: { bound: Array<string | null>; other: Array<string | null> } = { bound: [], other: [] };

const { api, events } = lapClient(() => lap.url, MASTER);
/** Sends one raw proxy request head to LAP's pod egress proxy and returns the status line. */
async function proxyStatus(head: string): Promise<string> {
  const port = await lap.sandboxes.podEgressProxy().port();
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(head));
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => resolve(got.split("\r\n")[0] ?? ""));
    s.on("error", reject);
  });
}
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

beforeAll(async () => {
  cluster = await startKubeLapCluster({ name: "vault", providerKey: "sk-provider-k8s-vault" });
  ({ fake, model } = cluster);
  const dataDir = cluster.dataDir;
  let caFile: string;
  ({ boundApi, otherApi, caFile } = await startEgressTargets(dataDir, seen));
  const env = cluster.lapEnv({ masterKey: MASTER }, { EGRESS_UPSTREAM_CA_FILE: caFile, LAP_ALLOW_PRIVATE_HOSTS: LOOPBACK_FAKES_ALLOWED });
  // A copy of the migrated template (PGlite), or a fresh PostgreSQL database dropped when LAP closes it.
  lap = await startLap(env, { database: await testDatabase() });
}, 90_000);

afterAll(async () => {
  await lap?.stop();
  await cluster?.close();
  boundApi?.stop(true);
  otherApi?.stop(true);
});

test("a pod's stub becomes the real value only toward its bound host; the allow-list holds; records carry the session; bad proxy credentials get 407", async () => {
  expect((await api("POST", "/api/vault", { name: "GITHUB_TOKEN", value: VAULT_VALUE, hosts: ["localhost"] })).status).toBe(201);
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "k8s-vault-user",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    vault_keys: ["GITHUB_TOKEN"],
    egress_allow_hosts: ["127.0.0.1"],
  });
  expect(agent.status).toBe(201);
  // The session lands on the warm pod: its harness was running before the session, its stub or proxy were known.
  await waitFor(
    "a ready warm sandbox",
    () => fake.store.list("sandboxwarmpools", "default").some((p) => (p.status?.readyReplicas ?? 0) >= 1),
    20_000,
  );
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  expect(session.status).toBe(201);
  const id = session.body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");

  const command = [
    "echo STUB=$GITHUB_TOKEN",
    "echo PROXY_SET=${HTTPS_PROXY:+yes}",
    // NO_PROXY lists localhost (LAP itself); force the proxy for these calls.
    `curl -sS --noproxy '' -H "Authorization: Bearer $GITHUB_TOKEN" https://localhost:${boundApi.port}/api; echo`,
    `curl -sS --noproxy '' -H "Authorization: Bearer $GITHUB_TOKEN" http://127.0.0.1:${otherApi.port}/api; echo`,
    `curl -s --noproxy '' -o /dev/null -w 'DENIED=%{http_connect}\\n' -H "Authorization: Bearer $GITHUB_TOKEN" https://denied.example.com/ || true`,
    "echo RUN_DONE",
  ].join("; ");
  model.script([{ toolCalls: [{ name: "bash", arguments: { command } }] }, { text: "done" }]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "call the apis" })).status).toBe(202);
  await waitFor("the turn", async () => (await events(id)).some((e) => e.type === "agent.message"), 60_000);
  await waitFor("idle after the turn", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");

  const output = (await events(id))
    .filter((e) => e.type === "agent.tool_result")
    .map((e) => JSON.stringify(e.data))
    .join("\n");
  expect(output).toContain("RUN_DONE");
  expect(output).toContain("PROXY_SET=yes");
  expect(output).toMatch(/STUB=stub_github_token_[0-9a-f]{12}/);
  expect(output).not.toContain(VAULT_VALUE);
  expect(output).toContain("bound api says hi");
  expect(output).toContain("other api says hi");
  expect(output).toMatch(/DENIED=403/);
  const stub = /STUB=(stub_github_token_[0-9a-f]{12})/.exec(output)![1]!;
  expect(seen.bound).toEqual([`Bearer ${VAULT_VALUE}`]);
  expect(seen.other).toEqual([`Bearer ${stub}`]);

  await lap.sandboxes.egressRecords.flush();
  const records = (
    await api<{
      data: Array<{ host: string; outcome: string; swapped: string[]; refused: string[]; session_id: string | null; sandbox_id: string }>;
    }>("GET", `/api/sandboxes/egress?session_id=${id}`)
  ).body.data;
  expect(records.some((r) => r.host === "localhost" && r.outcome === "allowed" && r.swapped.includes("GITHUB_TOKEN"))).toBe(true);
  expect(records.some((r) => r.host === "127.0.0.1" && r.outcome === "allowed" && r.refused.includes("GITHUB_TOKEN"))).toBe(true);
  expect(records.some((r) => r.host === "denied.example.com" && r.outcome === "denied")).toBe(true);
  expect(records.every((r) => r.session_id === id)).toBe(true);
  const sandboxId = records[0]!.sandbox_id;

  // The proxy is LAP's, reachable by anything that can reach LAP: without the sandbox's own token, nothing.
  const before = records.length;
  expect(await proxyStatus(`CONNECT localhost:${boundApi.port} HTTP/1.1\r\nhost: localhost\r\n\r\n`)).toBe(
    "HTTP/1.1 407 Proxy Authentication Required",
  );
  expect(
    await proxyStatus(`CONNECT localhost:${boundApi.port} HTTP/1.1\r\nproxy-authorization: ${basic(sandboxId, "not-the-token")}\r\n\r\n`),
  ).toBe("HTTP/1.1 407 Proxy Authentication Required");
  expect(
    await proxyStatus(`GET http://127.0.0.1:${otherApi.port}/api HTTP/1.1\r\nproxy-authorization: ${basic("lap-unknown", "x")}\r\n\r\n`),
  ).toBe("HTTP/1.1 407 Proxy Authentication Required");
  await lap.sandboxes.egressRecords.flush();
  const all = (await api<{ data: unknown[] }>("GET", `/api/sandboxes/egress?sandbox_id=${sandboxId}`)).body.data;
  expect(all.length).toBe(before);
  expect(seen.other.length).toBe(1);
  expect(seen.bound.length).toBe(1);

  // The real token (sealed in the claim) works until the session stops and its claim is deleted.
  const sealed = fake.store.get("sandboxclaims", "default", sandboxId)!.metadata.annotations![LAP.supervisorToken]!;
  const { egressToken } = JSON.parse(createSecretBox(Buffer.from(TEST_ENCRYPTION_KEY, "base64")).decrypt(sealed)) as {
    egressToken: string;
  };
  expect(lap.sandboxes.podEgressProxy().authenticate(basic(sandboxId, egressToken))?.sandboxId).toBe(sandboxId);

  // A LAP that did not bind this pod (restarted, or another replica behind the Service) knows neither its
  // token nor its policy; it restores both from the claim and the vault, and the same stub works again.
  lap.sandboxes.podEgressProxy().unregister(sandboxId);
  expect(lap.sandboxes.podEgressProxy().authenticate(basic(sandboxId, egressToken))).toBeNull();
  expect(await lap.sandboxes.restorePodEgress()).toEqual([sandboxId]);
  expect(await lap.sandboxes.restorePodEgress()).toEqual([]);
  const replies = (await events(id)).filter((e) => e.type === "session.status_idle").length;
  model.script([
    {
      toolCalls: [
        {
          name: "bash",
          arguments: {
            command: `curl -sS --noproxy '' -H "Authorization: Bearer $GITHUB_TOKEN" https://localhost:${boundApi.port}/api; echo; echo AGAIN_DONE`,
          },
        },
      ],
    },
    { text: "again" },
  ]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "call the bound api again" })).status).toBe(202);
  await waitFor("the second turn", async () => (await events(id)).filter((e) => e.type === "session.status_idle").length > replies, 60_000);
  expect(
    (await events(id))
      .filter((e) => e.type === "agent.tool_result")
      .map((e) => JSON.stringify(e.data))
      .join("\n"),
  ).toContain("AGAIN_DONE");
  expect(seen.bound).toEqual([`Bearer ${VAULT_VALUE}`, `Bearer ${VAULT_VALUE}`]);

  expect((await api("POST", `/api/sessions/${id}/stop`)).status).toBe(200);
  await waitFor("the claim to go", () => !fake.store.get("sandboxclaims", "default", sandboxId));
  expect(lap.sandboxes.podEgressProxy().authenticate(basic(sandboxId, egressToken))).toBeNull();

  // A pod another replica registered whose claim is gone since: the next pass drops it here too.
  lap.sandboxes.podEgressProxy().register("lap-ended-elsewhere", { token: "t0k3n", allowHosts: [] });
  await Bun.sleep(5);
  await lap.sandboxes.restorePodEgress();
  expect(lap.sandboxes.podEgressProxy().knows("lap-ended-elsewhere")).toBe(false);
}, 90_000);
