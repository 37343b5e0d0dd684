/**
 * The warm pool (seed 002): sandboxes started ahead of demand for the agents used most recently,
 * so a new session only has to bind one. Rows in `sandboxes` coordinate replicas: a slot is
 * reserved (`provisioning`) before the provider is asked, claims use `FOR UPDATE SKIP LOCKED`
 * (the loser of a race gets nothing and goes cold), and every claim triggers a top-up.
 * Warm sandboxes past their TTL, or whose agent's harness/image/environment or harness setup changed
 * (spec hash), are recycled. Each slot's harness is pre-started for its agent where the provider can
 * (`prepare`: docs/sandboxes.md "Warm pool"), and the pool sizes itself from each agent's recent
 * demand within WARM_POOL_SIZE and LAP_WARM_POOL_MAX_MEMORY_MB (./pool-sizing.ts).
 * Host sandboxes live on one machine: with several replicas on different machines, each claims, counts
 * and recycles only its own host's rows (`host-scope.ts`), so each host keeps its own pool.
 *
 * When the provider keeps its own pool (`externalWarmPool`, Kubernetes), this class sizes it: a
 * top-up turns the recent agents into per-harness targets. Unless the provider can also pre-start a
 * harness (`prepare`: K8S_WARM_PREPARE), nothing is pre-created, no rows are kept, and `claim` answers
 * null (the provider's `create` already takes a warm pod); with it, the per-agent slots above are kept too.
 */
import { randomBytes } from "node:crypto";
import type { Database } from "../db/client";
import type { Logger } from "../lib/logger";
import { hostOf, hostScope } from "./host-scope";
import { agentDemand, FIRST_GUESS_BYTES, memoryRoom, poolTargets, sandboxMemoryBytes } from "./pool-sizing";
import type { SandboxSessionsPort } from "./ports";
import type { SandboxPreparation, SandboxProvider, SandboxSpec } from "./provider";

export interface WarmPoolSettings {
  size: number;
  ttlMinutes: number;
  maxProvisioning: number;
  recentAgentHours: number;
  /** LAP_WARM_POOL_MAX_MEMORY_MB: what the warm sandboxes may hold together (0 or unset: no ceiling). */
  maxMemoryMb?: number;
}

export interface AgentSandboxSpec {
  spec: SandboxSpec;
  hash: string;
  /** The harness setup to pre-start (./runtime/harness-setup.ts), with the gateway URL LAP hands out. */
  prepare?: { preparation: SandboxPreparation; gatewayBaseUrl: string };
}

export interface WarmPoolDeps {
  database: Database;
  provider: SandboxProvider;
  settings: WarmPoolSettings;
  /** Which agents are in demand (the sessions module's port, server/app.ts). */
  sessions: Pick<SandboxSessionsPort, "agentDemand">;
  /** The spec a sandbox for this agent gets now (null: the agent is gone or paused). */
  specFor(agentId: string): Promise<AgentSandboxSpec | null>;
  logger: Logger;
  now?: () => Date;
  refillDelayMs?: number;
}

export interface ClaimedSandbox {
  rowId: string;
  sandboxId: string;
  workspaceId: string;
}

const newRowId = () => `sbr_${randomBytes(8).toString("hex")}`;
export const newWorkspaceId = () => `ws_${randomBytes(8).toString("hex")}`;

export class WarmPool {
  private topping: Promise<void> | null = null;
  private refill: Promise<void> | null = null;

  constructor(private deps: WarmPoolDeps) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** Whether this pool keeps per-agent slots (rows): always, but over an external pool only when the provider prepares them. */
  get keepsSlots(): boolean {
    return !this.deps.provider.externalWarmPool || !!this.deps.provider.prepare;
  }

  /** Takes a warm sandbox for the agent whose spec still matches, or null (cold path). */
  async claim(agentId: string, specHash: string, sessionId: string): Promise<ClaimedSandbox | null> {
    if (this.deps.settings.size <= 0 || !this.keepsSlots) return null;
    const rows = await this.deps.database.transaction(async (tx) => {
      const found = await tx.query<{ id: string; sandbox_id: string; workspace_id: string }>(
        `select id, sandbox_id, workspace_id from sandboxes
          where agent_id = $1 and status = 'warm' and spec_hash = $2 and created_at > $3 and ${hostScope(4)}
          order by ready_at nulls last, created_at limit 1 for update skip locked`,
        [agentId, specHash, this.ttlCutoff(), this.host()],
      );
      if (!found[0]) return [];
      await tx.query(
        `update sandboxes set status = 'claimed', session_id = $2, claimed_at = now(), start_kind = 'warm', updated_at = now() where id = $1`,
        [found[0].id, sessionId],
      );
      return found;
    });
    this.scheduleRefill();
    const row = rows[0];
    return row ? { rowId: row.id, sandboxId: row.sandbox_id, workspaceId: row.workspace_id } : null;
  }

  /**
   * Refill in the background, a moment later (the claimed session's first turn should not compete
   * for CPU with the replacement's start); claims in a burst share one refill.
   */
  private scheduleRefill() {
    this.refill ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        this.refill = null;
        this.topUp()
          .catch((err) => this.deps.logger.warn({ err }, "warm pool top-up failed"))
          .finally(resolve);
      }, this.deps.refillDelayMs ?? 250),
    );
  }

  /** Resolves when no refill is pending or running (tests, shutdown). */
  async idle() {
    await this.refill;
    await this.topping;
  }

  private host() {
    return hostOf(this.deps.provider);
  }

  private ttlCutoff() {
    return new Date(this.now().getTime() - this.deps.settings.ttlMinutes * 60_000).toISOString();
  }

  /** One pass of the reconcile loop; concurrent calls in this process share one pass. */
  topUp(): Promise<void> {
    this.topping ??= this.topUpOnce().finally(() => {
      this.topping = null;
    });
    return this.topping;
  }

  private async topUpOnce() {
    if (this.deps.provider.externalWarmPool) await this.sizeExternal();
    if (!this.keepsSlots) return;
    await this.recycle();
    const { size, maxProvisioning, recentAgentHours } = this.deps.settings;
    if (size <= 0) return;
    const db = this.deps.database;
    // Pool slots only: a session's own sandbox being started cold is also `provisioning`, but it is no slot.
    const slots = await db.query<{ id: string; agent_id: string; status: string; sandbox_id: string | null }>(
      `select id, agent_id, status, sandbox_id from sandboxes where status in ('warm','provisioning') and session_id is null and ${hostScope(1)} order by created_at desc`,
      [this.host()],
    );
    const targets = poolTargets(await agentDemand(this.deps.sessions, this.now(), recentAgentHours, size), size);
    const perAgent = new Map<string, number>();
    for (const slot of slots) perAgent.set(slot.agent_id, (perAgent.get(slot.agent_id) ?? 0) + 1);
    const provisioning = slots.filter((s) => s.status === "provisioning").length;
    let budget = Math.min(maxProvisioning - provisioning, size - slots.length, await this.memoryRoom(slots));
    // First slots for every agent that wants one, then second ones, and so on (pool-sizing.ts).
    const launches: Promise<void>[] = [];
    const specs = new Map<string, AgentSandboxSpec | null>();
    for (let round = 1; budget > 0 && [...targets.values()].some((t) => t >= round); round++) {
      for (const [agentId, target] of targets) {
        if (budget <= 0) break;
        if (target < round || (perAgent.get(agentId) ?? 0) >= round) continue;
        if (!specs.has(agentId)) specs.set(agentId, await this.deps.specFor(agentId));
        const spec = specs.get(agentId);
        if (!spec) continue;
        budget--;
        perAgent.set(agentId, (perAgent.get(agentId) ?? 0) + 1);
        launches.push(this.provision(agentId, spec));
      }
    }
    await Promise.all(launches);
  }

  /** How many more sandboxes fit under LAP_WARM_POOL_MAX_MEMORY_MB, measured on the pool's own. */
  private async memoryRoom(slots: Array<{ sandbox_id: string | null }>): Promise<number> {
    const ceilingMb = this.deps.settings.maxMemoryMb ?? 0;
    if (ceilingMb <= 0) return Number.POSITIVE_INFINITY;
    const ids = new Set(slots.map((s) => s.sandbox_id).filter(Boolean));
    const measured = (await this.deps.provider.list()).filter((h) => ids.has(h.id)).map((h) => sandboxMemoryBytes(h.info) ?? 0);
    const usedBytes = measured.reduce((a, b) => a + b, 0);
    // A slot still starting counts as much as the largest one measured (or the first guess).
    const perSandboxBytes = measured.length ? Math.max(...measured) : FIRST_GUESS_BYTES;
    const unmeasured = slots.length - measured.length;
    return memoryRoom({ ceilingBytes: ceilingMb * 1024 * 1024, usedBytes: usedBytes + unmeasured * perSandboxBytes, perSandboxBytes });
  }

  /** The agents with the newest sessions in the last WARM_POOL_RECENT_AGENT_HOURS, at most WARM_POOL_SIZE. */
  private async recentAgents() {
    const { size, recentAgentHours } = this.deps.settings;
    return (await agentDemand(this.deps.sessions, this.now(), recentAgentHours, size)).map((d) => ({ agent_id: d.agentId }));
  }

  /**
   * External pool: one warm sandbox per recent agent, grouped by harness/image by the platform and
   * capped there at WARM_POOL_SIZE. With no recent agent the sizes set at start are left alone (a
   * fresh install keeps its default pool rather than scaling it to zero).
   */
  private async sizeExternal() {
    const external = this.deps.provider.externalWarmPool!;
    const targets = new Map<string, { harness: string; image?: string; size: number }>();
    if (this.deps.settings.size > 0) {
      for (const { agent_id } of await this.recentAgents()) {
        const s = (await this.deps.specFor(agent_id))?.spec;
        if (!s) continue;
        const key = `${s.harness}\u0000${s.image ?? ""}`;
        const t = targets.get(key) ?? { harness: s.harness, ...(s.image ? { image: s.image } : {}), size: 0 };
        t.size++;
        targets.set(key, t);
      }
      if (!targets.size) return;
    }
    await external.setTargets([...targets.values()]);
  }

  /** Reserves the slot first (so other replicas count it), then starts and waits for the sandbox. */
  private async provision(agentId: string, { spec, hash, prepare }: AgentSandboxSpec) {
    const rowId = newRowId();
    const workspaceId = newWorkspaceId();
    await this.deps.database.query(
      `insert into sandboxes (id, provider, host, agent_id, workspace_id, spec_hash, status) values ($1, $2, $3, $4, $5, $6, 'provisioning')`,
      [rowId, this.deps.provider.name, this.host(), agentId, workspaceId, hash],
    );
    try {
      const h = await this.deps.provider.create({
        ...spec,
        workspaceId,
        labels: { ...spec.labels, pool: "warm", agent_id: agentId, sandbox_row: rowId },
      });
      await this.deps.database.query(`update sandboxes set sandbox_id = $2, updated_at = now() where id = $1`, [rowId, h.id]);
      await this.deps.provider.waitReady(h.id, { timeoutMs: 60_000 });
      if (prepare && this.deps.provider.prepare) {
        // The harness's CLI started for this agent before any session; a failure leaves a plain warm
        // sandbox (the bind then starts the harness as a cold one would).
        const holdSeconds = this.deps.settings.ttlMinutes * 60;
        await this.deps.provider
          .prepare(h.id, { ...prepare.preparation, holdSeconds }, prepare.gatewayBaseUrl)
          .catch((err) =>
            this.deps.logger.warn({ err: (err as Error).message, agent_id: agentId }, "warm sandbox: the harness could not be pre-started"),
          );
      }
      const [updated] = await this.deps.database.query(
        `update sandboxes set status = 'warm', ready_at = now(), updated_at = now() where id = $1 and status = 'provisioning' returning id`,
        [rowId],
      );
      if (!updated) await this.deps.provider.destroy(h.id, { dropWorkspace: true });
    } catch (err) {
      this.deps.logger.warn({ err, agent_id: agentId }, "warm sandbox failed to provision");
      await this.deps.database.query(`update sandboxes set status = 'dead', reason = $2, updated_at = now() where id = $1`, [
        rowId,
        String((err as Error).message).slice(0, 500),
      ]);
    }
  }

  /** TTL expiry and spec drift: stop those warm sandboxes and forget them. */
  async recycle(): Promise<number> {
    // An external pool recycles its own warm sandboxes (WARM_POOL_TTL_MINUTES on the provider side).
    if (!this.keepsSlots) return 0;
    const db = this.deps.database;
    const warm = await db.query<{ id: string; sandbox_id: string | null; agent_id: string; spec_hash: string; created_at: Date | string }>(
      `select id, sandbox_id, agent_id, spec_hash, created_at from sandboxes where status = 'warm' and ${hostScope(1)}`,
      [this.host()],
    );
    const cutoff = new Date(this.ttlCutoff()).getTime();
    const specs = new Map<string, string | null>();
    let recycled = 0;
    for (const row of warm) {
      if (!specs.has(row.agent_id)) specs.set(row.agent_id, (await this.deps.specFor(row.agent_id))?.hash ?? null);
      const reason =
        new Date(row.created_at).getTime() <= cutoff ? "ttl-expired" : specs.get(row.agent_id) !== row.spec_hash ? "spec-changed" : null;
      if (!reason) continue;
      // Only the replica that flips the row stops the sandbox.
      const [flipped] = await db.query(
        `update sandboxes set status = 'dead', reason = $2, updated_at = now() where id = $1 and status = 'warm' returning id`,
        [row.id, reason],
      );
      if (!flipped) continue;
      recycled++;
      if (row.sandbox_id) await this.deps.provider.destroy(row.sandbox_id, { dropWorkspace: true }).catch(() => {});
    }
    await db.query(`delete from sandboxes where status = 'dead' and session_id is null and ${hostScope(1)}`, [this.host()]);
    return recycled;
  }

  async list() {
    return this.deps.database.query<{
      id: string;
      sandbox_id: string | null;
      agent_id: string;
      status: string;
      created_at: string;
      ready_at: string | null;
    }>(
      `select id, sandbox_id, agent_id, status, created_at, ready_at from sandboxes where status in ('provisioning','warm') and ${hostScope(1)} order by created_at`,
      [this.host()],
    );
  }
}
