import { z } from "zod";

/** A live sandbox as the dashboard shows it. */
export const sandboxView = z.object({
  id: z.string(),
  provider: z.string(),
  state: z.string(),
  session_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  workspace_id: z.string(),
  pool: z.string().nullable(),
  created_at: z.string(),
  age_seconds: z.number(),
  cpu_seconds: z.number().nullable(),
  memory_bytes: z.number().nullable(),
  pid: z.number().nullable(),
  limits: z.string().nullable(),
  error: z.string().nullable(),
});
export type SandboxView = z.infer<typeof sandboxView>;

export const warmSlotView = z.object({
  id: z.string(),
  sandbox_id: z.string().nullable(),
  agent_id: z.string(),
  status: z.string(),
  created_at: z.string(),
  ready_at: z.string().nullable(),
});

export const egressRecordView = z.object({
  id: z.number(),
  at: z.string(),
  sandbox_id: z.string(),
  session_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  method: z.string(),
  host: z.string(),
  outcome: z.enum(["allowed", "denied"]),
  swapped: z.array(z.string()),
  refused: z.array(z.string()),
});

export const egressQuery = z.object({
  session_id: z.string().max(64).optional(),
  sandbox_id: z.string().max(128).optional(),
  /** The `next_before` of the previous page. */
  before: z.coerce.number({ error: "must be a record id" }).int().positive().optional(),
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(500, "at most 500").default(100),
});

/** How an agent's sessions got their sandbox over the last `stats_hours` (server/sandboxes/pool-stats.ts). */
export const poolAgentView = z.object({
  agent_id: z.string(),
  agent_name: z.string().nullable(),
  harness: z.string(),
  /** Sessions that took a warm sandbox. */
  hits: z.number(),
  /** Sessions that started their sandbox cold. */
  misses: z.number(),
  /** Sessions that took a warm sandbox whose pre-started harness the bind restarted (its CLI started cold). */
  restarted: z.number(),
});

export const poolView = z.object({
  enabled: z.boolean(),
  size: z.number(),
  ttl_minutes: z.number(),
  max_provisioning: z.number(),
  recent_agent_hours: z.number(),
  /** LAP_WARM_POOL_MAX_MEMORY_MB (0: no ceiling). */
  max_memory_mb: z.number(),
  stats_hours: z.number(),
  slots: z.array(warmSlotView),
  agents: z.array(poolAgentView),
});

export const sandboxIdParams = z.object({
  id: z
    .string()
    .regex(/^(sbx_|lap-)[0-9a-f]{12}$/, "must be a sandbox id such as sbx_0123456789ab (host) or lap-0123456789ab (kubernetes)"),
});
export const destroyQuery = z.object({ drop_workspace: z.enum(["true", "false"]).optional() });
