/**
 * What the admin pages and the metrics scrape see of the sandboxes: the provider's sandboxes joined to
 * their rows, and the warm pool's slots and settings. Read-only; SandboxService (service.ts) hands in
 * the provider and the host scope.
 */
import type { AgentSandboxSettingsPort } from "./ports";
import type { Database } from "../db/client";
import { hostScope } from "./host-scope";
import type { SandboxView } from "./model";
import { poolStats, STATS_HOURS } from "./pool-stats";
import type { SandboxProvider } from "./provider";
import type { WarmPoolSettings } from "./warm-pool";

/** The provider's sandboxes, each with its session, agent and pool status from its row. */
export async function listSandboxes(database: Database, provider: SandboxProvider): Promise<SandboxView[]> {
  const rows = await database.query<{ sandbox_id: string; session_id: string | null; agent_id: string; status: string }>(
    `select sandbox_id, session_id, agent_id, status from sandboxes where sandbox_id is not null and status in ('provisioning','warm','claimed','stopped')`,
  );
  const byId = new Map(rows.map((r) => [r.sandbox_id, r]));
  const now = Date.now();
  return (await provider.list()).map((h) => {
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

/** A host's warm-pool slots by status (`hostId` null: every host's, as on Kubernetes). */
export function warmPoolCounts(database: Database, hostId: string | null): Promise<Array<{ status: string; count: number }>> {
  return database.query<{ status: string; count: number }>(
    `select status, count(*)::int as count from sandboxes where status in ('provisioning','warm') and ${hostScope(1)} group by status`,
    [hostId],
  );
}

/** The warm pool's settings, per-agent stats and slots on a host (`hostId` null: every host's). */
export async function poolSlots(
  database: Database,
  agents: Pick<AgentSandboxSettingsPort, "summaries">,
  hostId: string | null,
  s: Required<WarmPoolSettings>,
) {
  const slots = await database.query<{
    id: string;
    sandbox_id: string | null;
    agent_id: string;
    status: string;
    created_at: Date | string;
    ready_at: Date | string | null;
  }>(
    `select id, sandbox_id, agent_id, status, created_at, ready_at from sandboxes where status in ('provisioning','warm') and ${hostScope(1)} order by created_at`,
    [hostId],
  );
  const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
  return {
    enabled: s.size > 0,
    size: s.size,
    ttl_minutes: s.ttlMinutes,
    max_provisioning: s.maxProvisioning,
    recent_agent_hours: s.recentAgentHours,
    max_memory_mb: s.maxMemoryMb,
    stats_hours: STATS_HOURS,
    agents: await poolStats(database, agents, hostId),
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
