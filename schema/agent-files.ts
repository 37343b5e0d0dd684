import { customType, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { agents } from "./agents";
import { DEFAULT_TEAM_ID, teams } from "./teams";

/** Raw bytes (Postgres bytea): PGlite and node-postgres both hand back a Uint8Array. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

/**
 * A file given to every new session of an agent (docs/files.md): stored in the database so every
 * replica, backups and PGlite see the same files; placed in the session's workspace at sandbox start.
 * `path` is normalized and relative (harness/files/paths.ts); the agent's team owns it.
 */
export const agentFiles = pgTable(
  "agent_files",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    teamId: text("team_id")
      .notNull()
      .default(DEFAULT_TEAM_ID)
      .references(() => teams.id, { onDelete: "restrict" }),
    path: text("path").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    contentType: text("content_type").notNull().default("application/octet-stream"),
    content: bytea("content").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("agent_files_agent_path_idx").on(t.agentId, t.path), index("agent_files_team_idx").on(t.teamId)],
);

export type AgentFileRow = typeof agentFiles.$inferSelect;
