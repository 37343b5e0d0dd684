import { boolean, pgTable, primaryKey, text, timestamp, unique } from "drizzle-orm/pg-core";
import { teams } from "./teams";

/** A registered runtime (a service speaking the Managed Agents protocol). The API key is sealed. */
export const runtimes = pgTable(
  "runtimes",
  {
    id: text("id").primaryKey(),
    /** Unique per team (and once org-wide): agents point at a runtime by id, so aliases may repeat across teams. */
    alias: text("alias").notNull(),
    protocol: text("protocol", { enum: ["managed-agents", "sandbox"] }).notNull(),
    baseUrl: text("base_url").notNull(),
    apiKeySealed: text("api_key_sealed").notNull(),
    status: text("status", { enum: ["unknown", "ok", "error"] })
      .notNull()
      .default("unknown"),
    statusMessage: text("status_message"),
    checkedAt: timestamp("checked_at", { withTimezone: true }),
    /** null: org-wide (org admins manage it; every team's agents may use it); else that team's. */
    teamId: text("team_id").references(() => teams.id, { onDelete: "cascade" }),
    /**
     * A team admin named the base URL (not an org admin): it was refused if it named a non-public
     * address, and every connection LAP makes to it is checked again after resolution (DNS rebinding;
     * docs/security.md "User-supplied URLs and hosts").
     */
    baseUrlChecked: boolean("base_url_checked").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("runtimes_team_alias_key").on(t.teamId, t.alias).nullsNotDistinct()],
);

export type RuntimeRow = typeof runtimes.$inferSelect;

/**
 * The runtime-side agent made for a LAP agent, reused by every session while the definition's
 * signature is unchanged (the system we model created one remote agent per session).
 */
export const runtimeAgents = pgTable(
  "runtime_agents",
  {
    runtimeId: text("runtime_id")
      .notNull()
      .references(() => runtimes.id, { onDelete: "cascade" }),
    agentId: text("agent_id").notNull(),
    remoteAgentId: text("remote_agent_id").notNull(),
    remoteEnvironmentId: text("remote_environment_id"),
    signature: text("signature").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runtimeId, t.agentId] })],
);

export type RuntimeAgentRow = typeof runtimeAgents.$inferSelect;
