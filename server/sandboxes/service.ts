/**
 * The sandboxes module's services, built from configuration: the provider LAP_SANDBOX names (host
 * bubblewrap/process here; kubernetes handed in already started, see server/main.ts), the
 * egress proxy plumbing, the warm pool and the runtime adapter sessions use. Nothing starts until
 * a sandbox is needed (the provider bundles the harness on first use).
 */
import { resolve } from "node:path";
import { NO_AUDIT, type AuditEntry, type AuditPort } from "../audit/record";
import type { Principal } from "../auth/model";
import { SYSTEM } from "../auth/policy";
import type { Database } from "../db/client";
import type { Logger } from "../lib/logger";
import { DestinationGuard } from "../net/destinations";
import { AgentSandboxSpecs } from "./agent-spec";
import { EgressPolicies } from "./egress/policy";
import { EgressCa } from "./egress/ca";
import type { PullRequestSeen } from "./egress/github";
import { EgressRecordStore } from "./egress/records";
import type { PodEgressProxy } from "./kubernetes/pod-egress";
import { PodEgressWiring } from "./pod-egress-wiring";
import { recordAdminChange } from "./admin-change";
import type { HostSandboxProvider } from "./host/host-provider";
import type { Upstream } from "./host/lap-sockets";
import { hostProviderFor } from "./host-provider-for";
import type { KubernetesSandboxes } from "./kubernetes";
import type { ReconcileResult } from "./kubernetes/reconciler";
import { SandboxError, type SandboxProvider } from "./provider";
import { SandboxRuntimeAdapter, type SandboxRuntimeDeps } from "./runtime/sandbox-runtime";
import type { AgentForSandbox } from "./runtime/spec";
import { type SetupDeps, warmSpecFor } from "./runtime/warm-spec";
import type { SandboxView } from "./model";
import { WarmPool } from "./warm-pool";
import type { SandboxMetricsSink } from "../metrics/recorders";
import type { Tracer } from "@opentelemetry/api";
import type { AgentSandboxSettingsPort, SandboxSessionsPort, VaultPort } from "./ports";
import { reconcileClusterOnce, settleRowsAfterRestart } from "./reconcile";
import { listSandboxes, poolSlots, warmPoolCounts } from "./views";
import type { SandboxHostEnv, SandboxSettings } from "./settings";

export type { VaultPort } from "./ports";

export interface SandboxServiceDeps {
  settings: SandboxSettings;
  /** This machine's id for host sandboxes (Config.hostId). */
  hostId: string;
  /** LAP's environment as its sandboxes see it (settings.ts). */
  hostEnv: SandboxHostEnv;
  database: Database;
  logger: Logger;
  /** Where LAP listens (known after listen; PORT may be 0). */
  lapUpstream: () => Upstream;
  /** The sessions module's port (ports.ts): which agents are in demand, which sessions still run, their teams. */
  sessions: SandboxSessionsPort;
  /** The agents module's port (ports.ts): an agent's sandbox settings, definition and team. */
  agents: AgentSandboxSettingsPort;
  /** LAP_SANDBOX=kubernetes: the provider created (and checked against the cluster) before the database opened. */
  kubernetes?: KubernetesSandboxes;
  /** The vault (server/vault): real values of an agent's vault keys, and when they were used. */
  vault?: VaultPort;
  /** Checks every destination a user named (egress, repo_url); default: from LAP_ALLOW_PRIVATE_HOSTS. */
  destinations?: DestinationGuard;
  /** Sandbox starts and warm-pool hits (server/metrics). */
  metrics?: SandboxMetricsSink;
  /** Spans of sandbox starts (server/tracing). */
  tracer?: Tracer;
  /** The audit trail (server/audit): sandbox lifecycle, secret use, an admin's stop or destroy. */
  audit?: AuditPort;
  /** A pull request a session's sandbox opened (egress/github.ts): LAP appends it to the session's log. */
  onPullRequest?(sessionId: string, pr: PullRequestSeen): Promise<void>;
  /** An agent's files for a new session's workspace (server/files). */
  agentFiles?: SandboxRuntimeDeps["agentFiles"];
}

export class SandboxService {
  readonly policies = new EgressPolicies();
  readonly egressRecords: EgressRecordStore;
  private providerInstance: SandboxProvider | null = null;
  /** The same provider when it runs on this host (workspace paths, shutdown); null on kubernetes. */
  private hostInstance: HostSandboxProvider | null = null;
  /** The first reconcile after start (tests and the dashboard can await it). */
  reconciled: Promise<unknown> = Promise.resolve();
  /** Pods' egress served again after start (kubernetes); tests await it. */
  egressRestored: Promise<unknown> = Promise.resolve();
  private poolInstance: WarmPool | null = null;
  /** What a harness setup needs, known once the sandbox runtime is built (adapter()). */
  private setupDeps: SetupDeps | null = null;
  private readonly destinations: DestinationGuard;
  private readonly specs: AgentSandboxSpecs;
  private readonly podEgress: PodEgressWiring;

  constructor(private deps: SandboxServiceDeps) {
    this.destinations = deps.destinations ?? DestinationGuard.fromEnv(deps.settings);
    this.specs = new AgentSandboxSpecs({
      database: deps.database,
      agents: deps.agents,
      containerEnv: deps.hostEnv.containerEnv,
      policies: this.policies,
      vault: deps.vault,
    });
    this.egressRecords = new EgressRecordStore({
      database: deps.database,
      logger: deps.logger.child({ module: "egress" }),
      retentionDays: deps.settings.EGRESS_RECORDS_RETENTION_DAYS,
      secretsUsed: async (uses) => deps.vault?.secretsUsed(uses),
      audit: deps.audit,
      sessions: deps.sessions,
      vault: deps.vault,
      onPullRequest: deps.onPullRequest,
    });
    this.podEgress = new PodEgressWiring({
      settings: deps.settings,
      logger: deps.logger,
      kubernetes: deps.kubernetes,
      policies: this.policies,
      egressRecords: this.egressRecords,
      destinations: this.destinations,
      egressCa: () => this.egressCa(),
      vault: deps.vault,
      teamOfSandbox: (id) => this.specs.teamOfSandbox(id),
    });
  }

  /** The spec a sandbox for this agent gets now (agent-spec.ts); null: no such agent. */
  specForAgent(agentId: string, override: Partial<AgentForSandbox> = {}) {
    return this.specs.specForAgent(agentId, override);
  }

  get settings() {
    const e = this.deps.settings;
    return {
      size: e.WARM_POOL_SIZE,
      ttlMinutes: e.WARM_POOL_TTL_MINUTES,
      maxProvisioning: e.WARM_POOL_MAX_PROVISIONING,
      recentAgentHours: e.WARM_POOL_RECENT_AGENT_HOURS,
      maxMemoryMb: e.LAP_WARM_POOL_MAX_MEMORY_MB,
    };
  }

  private ca: EgressCa | null = null;
  private egressCa() {
    this.ca ??= new EgressCa(resolve(this.deps.settings.LAP_DATA_DIR));
    return this.ca;
  }

  provider(): SandboxProvider {
    if (this.providerInstance) return this.providerInstance;
    const e = this.deps.settings;
    if (e.LAP_SANDBOX === "kubernetes") {
      if (!this.deps.kubernetes)
        throw new SandboxError(
          "unavailable",
          "LAP_SANDBOX=kubernetes but this LAP was built without the Kubernetes provider (startLap creates it)",
        );
      this.deps.kubernetes.provider.useEgress(this.podEgressProxy());
      this.providerInstance = this.deps.kubernetes.provider;
      return this.providerInstance;
    }
    this.hostInstance = hostProviderFor({
      settings: this.deps.settings,
      hostId: this.deps.hostId,
      logger: this.deps.logger,
      lapUpstream: this.deps.lapUpstream,
      policies: this.policies,
      egressRecords: this.egressRecords,
      destinations: this.destinations,
      egressCa: this.egressCa(),
    });
    this.providerInstance = this.hostInstance;
    return this.providerInstance;
  }

  /** Kubernetes: the one egress proxy every sandbox pod uses, with per-sandbox credentials. */
  podEgressProxy(): PodEgressProxy {
    return this.podEgress.proxy();
  }

  pool(): WarmPool {
    this.poolInstance ??= new WarmPool({
      database: this.deps.database,
      provider: this.provider(),
      settings: this.settings,
      sessions: this.deps.sessions,
      logger: this.deps.logger.child({ module: "warm-pool" }),
      specFor: async (agentId) => {
        try {
          const s = await this.specForAgent(agentId);
          return s?.active ? await warmSpecFor(this.deps.agents, this.deps.sessions, agentId, s, this.setupDeps) : null;
        } catch (err) {
          // A missing vault secret: no warm sandbox; the session says why when it starts.
          this.deps.logger.warn({ agent_id: agentId, err: (err as Error).message }, "no warm sandbox for this agent");
          return null;
        }
      },
    });
    return this.poolInstance;
  }

  /** The RuntimeAdapter for sessions whose runtime is a LAP sandbox. */
  adapter(
    extra: Pick<
      SandboxRuntimeDeps,
      "mintSessionKey" | "history" | "gatewayBaseUrl" | "revokeSessionKey" | "mcpServersFor" | "contextFor" | "sessionContext"
    >,
  ): SandboxRuntimeAdapter {
    const provider = this.provider();
    // From now on the warm pool pre-starts each slot's harness with what a session would bind (runtime/warm-spec.ts).
    this.setupDeps = extra;
    const host = this.hostInstance;
    return new SandboxRuntimeAdapter({
      metrics: this.deps.metrics,
      tracer: this.deps.tracer,
      database: this.deps.database,
      sessions: this.deps.sessions,
      agents: this.deps.agents,
      provider,
      pool: this.settings.size > 0 ? this.pool() : null,
      logger: this.deps.logger.child({ module: "sandbox-runtime" }),
      containerEnv: this.deps.hostEnv.containerEnv,
      upstreamCaFile: this.deps.settings.EGRESS_UPSTREAM_CA_FILE,
      preinstalledRepo: this.deps.settings.PREINSTALLED_GITHUB_REPO,
      destinations: this.destinations,
      specFor: async (agent) => {
        const s = await this.specForAgent(agent.id);
        if (!s) throw new SandboxError("not_found", `agent ${agent.id} no longer exists`);
        return { spec: s.spec, hash: s.hash };
      },
      ...(host
        ? { workspacePath: (ws: string) => host.workspacePath(ws), handOverWorkspace: (ws: string) => host.handOverWorkspace(ws) }
        : {}),
      repoToken: (agentId, repoHost) => this.specs.repoToken(agentId, repoHost),
      audit: this.deps.audit,
      agentFiles: this.deps.agentFiles,
      ...extra,
    });
  }

  async list(): Promise<SandboxView[]> {
    if (this.deps.kubernetes) this.provider();
    if (!this.providerInstance) return [];
    return listSandboxes(this.deps.database, this.providerInstance);
  }

  /** This host's warm-pool slots by status, for the metrics scrape (server/metrics). */
  warmPoolCounts(): Promise<Array<{ status: string; count: number }>> {
    return warmPoolCounts(this.deps.database, this.poolHost());
  }

  poolSlots() {
    return poolSlots(this.deps.database, this.deps.agents, this.poolHost(), this.settings);
  }

  /** The provider's host without building the provider (nothing starts until a sandbox is needed); null on Kubernetes. */
  private poolHost(): string | null {
    return this.deps.settings.LAP_SANDBOX === "kubernetes" ? null : this.deps.hostId;
  }

  async stop(id: string, actor: Principal = SYSTEM) {
    const p = this.provider();
    if (!(await p.get(id))) return false;
    await p.stop(id);
    await recordAdminChange(this.deps.database, this.deps.audit, this.deps.sessions, {
      id,
      actor,
      action: "sandbox.stop",
      sql: `update sandboxes set status = 'stopped', reason = 'stopped by an admin', updated_at = now() where sandbox_id = $1 returning session_id`,
      detail: {},
    });
    return true;
  }

  async destroy(id: string, dropWorkspace: boolean, actor: Principal = SYSTEM) {
    const p = this.provider();
    if (!(await p.get(id))) return false;
    await p.destroy(id, { dropWorkspace });
    await recordAdminChange(this.deps.database, this.deps.audit, this.deps.sessions, {
      id,
      actor,
      action: "sandbox.destroy",
      sql: `update sandboxes set status = 'dead', reason = 'destroyed by an admin', updated_at = now() where sandbox_id = $1 returning session_id`,
      detail: { drop_workspace: dropWorkspace },
    });
    return true;
  }

  /** A change made outside the database (the warm pool, the cluster): its audit row alone. */
  async recordChange(entry: AuditEntry) {
    await (this.deps.audit ?? NO_AUDIT).record(this.deps.database.db, entry);
  }

  private timer: ReturnType<typeof setInterval> | null = null;

  /** Start-up: settles rows an earlier run left (reconcile.ts), after a Kubernetes reconcile pass. */
  async reconcileAfterRestart(): Promise<{ dropped: number; stopped: number; reaped: number; kubernetes?: ReconcileResult }> {
    const [{ started }] = (await this.deps.database.query<{ started: Date }>(`select now() as started`)) as [{ started: Date }];
    const cluster = await this.reconcileCluster();
    const settled = await settleRowsAfterRestart(this.deps.database, this.deps.sessions, this.provider(), started);
    return cluster && cluster !== "skipped" ? { ...settled, kubernetes: cluster } : settled;
  }

  /** One Kubernetes reconcile pass (reconcile.ts); null when the provider is not Kubernetes. */
  async reconcileCluster(): Promise<ReconcileResult | "skipped" | null> {
    const k = this.deps.kubernetes;
    if (!k || !this.podEgress.kubernetesOn()) return null;
    return reconcileClusterOnce(this.deps.database, this.deps.sessions, k);
  }

  /** Kubernetes: serve the egress of pods this process did not bind (after a restart, or bound by another replica). */
  restorePodEgress(): Promise<string[]> {
    return this.podEgress.restore();
  }

  private clusterTimer: ReturnType<typeof setInterval> | null = null;
  private clusterPass: Promise<unknown> = Promise.resolve();

  /** The warm-pool reconcile loop (recycle, then top up), every `intervalMs`, first pass at once. */
  start(intervalMs = 30_000) {
    this.egressRecords.start();
    if (this.deps.kubernetes && this.deps.settings.LAP_SANDBOX === "kubernetes") {
      this.podEgressProxy()
        .listen()
        .then((port) => this.deps.logger.info({ port }, "egress proxy for sandbox pods listening"))
        .catch((err) =>
          this.deps.logger.error({ err: (err as Error).message }, "egress proxy for sandbox pods cannot listen; pods get no web access"),
        );
    }
    this.reconciled = this.reconcileAfterRestart().catch((err) => this.deps.logger.warn({ err }, "sandbox reconcile failed"));
    this.egressRestored = this.reconciled
      .then(() => this.restorePodEgress())
      .catch((err) => this.deps.logger.warn({ err }, "restoring pod egress failed"));
    if (this.deps.kubernetes && !this.clusterTimer) {
      // Not only at start: sessions end and replicas die while LAP runs, and their claims must not linger.
      this.clusterTimer = setInterval(() => {
        this.clusterPass = this.reconcileCluster()
          .catch((err) => this.deps.logger.warn({ err }, "kubernetes reconcile failed"))
          // Every replica, whether or not it held the reconcile lock: pods bound elsewhere may send their traffic here.
          .then(() => this.restorePodEgress())
          .catch((err) => this.deps.logger.warn({ err }, "restoring pod egress failed"));
      }, this.deps.settings.K8S_RECONCILE_INTERVAL_SECONDS * 1000);
    }
    if (this.settings.size <= 0 || this.timer) return;
    const tick = () =>
      void this.pool()
        .topUp()
        .catch((err) => this.deps.logger.warn({ err }, "warm pool tick failed"));
    tick();
    this.timer = setInterval(tick, intervalMs);
  }

  async shutdown() {
    await this.egressRecords.stop();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.clusterTimer) clearInterval(this.clusterTimer);
    this.clusterTimer = null;
    await this.clusterPass;
    await this.poolInstance?.idle();
    await this.podEgress.close();
    // The kubernetes provider holds no processes here; startLap closes its watches.
    await this.hostInstance?.shutdown();
  }
}
