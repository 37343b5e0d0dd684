import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { agents } from "./agents";
import { DEFAULT_TEAM_ID, teams, users } from "./teams";

/**
 * An agent's memory entry (docs/memory.md): `always_on` entries enter every new session's system
 * prompt; the rest the agent reads and searches through LAP's platform MCP tools. `user_id` set: the
 * entry belongs to that user's sessions of the agent only (null: every session of the agent).
 * `version` counts edits; every earlier state is a row in `agent_memory_versions`. A delete is soft
 * (`deleted_at`) and restorable; `key` is unique among the live entries of one agent and user.
 */
export const agentMemory = pgTable(
  "agent_memory",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    /** Always the agent's team (server/auth/policy.ts). */
    teamId: text("team_id")
      .notNull()
      .default(DEFAULT_TEAM_ID)
      .references(() => teams.id, { onDelete: "restrict" }),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    content: text("content").notNull(),
    alwaysOn: boolean("always_on").notNull().default(false),
    version: integer("version").notNull().default(1),
    /** Who wrote the current version: a person's key label, or `session <id>` for an agent's own write. */
    updatedBy: text("updated_by").notNull().default(""),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("agent_memory_key_uq").on(t.agentId, sql`coalesce(${t.userId}, '')`, t.key).where(sql`deleted_at is null`),
    index("agent_memory_agent_idx").on(t.agentId, t.updatedAt),
  ],
);

export type AgentMemoryRow = typeof agentMemory.$inferSelect;

/** Every state an entry had, written in the transaction that changed it (the newest equals the entry). */
export const agentMemoryVersions = pgTable(
  "agent_memory_versions",
  {
    memoryId: text("memory_id")
      .notNull()
      .references(() => agentMemory.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    key: text("key").notNull(),
    content: text("content").notNull(),
    alwaysOn: boolean("always_on").notNull(),
    /** `create`, `update`, `delete`, `restore`. */
    change: text("change").notNull(),
    deleted: boolean("deleted").notNull().default(false),
    updatedBy: text("updated_by").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("agent_memory_versions_uq").on(t.memoryId, t.version)],
);

export type AgentMemoryVersionRow = typeof agentMemoryVersions.$inferSelect;
