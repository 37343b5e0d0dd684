import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Every sandbox LAP started, warm or bound to a session. The warm pool claims rows with
 * `FOR UPDATE SKIP LOCKED`; a session finds its workspace (for restart and recovery) here.
 * status: provisioning → warm → claimed (bound to session_id) → stopped | dead.
 * Host sandboxes (local, process) are processes on one machine: `host` names it, and warm claims,
 * pool counts and restart recovery on a machine only touch its own rows (see docs/sandboxes.md).
 */
export const sandboxes = pgTable(
  "sandboxes",
  {
    id: text("id").primaryKey(),
    /** The provider's id; null while the row reserves a slot before the provider answers. */
    sandboxId: text("sandbox_id"),
    provider: text("provider").notNull(),
    /** The machine a host sandbox runs on (LAP_HOST_ID); null for kubernetes (cluster-wide) and rows older than the column. */
    host: text("host"),
    agentId: text("agent_id").notNull(),
    sessionId: text("session_id"),
    workspaceId: text("workspace_id").notNull(),
    /** Hash of what a warm sandbox baked in (harness, image, env, the harness setup it pre-started): a change recycles it. */
    specHash: text("spec_hash").notNull(),
    status: text("status", { enum: ["provisioning", "warm", "claimed", "stopped", "dead"] }).notNull(),
    reason: text("reason"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    readyAt: timestamp("ready_at", { withTimezone: true }),
    claimedAt: timestamp("claimed_at", { withTimezone: true }),
    /**
     * How a session got this sandbox: `warm` (a pool hit), `warm_restarted` (a pool sandbox whose
     * pre-started harness the bind restarted: its CLI started cold), `cold` (a miss), `recovered` (its own
     * workspace again), `external` (Kubernetes' own pool); null for warm slots and older rows.
     */
    startKind: text("start_kind", { enum: ["warm", "warm_restarted", "cold", "recovered", "external"] }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("sandboxes_agent_status_idx").on(t.agentId, t.status),
    index("sandboxes_session_idx").on(t.sessionId),
    index("sandboxes_host_status_idx").on(t.host, t.status),
  ],
);

export type SandboxRow = typeof sandboxes.$inferSelect;
