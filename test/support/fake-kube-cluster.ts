/**
 * Runs the fake Kubernetes API server (see fake-kube-apiserver.ts) as its own process for the dashboard
 * e2e test, which runs under Node and cannot host Bun.serve: pods become ready by themselves, images
 * matching /missing/ fail to pull. With SEED_SANDBOXES=1 it also plays a second LAP replica sharing
 * the cluster and starts two sandboxes (one that becomes ready, one whose image cannot be pulled), after
 * SEED_AFTER_URL answers. With REAL_SUPERVISORS=1 each pod's pods/proxy reaches the real
 * harness/supervisor (built-in harness, started on first use) instead of the stand-in, so a session's
 * workspace files are real. Prints a JSON line `{ url, kubeconfig }` when ready, then `{ seeded: true }`.
 */
import { loadConfig } from "../../server/config/load";
import { createKubernetesSandboxes } from "../../server/sandboxes/kubernetes";
import { startFakeKubeApiServer } from "./fake-kube-apiserver";
import { createFakeSupervisor } from "./fake-supervisor";
import { type RealSupervisor, startRealSupervisor } from "./real-supervisor";

const real = new Map<string, Promise<RealSupervisor>>();

const fake = await startFakeKubeApiServer({
  autoReadyMs: 50,
  unpullableImage: /missing/,
  supervisorFor: (pod) => {
    if (process.env.REAL_SUPERVISORS === "1") {
      const uid = pod.metadata.uid as string;
      return async (req, path) => {
        if (!real.has(uid)) real.set(uid, startRealSupervisor());
        return (await real.get(uid)!).forward(req, path);
      };
    }
    const s = createFakeSupervisor(pod.metadata.name);
    return (req, path) => s.handle(req, path);
  },
});

let replica: Awaited<ReturnType<typeof createKubernetesSandboxes>> | undefined;
async function seed() {
  const env = { ...process.env, K8S_KUBECONFIG: fake.kubeconfigPath, LOG_LEVEL: "silent" } as Record<string, string>;
  replica = await createKubernetesSandboxes(loadConfig(env), { inCluster: false });
  await replica.start();
  // Claim once the pool is warm, so the demo sandbox is a warm start.
  for (let i = 0; i < 100 && !(await replica.pools.status()).some((p) => p.readyReplicas > 0 && p.readyReplicas === p.replicas); i++)
    await Bun.sleep(50);
  const ok = await replica.provider.create({
    harness: "opencode",
    env: {},
    workspaceId: "ws-demo-ready",
    labels: { session_id: "sess-demo" },
  });
  await replica.provider.waitReady(ok.id, { timeoutMs: 10_000 });
  await replica.provider.bind(ok.id, {
    sessionId: "sess-demo",
    agentId: "agent-demo",
    gatewayKey: "sk-demo",
    gatewayBaseUrl: "http://127.0.0.1",
    model: "demo",
  });
  const bad = await replica.provider.create({ harness: "codex", env: {}, workspaceId: "ws-demo-broken" });
  await replica.provider.waitReady(bad.id, { timeoutMs: 10_000 }).catch(() => {});
}

console.log(JSON.stringify({ url: fake.url, kubeconfig: fake.kubeconfigPath }));
if (process.env.SEED_SANDBOXES === "1") {
  // Seed only once LAP is up (SEED_AFTER_URL answers): LAP's start-up reconcile removes sandboxes no row
  // of its database owns, and this seeding replica has no rows in that database.
  const after = process.env.SEED_AFTER_URL;
  for (let i = 0; after && i < 600; i++) {
    if (
      await fetch(after).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await Bun.sleep(100);
  }
  await seed();
  console.log(JSON.stringify({ seeded: true }));
}
const stop = async () => {
  await Promise.all([...real.values()].map(async (s) => (await s.catch(() => null))?.stop()));
  await replica?.close();
  await fake.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
