/**
 * The sandboxes module's services, built from configuration: the provider LAP_SANDBOX names (host
 * bubblewrap/process here; kubernetes handed in already started, see server/main.ts), the
 * egress proxy plumbing, the warm pool and the runtime adapter sessions use. Nothing starts until
 * a sandbox is needed (the provider bundles the harness on first use).
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../config/load";
import { NO_AUDIT, type AuditEntry, type AuditPort } from "../audit/record";
import type { Principal } from "../auth/model";
import { SYSTEM } from "../auth/policy";
import type { Database } from "../db/client";
import type { Logger } from "../lib/logger";
import { DestinationGuard } from "../net/destinations";
import { EgressPolicies, egressFactory } from "./egress";
import { EgressCa } from "./egress/ca";
import type { PullRequestSeen } from "./egress/github";
import { hostMatches, type VaultSecret } from "./egress/policy";
import { EgressRecordStore, type SecretUse } from "./egress/records";
import { PodEgressProxy } from "./kubernetes/pod-egress";
import { type RestoreEgressDeps, restoreOnePodEgress, restorePodEgress } from "./kubernetes/restore-egress";
import type { HostSandboxProvider } from "./host/host-provider";
import type { Upstream } from "./host/lap-sockets";
import { parseUidRange } from "./host/sandbox-user";
import { LocalSandboxProvider } from "./local-provider";
import { ProcessSandboxProvider } from "./process-provider";
import type { KubernetesSandboxes } from "./kubernetes";
import type { ReconcileResult } from "./kubernetes/reconciler";
import { SandboxError, type SandboxProvider } from "./provider";
import { SandboxRuntimeAdapter, type SandboxRuntimeDeps } from "./runtime/sandbox-runtime";
import { type AgentForSandbox, sandboxSpecFor } from "./runtime/spec";
import { type SetupDeps, warmSpecFor } from "./runtime/warm-spec";
import type { SandboxView } from "./model";
import { poolStats, STATS_HOURS } from "./pool-stats";
import { WarmPool } from "./warm-pool";
import type { SandboxMetricsSink } from "../metrics/recorders";
import type { Tracer } from "@opentelemetry/api";
import { hostScope } from "./host-scope";
import type { SandboxSessionsPort } from "./ports";
import { reconcileClusterOnce, settleRowsAfterRestart } from "./reconcile";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** OpenClaw's own install (harness/adapters/binaries.ts): LAP_OPENCLAW_DIR, else `.tools/openclaw` when present. */
function localOpenclawDir(configured: string | undefined): string | undefined {
  if (configured) return resolve(configured);
  const dir = join(REPO, ".tools", "openclaw");
  return existsSync(join(dir, "node_modules", "openclaw")) ? realpathSync(dir) : undefined;
}

export interface SandboxServiceDeps {
  config: Config;
  database: Database;
  logger: Logger;
  rawEnv: Record<string, string | undefined>;
  /** Where LAP listens (known after listen; PORT may be 0). */
  lapUpstream: () => Upstream;
  /** The sessions module's port (ports.ts): which agents are in demand, which sessions still run. */
  sessions: SandboxSessionsPort;
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

export interface VaultPort {
  /** Every name must exist for the agent's team (its own, else org-wide), else it throws naming the missing ones. */
  resolve(names: string[], teamId: string | null): Promise<VaultSecret[]>;
  secretsUsed(uses: SecretUse[]): Promise<void>;
}

/** The sandbox-relevant columns of an agent. */
interface AgentSandboxRow {
  harness: string;
  environment: Record<string, string> | null;
  status: string;
  egress_allow_hosts: string[] | null;
  vault_keys: string[] | null;
  team_id: string;
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

  constructor(private deps: SandboxServiceDeps) {
    this.destinations = deps.destinations ?? DestinationGuard.fromEnv(deps.config.env);
    this.egressRecords = new EgressRecordStore({
      database: deps.database,
      logger: deps.logger.child({ module: "egress" }),
      retentionDays: deps.config.env.EGRESS_RECORDS_RETENTION_DAYS,
      secretsUsed: async (uses) => deps.vault?.secretsUsed(uses),
      audit: deps.audit,
      onPullRequest: deps.onPullRequest,
    });
  }

  /**
   * The spec a sandbox for this agent gets now: its harness, plain environment, egress allow-list,
   * and its vault keys as stubs (real values registered for its egress proxy). Null: no such agent.
   * A vault key with no secret throws, naming it (the session shows it as its error).
   */
  async specForAgent(agentId: string, override: Partial<AgentForSandbox> = {}) {
    const [a] = await this.deps.database.query<AgentSandboxRow>(
      `select harness, environment, status, egress_allow_hosts, vault_keys, team_id from agents where id = $1`,
      [agentId],
    );
    if (!a) return null;
    // The agent's team's secrets and org-wide ones only: a name another team also uses is never theirs.
    const secrets = a.vault_keys?.length ? await this.vaultPort().resolve(a.vault_keys, a.team_id) : [];
    const agent: AgentForSandbox = {
      id: agentId,
      harness: a.harness,
      environment: a.environment ?? {},
      egressAllowHosts: a.egress_allow_hosts ?? [],
      ...override,
    };
    return { ...sandboxSpecFor(agent, this.deps.rawEnv, { secrets, policies: this.policies }), active: a.status === "active" };
  }

  /** The value of the agent's first vault secret bound to `host` (a private repository's clone), or null. */
  private async repoToken(agentId: string, host: string): Promise<string | null> {
    const [a] = await this.deps.database.query<{ vault_keys: string[] | null; team_id: string | null }>(
      "select vault_keys, team_id from agents where id = $1",
      [agentId],
    );
    if (!a?.vault_keys?.length || !this.deps.vault) return null;
    // The agent's team's secrets and org-wide ones only, as for its sandbox.
    const secrets = await this.deps.vault.resolve(a.vault_keys, a.team_id);
    return secrets.find((s) => s.hosts.some((h) => hostMatches(host, h)))?.value ?? null;
  }

  private async teamOfSandbox(sandboxId: string): Promise<string | null> {
    const [row] = await this.deps.database.query<{ team_id: string }>(
      `select a.team_id from sandboxes s join agents a on a.id = s.agent_id where s.id = $1 or s.sandbox_id = $1 limit 1`,
      [sandboxId],
    );
    return row?.team_id ?? null;
  }

  private vaultPort(): VaultPort {
    if (!this.deps.vault) throw new SandboxError("unavailable", "this agent has vault keys but LAP was built without the vault");
    return this.deps.vault;
  }

  get settings() {
    const e = this.deps.config.env;
    return {
      size: e.WARM_POOL_SIZE,
      ttlMinutes: e.WARM_POOL_TTL_MINUTES,
      maxProvisioning: e.WARM_POOL_MAX_PROVISIONING,
      recentAgentHours: e.WARM_POOL_RECENT_AGENT_HOURS,
      maxMemoryMb: e.LAP_WARM_POOL_MAX_MEMORY_MB,
    };
  }

  /** Extra CAs for the upstream side of swapped HTTPS requests (a private API's CA), besides the system's. */
  private upstreamTls(): { ca: string[] } | undefined {
    const file = this.deps.config.env.EGRESS_UPSTREAM_CA_FILE;
    return file ? { ca: [...rootCertificates, readFileSync(file, "utf8")] } : undefined;
  }

  private ca: EgressCa | null = null;
  private egressCa() {
    this.ca ??= new EgressCa(resolve(this.deps.config.env.LAP_DATA_DIR));
    return this.ca;
  }

  provider(): SandboxProvider {
    if (this.providerInstance) return this.providerInstance;
    const e = this.deps.config.env;
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
    const opts = {
      dataDir: resolve(e.LAP_DATA_DIR),
      lapUpstream: this.deps.lapUpstream,
      bunPath: realpathSync(process.execPath),
      harnessRoot: join(REPO, "harness"),
      nodeModules: join(REPO, "node_modules"),
      harnessBinDir: e.LAP_HARNESS_BIN_DIR ? resolve(e.LAP_HARNESS_BIN_DIR) : undefined,
      openclawDir: localOpenclawDir(e.LAP_OPENCLAW_DIR),
      egress: egressFactory(this.policies, this.egressRecords, this.deps.logger, {
        destinations: this.destinations,
        ca: this.egressCa(),
        upstreamTls: this.upstreamTls(),
      }),
      egressCa: this.egressCa(),
      logger: this.deps.logger.child({ module: "sandboxes" }),
      defaultLimits: {
        memoryMb: e.SANDBOX_MEMORY_MB || undefined,
        maxProcesses: e.SANDBOX_MAX_PROCESSES || undefined,
        cpuSeconds: e.SANDBOX_CPU_SECONDS || undefined,
      },
      hostId: this.deps.config.hostId,
      sandboxUids: parseUidRange(e.LAP_SANDBOX_UIDS),
      orphanGraceSeconds: e.LAP_SANDBOX_ORPHAN_GRACE_SECONDS,
      onExit: (h: { id: string; error?: string }) =>
        this.deps.logger.warn({ sandbox_id: h.id, error: h.error }, "sandbox exited; its session recovers on the next call"),
    };
    this.hostInstance = e.LAP_SANDBOX === "process" ? new ProcessSandboxProvider(opts) : new LocalSandboxProvider(opts);
    this.providerInstance = this.hostInstance;
    return this.providerInstance;
  }

  private podEgress: PodEgressProxy | null = null;
  private stopEndedWatch: (() => void) | null = null;
  /** Kubernetes: the one egress proxy every sandbox pod uses, with per-sandbox credentials. */
  podEgressProxy(): PodEgressProxy {
    const e = this.deps.config.env;
    if (this.podEgress) return this.podEgress;
    this.podEgress = new PodEgressProxy({
      policies: this.policies,
      sink: this.egressRecords,
      logger: this.deps.logger.child({ module: "egress" }),
      ca: this.egressCa(),
      upstreamTls: this.upstreamTls(),
      destinations: this.destinations,
      listenPort: e.K8S_EGRESS_PROXY_PORT,
      listenHost: e.HOST,
      advertisedHost: e.K8S_EGRESS_PROXY_HOST,
      // A pod bound by another replica may send its first request here before this replica's next pass.
      ...(this.kubernetesOn() ? { lookupUnknown: (id: string) => restoreOnePodEgress(this.restoreDeps(this.deps.kubernetes!), id) } : {}),
    });
    // A sandbox ended through another replica: its credentials stop working here when its pod goes, not a pass later.
    if (this.kubernetesOn()) this.stopEndedWatch = this.deps.kubernetes!.onEnded((id) => this.podEgress?.unregister(id));
    return this.podEgress;
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
          return s?.active ? await warmSpecFor(this.deps.database, this.deps.sessions, agentId, s, this.setupDeps) : null;
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
      provider,
      pool: this.settings.size > 0 ? this.pool() : null,
      logger: this.deps.logger.child({ module: "sandbox-runtime" }),
      lapEnv: this.deps.rawEnv,
      preinstalledRepo: this.deps.config.env.PREINSTALLED_GITHUB_REPO,
      destinations: this.destinations,
      specFor: async (agent) => {
        const s = await this.specForAgent(agent.id);
        if (!s) throw new SandboxError("not_found", `agent ${agent.id} no longer exists`);
        return { spec: s.spec, hash: s.hash };
      },
      ...(host
        ? { workspacePath: (ws: string) => host.workspacePath(ws), handOverWorkspace: (ws: string) => host.handOverWorkspace(ws) }
        : {}),
      repoToken: (agentId, repoHost) => this.repoToken(agentId, repoHost),
      audit: this.deps.audit,
      agentFiles: this.deps.agentFiles,
      ...extra,
    });
  }

  async list(): Promise<SandboxView[]> {
    if (this.deps.kubernetes) this.provider();
    if (!this.providerInstance) return [];
    const rows = await this.deps.database.query<{ sandbox_id: string; session_id: string | null; agent_id: string; status: string }>(
      `select sandbox_id, session_id, agent_id, status from sandboxes where sandbox_id is not null and status in ('provisioning','warm','claimed','stopped')`,
    );
    const byId = new Map(rows.map((r) => [r.sandbox_id, r]));
    const now = Date.now();
    return (await this.providerInstance.list()).map((h) => {
      const row = byId.get(h.id);
      const num = (v: unknown) => (typeof v === "number" ? v : null);
      return {
        id: h.id,
        provider: h.provider,
        state: h.state,
        session_id: row?.session_id ?? h.labels.session_id ?? null,
        agent_id: row?.agent_id ?? h.labels.agent_id ?? null,
        workspace_id: h.workspaceId,
        pool: row?.status === "warm" || row?.status === "provisioning" ? row.status : null,
        created_at: h.createdAt.toISOString(),
        age_seconds: Math.round((now - h.createdAt.getTime()) / 1000),
        cpu_seconds: num(h.info.cpuSeconds),
        memory_bytes: num(h.info.memoryBytes),
        pid: num(h.info.pid),
        limits: typeof h.info.limits === "string" ? h.info.limits : null,
        error: h.error ?? null,
      };
    });
  }

  /** This host's warm-pool slots by status, for the metrics scrape (server/metrics). */
  warmPoolCounts(): Promise<Array<{ status: string; count: number }>> {
    return this.deps.database.query<{ status: string; count: number }>(
      `select status, count(*)::int as count from sandboxes where status in ('provisioning','warm') and ${hostScope(1)} group by status`,
      [this.deps.config.env.LAP_SANDBOX === "kubernetes" ? null : this.deps.config.hostId],
    );
  }

  async poolSlots() {
    const slots = await this.deps.database.query<{
      id: string;
      sandbox_id: string | null;
      agent_id: string;
      status: string;
      created_at: Date | string;
      ready_at: Date | string | null;
    }>(
      `select id, sandbox_id, agent_id, status, created_at, ready_at from sandboxes where status in ('provisioning','warm') and ${hostScope(1)} order by created_at`,
      // The provider's host without building the provider (nothing starts until a sandbox is needed).
      [this.deps.config.env.LAP_SANDBOX === "kubernetes" ? null : this.deps.config.hostId],
    );
    const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
    const s = this.settings;
    return {
      enabled: s.size > 0,
      size: s.size,
      ttl_minutes: s.ttlMinutes,
      max_provisioning: s.maxProvisioning,
      recent_agent_hours: s.recentAgentHours,
      max_memory_mb: s.maxMemoryMb,
      stats_hours: STATS_HOURS,
      agents: await poolStats(this.deps.database, this.deps.config.env.LAP_SANDBOX === "kubernetes" ? null : this.deps.config.hostId),
      slots: slots.map((r) => ({
        id: r.id,
        sandbox_id: r.sandbox_id,
        agent_id: r.agent_id,
        status: r.status,
        created_at: iso(r.created_at)!,
        ready_at: iso(r.ready_at),
      })),
    };
  }

  async stop(id: string, actor: Principal = SYSTEM) {
    const p = this.provider();
    if (!(await p.get(id))) return false;
    await p.stop(id);
    await this.recordAdminChange(
      id,
      actor,
      "sandbox.stop",
      `update sandboxes set status = 'stopped', reason = 'stopped by an admin', updated_at = now() where sandbox_id = $1 returning session_id`,
      {},
    );
    return true;
  }

  async destroy(id: string, dropWorkspace: boolean, actor: Principal = SYSTEM) {
    const p = this.provider();
    if (!(await p.get(id))) return false;
    await p.destroy(id, { dropWorkspace });
    await this.recordAdminChange(
      id,
      actor,
      "sandbox.destroy",
      `update sandboxes set status = 'dead', reason = 'destroyed by an admin', updated_at = now() where sandbox_id = $1 returning session_id`,
      { drop_workspace: dropWorkspace },
    );
    return true;
  }

  /** A change made outside the database (the warm pool, the cluster): its audit row alone. */
  async recordChange(entry: AuditEntry) {
    await (this.deps.audit ?? NO_AUDIT).record(this.deps.database.db, entry);
  }

  /** The sandbox row's new status and its audit row, in one transaction. */
  private async recordAdminChange(id: string, actor: Principal, action: string, sql: string, detail: Record<string, unknown>) {
    await this.deps.database.transaction(async (tx) => {
      const rows = await tx.query<{ session_id: string | null }>(sql, [id]);
      const sessionId = rows[0]?.session_id ?? null;
      const [s] = sessionId ? await tx.query<{ team_id: string }>("select team_id from sessions where id = $1", [sessionId]) : [];
      await (this.deps.audit ?? NO_AUDIT).record(tx, {
        actor,
        action,
        objectType: "sandbox",
        objectId: id,
        teamId: s?.team_id ?? null,
        detail: { session_id: sessionId, ...detail },
      });
    });
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
    if (!k || !this.kubernetesOn()) return null;
    return reconcileClusterOnce(this.deps.database, this.deps.sessions, k);
  }

  /** Kubernetes: serve the egress of pods this process did not bind (after a restart, or bound by another replica). */
  async restorePodEgress(): Promise<string[]> {
    const k = this.deps.kubernetes;
    if (!k || !this.kubernetesOn()) return [];
    return restorePodEgress(this.restoreDeps(k));
  }

  private kubernetesOn(): boolean {
    return Boolean(this.deps.kubernetes) && this.deps.config.env.LAP_SANDBOX === "kubernetes";
  }

  private restoreDeps(k: KubernetesSandboxes): RestoreEgressDeps {
    return {
      provider: k.provider,
      proxy: this.podEgressProxy(),
      policies: this.policies,
      // A pod's stubs resolve for its agent's team, as when it started (an unknown sandbox: org-wide only).
      resolve: this.deps.vault
        ? async (names, sandboxId) => this.deps.vault!.resolve(names, await this.teamOfSandbox(sandboxId))
        : undefined,
      logger: this.deps.logger,
    };
  }

  private clusterTimer: ReturnType<typeof setInterval> | null = null;
  private clusterPass: Promise<unknown> = Promise.resolve();

  /** The warm-pool reconcile loop (recycle, then top up), every `intervalMs`, first pass at once. */
  start(intervalMs = 30_000) {
    this.egressRecords.start();
    if (this.deps.kubernetes && this.deps.config.env.LAP_SANDBOX === "kubernetes") {
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
      }, this.deps.config.env.K8S_RECONCILE_INTERVAL_SECONDS * 1000);
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
    this.stopEndedWatch?.();
    await this.podEgress?.close();
    // The kubernetes provider holds no processes here; startLap closes its watches.
    await this.hostInstance?.shutdown();
  }
}
