import type { SecretBox } from "../../lib/crypto";
import type { Logger } from "../../lib/logger";
import {
  SandboxError,
  type SandboxBinding,
  type SandboxBound,
  type SandboxHandle,
  type SandboxPreparation,
  type SandboxProvider,
  type SandboxSpec,
  type SupervisorConnection,
} from "../provider";
import { KubeApiError, type KubeClient } from "./client";
import type { PodEgressPort } from "./pod-egress";
import { waitForClaim } from "./readiness";
import { claimHandle, labelValue, sandboxNameOf } from "./claim-handle";
import {
  type ClaimParts,
  type ClaimScope,
  claimParts,
  claimSealedEgress,
  installationClaims,
  installationSealedEgress,
} from "./claim-lookups";
import { createSandboxClaim } from "./claim-create";
import { podServing } from "./diagnose";
import { AS, SANDBOX, SANDBOX_CLAIM, type KubeObject } from "./resources";
import { type SealedEgress, unsealClaim } from "./sealed";
import { supervisorConnection, type SupervisorAccess } from "./supervisor";
import { bindSupervisor, podEgressFor, prepareSupervisor } from "./supervisor-setup";
import type { KubernetesWarmPools } from "./warm-pool";
import { archivePodWorkspace, type WorkspaceArchiveSettings } from "./workspace-archive";

/**
 * The `kubernetes` SandboxProvider: one SandboxClaim per sandbox against the warm pool of its harness
 * image (./claim-create.ts). The claim carries no env (that would force a cold start); identity, keys and
 * per-session env go to the supervisor by `bind` after the claim (./supervisor-setup.ts). The claim name
 * is the sandbox id, random per create, so a new session can never land on an old, terminating pod that
 * had a fixed name.
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

  private get scope(): ClaimScope {
    return { kube: this.deps.kube, namespace: this.deps.namespace, instance: this.deps.instance };
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
    const { id, claim } = await createSandboxClaim(this.deps, spec);
    const { sandbox, pod } = claim.metadata.uid && sandboxNameOf(claim) ? await this.parts(id) : { sandbox: null, pod: null };
    return this.handle(claim, sandbox, pod);
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
    const proxy = await podEgressFor(this.egress, this.deps.logger, { id, claim, sealed, gatewayBaseUrl });
    return bindSupervisor({ id, claim, sealed, conn, proxy }, binding, gatewayBaseUrl);
  }

  /** The warm prepare (./supervisor-setup.ts): the harness set up as the bind will need it. */
  private async prepareInner(id: string, preparation: SandboxPreparation, gatewayBaseUrl: string): Promise<{ harness: string }> {
    const { claim } = await this.parts(id);
    if (!claim) throw new SandboxError("not_found", `sandbox ${id} does not exist`);
    const sealed = unsealClaim(this.deps.secretBox, claim);
    const conn = await this.connectInner(id);
    const url = onOrigin(gatewayBaseUrl, this.deps.lapUrl);
    const proxy = await podEgressFor(this.egress, this.deps.logger, { id, claim, sealed, gatewayBaseUrl: url });
    return prepareSupervisor({ id, claim, sealed, conn, proxy }, preparation, url);
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
    return (await installationClaims(this.scope)).map(({ claim, sandbox, pod }) => this.handle(claim, sandbox, pod));
  }

  /** The egress credentials sealed in this installation's live claims (./claim-lookups.ts). */
  sealedEgress(): Promise<SealedEgress[]> {
    return installationSealedEgress(this.scope, this.deps.secretBox);
  }

  /** The same for one sandbox; null when its claim is gone, going, not this installation's or not unsealable. */
  sealedEgressOf(id: string): Promise<SealedEgress | null> {
    return claimSealedEgress(this.scope, this.deps.secretBox, id);
  }

  /** Claim, its Sandbox and the current pod (a live one preferred over a terminating one). */
  parts(id: string): Promise<ClaimParts> {
    return claimParts(this.deps.kube, this.ns, id);
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
