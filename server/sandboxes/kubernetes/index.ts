import { join, resolve } from "node:path";
import { WORKSPACE_CAPS } from "../../files/workspace";
import { createSecretBox } from "../../lib/crypto";
import type { Config } from "../../config/load";
import type { Env } from "../../config/schema";
import type { Logger } from "../../lib/logger";
import type { SandboxHandle } from "../provider";
import { KubeClient } from "./client";
import { kubeAccessFrom, loadKubeConfig } from "./kubeconfig";
import { PodMonitor, type SandboxLost } from "./pod-monitor";
import { KubernetesSandboxProvider } from "./provider";
import { reconcileKubernetes } from "./reconciler";
import { LAP } from "./resources";
import { resolveAccess } from "./supervisor";
import type { HarnessImages, TemplateSettings } from "./templates";
import { KubernetesWarmPools } from "./warm-pool";

export { KubernetesSandboxProvider } from "./provider";
export type { SandboxLost } from "./pod-monitor";
export type { WarmTarget, WarmPoolStatus } from "./warm-pool";

/** What the Kubernetes provider reads of LAP's configuration (a `Pick` of the env). */
export type KubernetesSandboxSettings = Pick<
  Env,
  | "K8S_CONTEXT"
  | "K8S_HARNESS_IMAGE"
  | "K8S_HARNESS_IMAGE_CLAUDE_CODE"
  | "K8S_HARNESS_IMAGE_CLAUDE_SDK"
  | "K8S_HARNESS_IMAGE_CODEX"
  | "K8S_HARNESS_IMAGE_DEEPAGENTS"
  | "K8S_HARNESS_IMAGE_OPENCODE"
  | "K8S_IMAGE_PULL_POLICY"
  | "K8S_INSTANCE"
  | "K8S_KUBECONFIG"
  | "K8S_LAP_URL"
  | "K8S_NAMESPACE"
  | "K8S_RUNTIME_CLASS"
  | "K8S_SANDBOX_EGRESS"
  | "K8S_SANDBOX_READY_TIMEOUT_SECONDS"
  | "K8S_SUPERVISOR_ACCESS"
  | "K8S_SUPERVISOR_PORT"
  | "K8S_WARM_PREPARE"
  | "K8S_WORKSPACE_SIZE"
  | "K8S_WORKSPACE_STORAGE_CLASS"
  | "LAP_DATA_DIR"
  | "LAP_SANDBOX_ORPHAN_GRACE_SECONDS"
  | "LAP_WORKSPACE_ARCHIVE_MAX_BYTES"
  | "WARM_POOL_SIZE"
  | "WARM_POOL_TTL_MINUTES"
>;

/**
 * Wires the `kubernetes` provider from configuration: credentials through KubeConfig, our own client,
 * templates and warm pools per harness image, the pod monitor (pod death → onLost) and the reconciler.
 * `kube` may be passed in (tests); otherwise it is built from K8S_KUBECONFIG / in-cluster / default.
 */
export async function createKubernetesSandboxes(
  config: Pick<Config, "encryptionKey" | "containerEnv"> & { env: KubernetesSandboxSettings },
  opts: {
    logger?: Logger;
    kube?: KubeClient;
    onLost?: (event: SandboxLost) => void;
    inCluster?: boolean;
    /** How often warm sandboxes past WARM_POOL_TTL_MINUTES are recycled (default 60 s; tests shorten both). */
    recycleEveryMs?: number;
    warmTtlMs?: number;
  } = {},
) {
  const env = config.env;
  const kube =
    opts.kube ?? new KubeClient(await kubeAccessFrom(loadKubeConfig({ kubeconfigPath: env.K8S_KUBECONFIG, context: env.K8S_CONTEXT })));
  const inCluster = opts.inCluster ?? Boolean(process.env.KUBERNETES_SERVICE_HOST);
  const access = resolveAccess(env.K8S_SUPERVISOR_ACCESS, inCluster);
  if (env.K8S_IMAGE_PULL_POLICY === "Never")
    opts.logger?.warn(
      "K8S_IMAGE_PULL_POLICY=Never: sandbox images must already be on every node (kind load docker-image); otherwise pods fail with ErrImageNeverPull. Use IfNotPresent or Always with a registry.",
    );
  const images: HarnessImages = {
    default: env.K8S_HARNESS_IMAGE,
    byHarness: {
      opencode: env.K8S_HARNESS_IMAGE_OPENCODE,
      claude_sdk: env.K8S_HARNESS_IMAGE_CLAUDE_SDK,
      claude_code: env.K8S_HARNESS_IMAGE_CLAUDE_CODE,
      codex: env.K8S_HARNESS_IMAGE_CODEX,
      deepagents: env.K8S_HARNESS_IMAGE_DEEPAGENTS,
    },
  };
  const settings: TemplateSettings = {
    namespace: env.K8S_NAMESPACE,
    pullPolicy: env.K8S_IMAGE_PULL_POLICY,
    supervisorPort: env.K8S_SUPERVISOR_PORT,
    containerEnv: config.containerEnv,
    workspace: { storageClass: env.K8S_WORKSPACE_STORAGE_CLASS, size: env.K8S_WORKSPACE_SIZE },
    runtimeClass: env.K8S_RUNTIME_CLASS,
    service: access === "service",
    baseLabels: { [LAP.managed]: "true", [LAP.instance]: env.K8S_INSTANCE },
    egress: env.K8S_SANDBOX_EGRESS,
    gatewayRetrySeconds: env.LAP_SANDBOX_ORPHAN_GRACE_SECONDS,
  };
  const pools = new KubernetesWarmPools({ kube, namespace: env.K8S_NAMESPACE, images, settings, maxTotal: env.WARM_POOL_SIZE });
  const provider = new KubernetesSandboxProvider({
    kube,
    namespace: env.K8S_NAMESPACE,
    pools,
    access,
    supervisorPort: env.K8S_SUPERVISOR_PORT,
    readyTimeoutMs: env.K8S_SANDBOX_READY_TIMEOUT_SECONDS * 1000,
    pullPolicy: env.K8S_IMAGE_PULL_POLICY,
    secretBox: createSecretBox(config.encryptionKey),
    instance: env.K8S_INSTANCE,
    containerEnv: config.containerEnv,
    workspacePersistent: Boolean(env.K8S_WORKSPACE_STORAGE_CLASS),
    lapUrl: env.K8S_LAP_URL,
    prepareWarm: env.K8S_WARM_PREPARE,
    archive: {
      dir: join(resolve(env.LAP_DATA_DIR), "workspaces"),
      maxBytes: env.LAP_WORKSPACE_ARCHIVE_MAX_BYTES,
      maxFiles: WORKSPACE_CAPS.zipMaxFiles,
      timeoutMs: 120_000,
    },
    logger: opts.logger,
  });
  const listeners = new Set<(event: SandboxLost) => void>(opts.onLost ? [opts.onLost] : []);
  const endedListeners = new Set<(id: string) => void>();
  const warmTtlMs = opts.warmTtlMs ?? env.WARM_POOL_TTL_MINUTES * 60_000;
  let recycler: ReturnType<typeof setInterval> | undefined;
  const monitor = new PodMonitor({
    kube,
    namespace: env.K8S_NAMESPACE,
    instance: env.K8S_INSTANCE,
    lostPods: provider.lostPods,
    get: (id) => provider.get(id),
    onLost: (e) => listeners.forEach((l) => l(e)),
    onEnded: (id) => endedListeners.forEach((l) => l(id)),
    logger: opts.logger,
  });
  return {
    kube,
    provider,
    pools,
    monitor,
    access,
    egress: env.K8S_SANDBOX_EGRESS,
    /** Subscribe to pod loss (recovery). */
    onLost(fn: (event: SandboxLost) => void) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** Subscribe to sandboxes ending (their claim gone or going, through any replica), seen as their pod goes. */
    onEnded(fn: (id: string) => void) {
      endedListeners.add(fn);
      return () => endedListeners.delete(fn);
    },
    /** Ensures the default image's template and pool (sized WARM_POOL_SIZE), starts the pod monitor and TTL recycling. */
    async start() {
      await pools.ensure(env.K8S_HARNESS_IMAGE, env.WARM_POOL_SIZE);
      monitor.start();
      // Idempotent across replicas: two LAPs deleting the same expired sandbox is a 404 for one of them.
      recycler ??= setInterval(() => {
        pools.recycleExpired(warmTtlMs).catch((err) => opts.logger?.warn({ err: (err as Error).message }, "warm sandbox recycling failed"));
      }, opts.recycleEveryMs ?? 60_000);
    },
    reconcile: (isOwned: (h: SandboxHandle) => Promise<boolean> | boolean) =>
      reconcileKubernetes({
        kube,
        namespace: env.K8S_NAMESPACE,
        instance: env.K8S_INSTANCE,
        provider,
        pools,
        isOwned,
        warmTtlMs,
        logger: opts.logger,
      }),
    close: () => {
      if (recycler) clearInterval(recycler);
      recycler = undefined;
      return monitor.stop();
    },
  };
}

export type KubernetesSandboxes = Awaited<ReturnType<typeof createKubernetesSandboxes>>;
