/**
 * A pod's egress on a LAP replica that did not bind it, before that replica's next reconcile pass: two
 * replicas (two SandboxServices, each with its own kubernetes provider and pod egress proxy) on one
 * database (PGlite, or PostgreSQL with LAP_TEST_DB=postgres) and one fake cluster, reconciling only at
 * start (K8S_RECONCILE_INTERVAL_SECONDS=3600). Replica A binds the pod; its first request goes through
 * replica B's proxy, which looks the claim up on demand (one GET, asserted on the fake API server's
 * request log), restores the pod's egress as restore-egress.ts does, and serves it: the vault value is
 * swapped in toward its bound host and the allow-list holds. Made-up, wrong and stale credentials get 407,
 * are recorded nowhere and are not looked up again and again.
 */
import { agentsForSandboxes } from "../../agents/for-sandboxes";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../config/load";
import type { Database } from "../../db/client";
import { createSecretBox } from "../../lib/crypto";
import { createLogger } from "../../lib/logger";
import { testDatabase } from "../../../test/support/db";
import { eventually, kubeTestEnv, TEST_ENCRYPTION_KEY, type KubeTestEnv } from "../../../test/support/kube-env";
import { LOOPBACK_FAKES_ALLOWED, loopbackFakesAllowed } from "../../../test/support/destinations";
import type { AgentDefinition } from "../../runtimes/adapter";
import { VaultService } from "../../vault/service";
import type { KubernetesSandboxes } from ".";
import { LAP } from "./resources";
import { SandboxService } from "../service";
import { sandboxConfigFrom } from "../settings";
import { sessionsForSandboxes } from "../../sessions/for-sandboxes";

const REAL_VALUE = "real-api-token-0f9e8d7c";
const box = createSecretBox(Buffer.from(TEST_ENCRYPTION_KEY, "base64"));
let t: KubeTestEnv;
let database: Database;
let a: SandboxService;
let b: SandboxService;
let lapB: KubernetesSandboxes;
let upstream: ReturnType<typeof Bun.serve>;
const seen: Array<string | null> = [];

const agent: AgentDefinition = {
  id: "agt_od",
  name: "od",
  description: "",
  model: "m",
  systemPrompt: "",
  tools: [],
  mcpServers: [],
  environment: {},
  repoUrl: null,
  repoBranch: null,
  approvalRequiredTools: [],
};
const adapterOf = (svc: SandboxService) =>
  svc.adapter({
    gatewayBaseUrl: "http://127.0.0.1:9/v1",
    mintSessionKey: async ({ sessionId }) => `sk-${sessionId}`,
    history: async () => [],
  });

function service(kubernetes: KubernetesSandboxes, vault: VaultService) {
  return new SandboxService({
    ...sandboxConfigFrom(
      loadConfig({
        ...t.env,
        LAP_SANDBOX: "kubernetes",
        HOST: "127.0.0.1",
        K8S_RECONCILE_INTERVAL_SECONDS: "3600",
        LAP_ALLOW_PRIVATE_HOSTS: LOOPBACK_FAKES_ALLOWED,
      }),
      t.env,
    ),
    database,
    sessions: sessionsForSandboxes(database),
    agents: agentsForSandboxes(database),
    logger: createLogger("silent"),
    lapUpstream: () => ({ host: "127.0.0.1", port: 9 }),
    kubernetes,
    vault: {
      resolve: (names, teamId) => vault.resolve(names, teamId),
      secretsUsed: (uses) => vault.markUsed(uses),
      secretsNamed: (names, tx) => vault.secretsNamed(names, tx),
    },
  });
}

/** A session whose sandbox replica A creates and binds; its egress credentials and vault stub, from the claim. */
async function boundByA(sessionId: string) {
  await database.query(`insert into sessions (id, agent_id, status) values ($1, 'agt_od', 'idle')`, [sessionId]);
  await adapterOf(a).startSession({
    ref: { remoteAgentId: agent.id, remoteEnvironmentId: null, signature: "s" },
    agent,
    localSessionId: sessionId,
    title: "",
  });
  const [row] = await database.query<{ sandbox_id: string }>(`select sandbox_id from sandboxes where session_id = $1`, [sessionId]);
  const id = row!.sandbox_id;
  const sealed = JSON.parse(box.decrypt(t.fake.store.get("sandboxclaims", "default", id)!.metadata.annotations![LAP.supervisorToken]!)) as {
    egressToken: string;
    env: Record<string, string>;
  };
  return { id, token: sealed.egressToken, stub: sealed.env.API_TOKEN! };
}

/** One plain-HTTP request through a replica's pod egress proxy with these proxy credentials. */
async function via(svc: SandboxService, user: string, pass: string, url: string, authorization: string) {
  const port = await svc.podEgressProxy().port();
  const proxy = `http://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`;
  const res = await fetch(url, { headers: { authorization }, proxy } as RequestInit);
  await res.arrayBuffer();
  return res.status;
}

const claimGets = (id: string) =>
  t.fake.requests.filter((r) => r.startsWith(`GET /apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxclaims/${id} `))
    .length;
const recordsOf = async (svc: SandboxService, sandboxId: string) => {
  await svc.egressRecords.flush();
  return (await svc.egressRecords.list({ sandbox_id: sandboxId, limit: 100 })).data;
};

beforeAll(async () => {
  t = await kubeTestEnv({}, { autoReadyMs: 20 });
  lapB = await t.restart();
  database = await testDatabase();
  const vault = new VaultService({ database, box, destinations: loopbackFakesAllowed() });
  await vault.create({ name: "API_TOKEN", value: REAL_VALUE, hosts: ["127.0.0.1"] });
  await database.query(
    `insert into agents (id, name, model, harness, vault_keys, egress_allow_hosts) values ('agt_od', 'od', 'm', 'opencode', '["API_TOKEN"]'::jsonb, '["127.0.0.1"]'::jsonb)`,
  );
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => (seen.push(req.headers.get("authorization")), new Response("upstream ok")),
  });
  a = service(t.lap, vault);
  b = service(lapB, vault);
  a.start();
  b.start();
  await Promise.all([a.egressRestored, b.egressRestored]);
}, 60_000);

afterAll(async () => {
  await a?.shutdown();
  await b?.shutdown();
  await t?.close();
  await database?.close();
  upstream?.stop(true);
});

describe("a pod bound by replica A, its egress through replica B", () => {
  test("its first request through B succeeds at once: the vault value is swapped in, the allow-list holds, one claim lookup", async () => {
    const pod = await boundByA("ses_od_first");
    expect(b.podEgressProxy().knows(pod.id)).toBe(false);
    const before = claimGets(pod.id);
    expect(await via(b, pod.id, pod.token, `http://127.0.0.1:${upstream.port}/api`, `Bearer ${pod.stub}`)).toBe(200);
    expect(seen).toEqual([`Bearer ${REAL_VALUE}`]);
    expect(claimGets(pod.id)).toBe(before + 1);
    // Known now: the denied host is refused by B's copy of the policy, without another lookup.
    expect(await via(b, pod.id, pod.token, "http://denied.example.com/api", `Bearer ${pod.stub}`)).toBe(403);
    expect(claimGets(pod.id)).toBe(before + 1);
    const records = await recordsOf(b, pod.id);
    expect(records.map((r) => [r.host, r.outcome, r.swapped])).toEqual(
      expect.arrayContaining([
        ["127.0.0.1", "allowed", ["API_TOKEN"]],
        ["denied.example.com", "denied", []],
      ]),
    );
    expect(records).toHaveLength(2);
  }, 30_000);

  test("made-up or wrong credentials get 407, are recorded nowhere, and are looked up at most once", async () => {
    const url = `http://127.0.0.1:${upstream.port}/api`;
    const served = seen.length;
    // No such claim: one GET (404), then the miss is remembered.
    for (let i = 0; i < 3; i++) expect(await via(b, "lap-000000000000", "guess", url, "Bearer x")).toBe(407);
    expect(claimGets("lap-000000000000")).toBe(1);
    expect(t.fake.requests.filter((r) => r.includes("sandboxclaims/lap-000000000000 404"))).toHaveLength(1);
    // Not a name a claim can have: never looked up.
    const requests = t.fake.requests.length;
    expect(await via(b, "Not_A/Claim", "guess", url, "Bearer x")).toBe(407);
    expect(await via(b, "x".repeat(300), "guess", url, "Bearer x")).toBe(407);
    expect(t.fake.requests.slice(requests).filter((r) => r.includes("/sandboxclaims/"))).toEqual([]);

    // A real pod B does not know yet, with the wrong token: one lookup, then B knows it and the token stays wrong.
    const pod = await boundByA("ses_od_wrong");
    const before = claimGets(pod.id);
    for (let i = 0; i < 3; i++) expect(await via(b, pod.id, "not-the-token", url, `Bearer ${pod.stub}`)).toBe(407);
    expect(claimGets(pod.id)).toBe(before + 1);
    expect(await recordsOf(b, pod.id)).toEqual([]);
    expect(seen.length).toBe(served);
    // The pod itself is not locked out by someone guessing its id.
    expect(await via(b, pod.id, pod.token, url, `Bearer ${pod.stub}`)).toBe(200);
    expect(seen.slice(served)).toEqual([`Bearer ${REAL_VALUE}`]);
  }, 30_000);

  test("a deleted claim's old credentials get 407 on the replica that never saw it, and on the one that served it", async () => {
    const url = `http://127.0.0.1:${upstream.port}/api`;
    // Ended through A before B ever saw it: B's lookup finds no claim.
    const unseen = await boundByA("ses_od_unseen");
    await adapterOf(a).stopSession("ses_od_unseen");
    await eventually(() => !t.fake.store.get("sandboxclaims", "default", unseen.id));
    expect(await via(b, unseen.id, unseen.token, url, `Bearer ${unseen.stub}`)).toBe(407);
    expect(await via(a, unseen.id, unseen.token, url, `Bearer ${unseen.stub}`)).toBe(407);
    expect(await recordsOf(b, unseen.id)).toEqual([]);

    // Served by B on demand, then ended through A: B drops it when the claim goes (its pod watch), not an interval later.
    const served = await boundByA("ses_od_served");
    expect(await via(b, served.id, served.token, url, `Bearer ${served.stub}`)).toBe(200);
    await adapterOf(a).stopSession("ses_od_served");
    await eventually(() => !t.fake.store.get("sandboxclaims", "default", served.id));
    await eventually(() => !b.podEgressProxy().knows(served.id));
    expect(await via(b, served.id, served.token, url, `Bearer ${served.stub}`)).toBe(407);
  }, 30_000);
});
