import { boolean, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";
import { runtimes } from "./runtimes";
import { DEFAULT_TEAM_ID, teams, users } from "./teams";

/** An MCP server attached to an agent: forwarded to the runtime as `{type:"url", name, url}`. */
export interface AgentMcpServer {
  name: string;
  url: string;
}

/** An agent definition: what a session runs. `status = paused` refuses new sessions and turns. */
export const agents = pgTable(
  "agents",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull().unique(),
    description: text("description").notNull().default(""),
    model: text("model").notNull(),
    systemPrompt: text("system_prompt").notNull().default(""),
    runtimeId: text("runtime_id").references(() => runtimes.id, { onDelete: "restrict" }),
    harness: text("harness").notNull().default("default"),
    tools: jsonb("tools").$type<string[]>().notNull().default([]),
    /** Tools whose every call waits for a person's decision (Managed Agents `always_ask`). */
    approvalRequiredTools: jsonb("approval_required_tools").$type<string[]>().notNull().default([]),
    mcpServers: jsonb("mcp_servers").$type<AgentMcpServer[]>().notNull().default([]),
    skillIds: jsonb("skill_ids").$type<string[]>().notNull().default([]),
    ruleIds: jsonb("rule_ids").$type<string[]>().notNull().default([]),
    /** Agents this agent may start as sub-agents through LAP's platform MCP tools (docs/memory.md). */
    subagentIds: jsonb("subagent_ids").$type<string[]>().notNull().default([]),
    /** Whether its sessions get LAP's platform MCP server `lap` (memory, sub-agents, sessions, approval). */
    platformTools: boolean("platform_tools").notNull().default(true),
    vaultKeys: jsonb("vault_keys").$type<string[]>().notNull().default([]),
    /** Hosts the agent's sandbox may reach through the egress proxy (patterns; empty = none). */
    egressAllowHosts: jsonb("egress_allow_hosts").$type<string[]>().notNull().default([]),
    environment: jsonb("environment").$type<Record<string, string>>().notNull().default({}),
    repoUrl: text("repo_url"),
    repoBranch: text("repo_branch"),
    maxRuntimeMinutes: integer("max_runtime_minutes").notNull().default(30),
    idleTimeoutMinutes: integer("idle_timeout_minutes").notNull().default(60),
    /** Whether LAP writes its sessions' titles when LAP_TITLE_MODEL is set (docs/sessions.md "Titles"). */
    generateTitles: boolean("generate_titles").notNull().default(true),
    status: text("status", { enum: ["active", "paused"] })
      .notNull()
      .default("active"),
    /**
     * The API key that created the agent: a `user` key sees and changes only its own agents (null: made
     * with the master key or by LAP itself, admins only). Teams will add a team owner beside it.
     */
    ownerKeyId: text("owner_key_id").references(() => apiKeys.id, { onDelete: "set null" }),
    /** The team the agent belongs to: its members see it, its admins manage it (server/auth/policy.ts). Rows written without one go to Default (admins only). */
    teamId: text("team_id")
      .notNull()
      .default(DEFAULT_TEAM_ID)
      .references(() => teams.id, { onDelete: "restrict" }),
    /** The user who created it (null: a key without a user, the master key, LAP). */
    ownerUserId: text("owner_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("agents_created_at_idx").on(t.createdAt),
    index("agents_owner_idx").on(t.ownerKeyId, t.createdAt),
    index("agents_team_idx").on(t.teamId, t.createdAt),
  ],
);

export type AgentRow = typeof agents.$inferSelect;
