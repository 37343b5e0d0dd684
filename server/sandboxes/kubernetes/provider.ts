import { randomBytes } from "node:crypto";
import type { SecretBox } from "../../lib/crypto";
import type { Logger } from "../../lib/logger";
import {
  SandboxError,
  type SandboxBinding,
  type SandboxBound,
  boundFrom,
  type SandboxHandle,
  type SandboxPreparation,
  type SandboxProvider,
  type SandboxSpec,
  type SupervisorConnection,
} from "../provider";
import { KubeApiError, type KubeClient } from "./client";
import { podEgressEnv } from "./egress-env";
import type { PodEgressPort } from "./pod-egress";
import { waitForClaim } from "./readiness";
import { claimHandle, labelSafe, labelValue, pickPod, sandboxNameOf, specLabelsOf } from "./claim-handle";
import { podServing } from "./diagnose";
import { AS, LAP, POD, SANDBOX, SANDBOX_CLAIM, type KubeObject } from "./resources";
import { type Sealed, type SealedEgress, sealedEgressFrom, unsealClaim } from "./sealed";
import { supervisorConnection, type SupervisorAccess } from "./supervisor";
import type { KubernetesWarmPools } from "./warm-pool";
import { archivePodWorkspace, type WorkspaceArchiveSettings } from "./workspace-archive";

/**
 * The `kubernetes` SandboxProvider: one SandboxClaim per sandbox against the warm pool of its harness
 * image. The claim carries no env (that would force a cold start); identity, keys and per-session env go
 * to the supervisor by `bind` after the claim. The claim name is the sandbox id, random per create, so a
 * new session can never land on an old, terminating pod that had a fixed name.
 */
export interface KubernetesProviderDeps {
  kube: KubeClient;
  namespace: string;
  pools: KubernetesWarmPools;
  access: SupervisorAccess;
  supervisorPort: number;
  readyTimeoutMs: number;
  pullPolicy: string;
  secretBox: SecretBox;
  /** Label value that scopes this LAP installation's objects in a shared namespace. */
  instance: string;
  /** CONTAINER_ENV_* already baked into templates; the rest of a spec's env goes through bind. */
  containerEnv: Record<string, string>;
  workspacePersistent: boolean;
  /** Origin pods reach LAP at (K8S_LAP_URL): replaces the origin of the gateway URL LAP hands out. */
  lapUrl?: string;
  /** K8S_WARM_PREPARE: the provider pre-starts a warm claim's harness (`prepare`), so the generic pool keeps per-agent claims. */
  prepareWarm?: boolean;
  /** Where a bound pod's workspace is copied before the pod goes (./workspace-archive.ts); absent: not copied. */
  archive?: WorkspaceArchiveSettings;
  logger?: Logger;
}

/** The same path on another origin (`http://lap.svc:3000` + `http://localhost:3000/v1` → `http://lap.svc:3000/v1`). */
export function onOrigin(url: string, origin: string | undefined): string {
  if (!origin) return url;
  const u = new URL(url);
  return `${origin.replace(/\/+$/, "")}${u.pathname.replace(/\/+$/, "")}`;
}

export type { SealedEgress };
export { labelValue, sandboxNameOf };

export class KubernetesSandboxProvider implements SandboxProvider {
  readonly name = "kubernetes" as const;
  /** Tells the generic warm pool that this platform keeps its own pool: size it, do not pre-create. */
  readonly externalWarmPool: KubernetesWarmPools;
  /** Pod uids seen dead per sandbox: waitReady waits for their replacement. */
  readonly lostPods = new Map<string, Set<string>>();

  /**
   * Warm pre-start (K8S_WARM_PREPARE, docs/kubernetes.md "Warm pool"): the generic warm pool holds claims
   * per agent and has each one's supervisor start the agent's harness before any session. Absent otherwise.
   */
  readonly prepare?: (id: string, preparation: SandboxPreparation, gatewayBaseUrl: string) => Promise<{ harness: string }>;

  constructor(private readonly deps: KubernetesProviderDeps) {
    this.externalWarmPool = deps.pools;
    if (deps.prepareWarm)
      this.prepare = (id, preparation, gatewayBaseUrl) =>
        this.guarded(`prepare sandbox ${id}`, () => this.prepareInner(id, preparation, gatewayBaseUrl));
  }

  private egress: PodEgressPort | null = null;
  /** LAP's egress proxy for pods (the sandbox service starts it); without it pods get no proxy settings. */
  useEgress(egress: PodEgressPort) {
    this.egress = egress;
  }

  private get ns() {
    return this.deps.namespace;
  }

  /** API server down, RBAC missing, CRDs not installed: a SandboxError with the reason, never a bare fetch error. */
  private async guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      const detail = err instanceof KubeApiError ? `${err.status} ${err.reason}: ${err.message}` : (err as Error).message;
      throw new SandboxError("unavailable", `Kubernetes API at ${this.deps.kube.server} refused to ${what} (${detail})`);
    }
  }

  create(spec: SandboxSpec): Promise<SandboxHandle> {
    return this.guarded("create a sandbox", () => this.createClaim(spec));
  }

  private async createClaim(spec: SandboxSpec): Promise<SandboxHandle> {
    const image = this.deps.pools.imageFor(spec.harness, spec.image);
    const pool = await this.deps.pools.ensure(image);
    const id = spec.name ?? `lap-${randomBytes(6).toString("hex")}`;
    const extraEnv = Object.fromEntries(Object.entries(spec.env).filter(([k, v]) => this.deps.containerEnv[k] !== v));
    const sealed: Sealed = {
      token: randomBytes(24).toString("base64url"),
      env: extraEnv,
      egressToken: randomBytes(24).toString("base64url"),
      allowHosts: spec.egressAllowHosts ?? [],
    };
    const labels = {
      [LAP.managed]: "true",
      [LAP.instance]: this.deps.instance,
      [LAP.sandboxId]: id,
      [LAP.workspace]: labelSafe(spec.workspaceId),
    };
    const claim = await this.deps.kube
      .create<KubeObject>(SANDBOX_CLAIM, this.ns, {
        metadata: {
          name: id,
          labels: { ...labels, [LAP.harness]: labelValue(spec.harness) },
          annotations: {
            [LAP.supervisorToken]: this.deps.secretBox.encrypt(JSON.stringify(sealed)),
            [LAP.specLabels]: JSON.stringify(spec.labels ?? {}),
            "lap.dev/workspace-id": spec.workspaceId,
            "lap.dev/image": image,
            "lap.dev/harness": spec.harness,
          },
        },
        spec: { warmPoolRef: { name: pool }, additionalPodMetadata: { labels }, lifecycle: { shutdownPolicy: "Delete" } },
      })
      .catch((err) => this.existingClaim(err, id, labels[LAP.workspace]!));
    const { sandbox, pod } = claim.metadata.uid && sandboxNameOf(claim) ? await this.parts(id) : { sandbox: null, pod: null };
    return this.handle(claim, sandbox, pod);
  }

  /**
   * 409 AlreadyExists on a named create: another replica (or a retry whose first answer was lost) made
   * this claim. It is ours to use when it is for the same workspace and not going away; otherwise the
   * name belongs to something else and creating fails.
   */
  private async existingClaim(err: unknown, id: string, workspaceLabel: string): Promise<KubeObject> {
    if (!(err instanceof KubeApiError) || err.status !== 409) throw err;
    const existing = await this.deps.kube.find<KubeObject>(SANDBOX_CLAIM, this.ns, id);
    if (!existing || existing.metadata.deletionTimestamp || existing.metadata.labels?.[LAP.workspace] !== workspaceLabel)
      throw new SandboxError("failed", `sandbox ${id} already exists for another workspace or is being deleted (409 from the API server)`);
    this.deps.logger?.info({ sandbox: id }, "kubernetes claim already created (another replica or a retry); using it");
    return existing;
  }

  waitReady(id: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SandboxHandle> {
    return this.guarded(`wait for sandbox ${id}`, () => this.waitReadyInner(id, opts));
  }

  private async waitReadyInner(id: string, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<SandboxHandle> {
    const { claim, sandbox } = await this.parts(id);
    if (!claim) throw new SandboxError("not_found", `sandbox ${id} does not exist`);
    if (sandbox?.spec?.operatingMode === "Suspended")
      await this.deps.kube.mergePatch(SANDBOX, this.ns, sandbox.metadata.name, { spec: { operatingMode: "Running" } });
    const ready = await waitForClaim({
      kube: this.deps.kube,
      namespace: this.ns,
      id,
      timeoutMs: opts.timeoutMs ?? this.deps.readyTimeoutMs,
      signal: opts.signal,
      pullPolicy: this.deps.pullPolicy,
      ignorePodUids: this.lostPods.get(id),
    });
    const sb = await this.deps.kube.find<KubeObject>(SANDBOX, this.ns, ready.claim.status?.sandbox?.name ?? ready.pod.metadata.name);
    this.deps.logger?.info(
      { sandbox: id, pod: ready.pod.metadata.name, launch: sb?.metadata.labels?.[AS.launchType] },
      "kubernetes sandbox ready",
    );
    return this.handle(ready.claim, sb, ready.pod);
  }

  bind(id: string, binding: SandboxBinding): Promise<SandboxBound> {
    return this.guarded(`bind sandbox ${id}`, () => this.bindInner(id, binding));
  }

  private async bindInner(id: string, binding: SandboxBinding): Promise<SandboxBound> {
    const { claim } = await this.parts(id);
    if (!claim) throw new SandboxError("not_found", `sandbox ${id} does not exist`);
    const sealed = unsealClaim(this.deps.secretBox, claim);
    const conn = await this.connect(id);
    const gatewayBaseUrl = onOrigin(binding.gatewayBaseUrl, this.deps.lapUrl);
    const proxy = await this.egressFor(id, claim, sealed, gatewayBaseUrl);
    const body = {
      sandboxId: id,
      harness: claim.metadata.annotations?.["lap.dev/harness"] ?? claim.metadata.labels?.[LAP.harness],
      workspaceId: claim.metadata.annotations?.["lap.dev/workspace-id"],
      supervisorToken: sealed.token,
      ...binding,
      gatewayBaseUrl,
      env: { ...sealed.env, ...binding.env, ...proxy?.env },
      ...(proxy ? { egressCaPem: proxy.caPem } : {}),
    };
    const res = await conn
      .fetch(`${conn.baseUrl}/lap/bind`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .catch((err) => {
        throw new SandboxError("unavailable", `sandbox ${id}: supervisor unreachable for bind: ${(err as Error).message}`);
      });
    const text = await res.text();
    if (res.status === 409) throw new SandboxError("failed", `sandbox ${id} is already bound to another session`);
    if (!res.ok) throw new SandboxError("failed", `sandbox ${id}: bind answered HTTP ${res.status} ${text.slice(0, 200)}`);
    return boundFrom(text);
  }

  /**
   * `POST /lap/prepare` with what a bind would carry but the session and its key: the token (a warm pod
   * is in first-bind mode, harness/supervisor/routes.ts), the agent's setup, and the pod's egress env and
   * CA, so the bind finds the harness set up exactly as it needs and keeps it.
   */
  private async prepareInner(id: string, preparation: SandboxPreparation, gatewayBaseUrl: string): Promise<{ harness: string }> {
    const { claim } = await this.parts(id);
    if (!claim) throw new SandboxError("not_found", `sandbox ${id} does not exist`);
    const sealed = unsealClaim(this.deps.secretBox, claim);
    const conn = await this.connectInner(id);
    const url = onOrigin(gatewayBaseUrl, this.deps.lapUrl);
    const proxy = await this.egressFor(id, claim, sealed, url);
    // The same env the bind will send (bindInner), or the bind restarts the harness.
    const env = { ...sealed.env, ...proxy?.env };
    const body = {
      sandboxId: id,
      harness: claim.metadata.annotations?.["lap.dev/harness"] ?? claim.metadata.labels?.[LAP.harness],
      workspaceId: claim.metadata.annotations?.["lap.dev/workspace-id"],
      supervisorToken: sealed.token,
      ...preparation,
      gatewayBaseUrl: url,
      ...(Object.keys(env).length ? { env } : {}),
      ...(proxy ? { egressCaPem: proxy.caPem } : {}),
    };
    const res = await conn
      .fetch(`${conn.baseUrl}/lap/prepare`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(150_000),
      })
      .catch((err) => {
        throw new SandboxError("unavailable", `sandbox ${id}: supervisor unreachable for prepare: ${(err as Error).message}`);
      });
    const text = await res.text();
    if (!res.ok) throw new SandboxError("failed", `sandbox ${id}: prepare answered HTTP ${res.status} ${text.slice(0, 300)}`);
    return { harness: String((JSON.parse(text) as { harness?: unknown }).harness ?? "unknown") };
  }

  /**
   * Registers the sandbox with LAP's pod egress proxy under its sealed token and policy, and returns
   * the proxy settings for the harness env and the CA the supervisor adds to the pod's bundle.
   */
  private async egressFor(id: string, claim: KubeObject, sealed: Sealed, gatewayBaseUrl: string) {
    if (!this.egress || !sealed.egressToken) return null;
    const port = await this.egress.port().catch((err) => {
      this.deps.logger?.error(
        { sandbox: id, err: (err as Error).message },
        "egress proxy for pods is not listening; this pod gets no proxy (vault stubs stay stubs)",
      );
      return null;
    });
    if (port === null) return null;
    this.egress.register(id, {
      token: sealed.egressToken,
      policyId: specLabelsOf(claim).egress_policy,
      allowHosts: sealed.allowHosts ?? [],
    });
    const host = this.egress.advertisedHost ?? new URL(gatewayBaseUrl).hostname;
    return {
      env: podEgressEnv({ sandboxId: id, token: sealed.egressToken, host, port, gatewayBaseUrl }),
      caPem: await this.egress.caPem(),
    };
  }

  connect(id: string): Promise<SupervisorConnection> {
    return this.guarded(`connect to sandbox ${id}`, () => this.connectInner(id));
  }

  private async connectInner(id: string): Promise<SupervisorConnection> {
    const { claim, sandbox, pod } = await this.parts(id);
    if (!claim) throw new SandboxError("not_found", `sandbox ${id} does not exist`);
    if (!sandbox || !podServing(pod)) throw new SandboxError("unavailable", `sandbox ${id} has no serving pod`);
    return this.connectionTo(claim, sandbox, pod!);
  }

  /** The pod's supervisor, reached the configured way, with the token sealed in its claim. */
  private connectionTo(claim: KubeObject, sandbox: KubeObject, pod: KubeObject): SupervisorConnection {
    return supervisorConnection({
      access: this.deps.access,
      kube: this.deps.kube,
      namespace: this.ns,
      port: this.deps.supervisorPort,
      pod,
      sandbox,
      token: unsealClaim(this.deps.secretBox, claim).token,
    });
  }

  /** The supervisor's workspace API (harness/supervisor/files.ts) with the sandbox's token. */
  workspaceRequest(id: string, pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
    return this.guarded(`reach the workspace of sandbox ${id}`, async () => {
      const conn = await this.connectInner(id);
      return conn.fetch(`${conn.baseUrl}${pathAndQuery}`, init).catch((err) => {
        throw new SandboxError("unavailable", `sandbox ${id}: supervisor unreachable: ${(err as Error).message}`);
      });
    });
  }

  /** A copy of a serving, bound pod's workspace on LAP's disk before the pod goes (docs/files.md); never throws. */
  private async keepWorkspace(claim: KubeObject, sandbox: KubeObject | null, pod: KubeObject | null): Promise<void> {
    const workspaceId = claim.metadata.annotations?.["lap.dev/workspace-id"];
    if (!this.deps.archive || !workspaceId || !sandbox || !podServing(pod) || claim.metadata.deletionTimestamp) return;
    let conn: SupervisorConnection;
    try {
      conn = this.connectionTo(claim, sandbox, pod!);
    } catch {
      return;
    }
    await archivePodWorkspace(conn, { sandboxId: claim.metadata.name, workspaceId }, this.deps.archive, this.deps.logger);
  }

  /** Suspends the Sandbox (pod removed, workspace volume kept; a copy of the workspace kept by LAP first); waitReady resumes it. */
  stop(id: string): Promise<void> {
    return this.guarded(`stop sandbox ${id}`, async () => {
      const { claim, sandbox, pod } = await this.parts(id);
      if (!claim) throw new SandboxError("not_found", `sandbox ${id} does not exist`);
      await this.keepWorkspace(claim, sandbox, pod);
      if (sandbox) await this.deps.kube.mergePatch(SANDBOX, this.ns, sandbox.metadata.name, { spec: { operatingMode: "Suspended" } });
    });
  }

  /**
   * Deletes the claim; agent-sandbox cascades to the Sandbox, its pod, Service and volume claims. The
   * workspace volume goes with it on this provider (recovery re-clones and replays), whatever dropWorkspace
   * says; a bound pod's workspace is first copied to LAP's disk for the session's file routes (docs/files.md).
   */
  async destroy(id: string, _opts: { dropWorkspace?: boolean } = {}): Promise<void> {
    if (this.deps.archive) {
      const parts = await this.parts(id).catch(() => null);
      if (parts?.claim) await this.keepWorkspace(parts.claim, parts.sandbox, parts.pod);
    }
    await this.deps.kube.delete(SANDBOX_CLAIM, this.ns, id);
    this.lostPods.delete(id);
    this.egress?.unregister(id);
  }

  async get(id: string): Promise<SandboxHandle | null> {
    const { claim, sandbox, pod } = await this.parts(id);
    return claim ? this.handle(claim, sandbox, pod) : null;
  }

  async list(): Promise<SandboxHandle[]> {
    const sel = `${LAP.managed}=true,${LAP.instance}=${this.deps.instance}`;
    const [claims, sandboxes, pods] = await Promise.all([
      this.deps.kube.list(SANDBOX_CLAIM, this.ns, { labelSelector: sel }),
      this.deps.kube.list(SANDBOX, this.ns),
      this.deps.kube.list(POD, this.ns, { labelSelector: sel }),
    ]);
    return claims.items.map((c) => {
      const sbName = sandboxNameOf(c);
      const sb = sandboxes.items.find((s) => s.metadata.name === sbName) ?? null;
      const pod = pickPod(pods.items.filter((p) => p.metadata.labels?.[LAP.sandboxId] === c.metadata.name));
      return this.handle(c, sb, pod);
    });
  }

  /**
   * The egress credentials sealed in this installation's live claims (token, allow-list, the env with
   * its vault stubs), so a LAP that did not bind a pod (after a restart, or another replica) can serve
   * its egress. Claims it cannot unseal are skipped (made with another ENCRYPTION_KEY).
   */
  async sealedEgress(): Promise<SealedEgress[]> {
    const claims = await this.deps.kube.list(SANDBOX_CLAIM, this.ns, {
      labelSelector: `${LAP.managed}=true,${LAP.instance}=${this.deps.instance}`,
    });
    return claims.items.flatMap((c) => sealedEgressFrom(this.deps.secretBox, c) ?? []);
  }

  /**
   * The same for one sandbox (one GET): null when its claim does not exist, is being deleted, is not
   * this installation's, or cannot be unsealed. The pod egress proxy asks this on credentials it does not know.
   */
  async sealedEgressOf(id: string): Promise<SealedEgress | null> {
    const claim = await this.deps.kube.find<KubeObject>(SANDBOX_CLAIM, this.ns, id);
    const labels = claim?.metadata.labels;
    if (!claim || labels?.[LAP.managed] !== "true" || labels[LAP.instance] !== this.deps.instance) return null;
    return sealedEgressFrom(this.deps.secretBox, claim);
  }

  /** Claim, its Sandbox and the current pod (a live one preferred over a terminating one). */
  async parts(id: string): Promise<{ claim: KubeObject | null; sandbox: KubeObject | null; pod: KubeObject | null }> {
    const claim = await this.deps.kube.find<KubeObject>(SANDBOX_CLAIM, this.ns, id);
    if (!claim) return { claim: null, sandbox: null, pod: null };
    const sbName = sandboxNameOf(claim);
    const [sandbox, pods] = await Promise.all([
      sbName ? this.deps.kube.find<KubeObject>(SANDBOX, this.ns, sbName) : Promise.resolve(null),
      this.deps.kube.list(POD, this.ns, { labelSelector: `${LAP.sandboxId}=${id}` }),
    ]);
    let pod = pickPod(pods.items);
    if (!pod && sandbox)
      pod = await this.deps.kube.find<KubeObject>(POD, this.ns, sandbox.metadata.annotations?.[AS.podName] ?? sandbox.metadata.name);
    return { claim, sandbox, pod };
  }

  /** The claim, its Sandbox and pod as LAP's sandbox handle (./claim-handle.ts). */
  handle(claim: KubeObject, sandbox: KubeObject | null, pod: KubeObject | null): SandboxHandle {
    return claimHandle(claim, sandbox, pod, {
      namespace: this.ns,
      pullPolicy: this.deps.pullPolicy,
      workspacePersistent: this.deps.workspacePersistent,
    });
  }
}
