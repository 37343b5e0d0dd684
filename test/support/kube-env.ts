/**
 * One fake cluster plus a LAP kubernetes provider wired to it through a real kubeconfig file (CA and
 * client certificate inlined), as `LAP_SANDBOX=kubernetes` would be configured.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../server/config/load";
import { createLogger } from "../../server/lib/logger";
import { createKubernetesSandboxes, type KubernetesSandboxes } from "../../server/sandboxes/kubernetes";
import type { SandboxLost } from "../../server/sandboxes/kubernetes/pod-monitor";
import { startFakeKubeApiServer, type FakeKubeApiServer, type FakeKubeOptions } from "./fake-kube-apiserver";
import { createFakeSupervisor, type FakeSupervisor } from "./fake-supervisor";
import { FakeKubelet } from "./fake-kubelet";
import { startScriptedOpenAI, type ScriptedOpenAI } from "./scripted-openai";

export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");

export interface KubeTestEnv {
  fake: FakeKubeApiServer;
  lap: KubernetesSandboxes;
  /** Supervisors by pod uid (a replacement pod gets a fresh, unbound one). */
  supervisors: Map<string, FakeSupervisor>;
  lost: SandboxLost[];
  env: Record<string, string>;
  /** A second LAP process against the same cluster (a restart). */
  restart(): Promise<KubernetesSandboxes>;
  podOf(id: string): string;
  close(): Promise<void>;
}

export async function kubeTestEnv(
  env: Record<string, string> = {},
  fakeOpts: FakeKubeOptions = {},
  lapOpts: { recycleEveryMs?: number; warmTtlMs?: number } = {},
): Promise<KubeTestEnv> {
  const supervisors = new Map<string, FakeSupervisor>();
  const fake = await startFakeKubeApiServer({
    bookmarkIntervalMs: 200,
    supervisorFor: (pod) => {
      const s = createFakeSupervisor(pod.metadata.name);
      supervisors.set(pod.metadata.uid, s);
      return (req, path) => s.handle(req, path);
    },
    ...fakeOpts,
  });
  const rawEnv: Record<string, string> = {
    LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-k8s-")),
    MASTER_KEY: "test-master-key-0123456789",
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: "silent",
    K8S_KUBECONFIG: fake.kubeconfigPath,
    K8S_IMAGE_PULL_POLICY: "IfNotPresent",
    K8S_SUPERVISOR_ACCESS: "apiserver-proxy",
    WARM_POOL_SIZE: "0",
    // A free port for LAP's pod egress proxy: several LAPs (and test files) run at once.
    K8S_EGRESS_PROXY_PORT: "0",
    CONTAINER_ENV_TZ: "UTC",
    ...env,
  };
  const logger = createLogger("silent");
  const lost: SandboxLost[] = [];
  const instances: KubernetesSandboxes[] = [];
  const make = async () => {
    const lap = await createKubernetesSandboxes(loadConfig(rawEnv), { logger, onLost: (e) => lost.push(e), inCluster: false, ...lapOpts });
    instances.push(lap);
    await lap.start();
    return lap;
  };
  const lap = await make();
  return {
    fake,
    lap,
    supervisors,
    lost,
    env: rawEnv,
    restart: make,
    podOf: (id) => {
      const claim = fake.store.get("sandboxclaims", "default", id);
      return claim?.metadata.annotations?.["agents.x-k8s.io/sandbox-name"];
    },
    async close() {
      for (const i of instances) await i.close();
      await fake.close();
    },
  };
}

/** Waits until `fn` returns something truthy (for asserting on asynchronous controller effects). */
export async function eventually<T>(fn: () => T | Promise<T>, ms = 3000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms}ms`);
    await Bun.sleep(10);
  }
}

/**
 * The environment of a whole LAP (startLap) on the fake cluster whose pods run the real supervisor
 * (test/support/fake-kubelet.ts), reached by pod IP, with the built-in harness image and one warm pod.
 */
export function kubeLapEnv(
  o: { dataDir: string; masterKey: string; kubeconfigPath: string; supervisorPort: number; gatewayConfig: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    LAP_DATA_DIR: o.dataDir,
    PORT: "0",
    MASTER_KEY: o.masterKey,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: "silent",
    LAP_GATEWAY_CONFIG: o.gatewayConfig,
    LAP_SANDBOX: "kubernetes",
    K8S_EGRESS_PROXY_PORT: "0",
    K8S_KUBECONFIG: o.kubeconfigPath,
    K8S_SUPERVISOR_ACCESS: "pod-ip",
    K8S_SUPERVISOR_PORT: String(o.supervisorPort),
    K8S_IMAGE_PULL_POLICY: "IfNotPresent",
    K8S_HARNESS_IMAGE: "lap-builtin:test",
    WARM_POOL_SIZE: "1",
    PATH: process.env.PATH ?? "",
    ...extra,
  };
}

/**
 * A fake cluster whose pods run the real supervisor (FakeKubelet), a scripted model, and the files a whole
 * LAP on it needs (data dir, gateway config naming the model): `lapEnv()` is the env for startLap.
 */
export interface KubeLapCluster {
  fake: FakeKubeApiServer;
  kubelet: FakeKubelet;
  model: ScriptedOpenAI;
  dataDir: string;
  lapEnv(o: { masterKey: string }, extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function startKubeLapCluster(o: {
  /** Names the data dir (lap-k8s-<name>-…). */
  name: string;
  /** The provider key in the gateway config (tests assert it never reaches a pod). */
  providerKey: string;
  /** A pod's image pull and container start in the fake kubelet. */
  startMs?: number;
  /** Keep warm-pool pods Pending until kubelet.release() (a pool still filling). */
  holdWarmPool?: boolean;
}): Promise<KubeLapCluster> {
  const model = startScriptedOpenAI();
  const fake = await startFakeKubeApiServer({ bookmarkIntervalMs: 200 });
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const supervisorPort = probe.port!;
  probe.stop(true);
  const kubelet = new FakeKubelet(fake, { port: supervisorPort, startMs: o.startMs ?? 100 });
  kubelet.holdWarmPool = o.holdWarmPool ?? false;
  const dataDir = mkdtempSync(join(tmpdir(), `lap-k8s-${o.name}-`));
  const gatewayConfig = join(dataDir, "gateway.yaml");
  writeFileSync(
    gatewayConfig,
    `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: ${o.providerKey} }\n`,
  );
  return {
    fake,
    kubelet,
    model,
    dataDir,
    lapEnv: ({ masterKey }, extra = {}) =>
      kubeLapEnv({ dataDir, masterKey, kubeconfigPath: fake.kubeconfigPath, supervisorPort, gatewayConfig }, extra),
    async close() {
      await kubelet.close();
      await fake.close();
      await model.stop();
    },
  };
}
