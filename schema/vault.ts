import { bigserial, index, jsonb, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";
import { teams } from "./teams";

/**
 * Vault secrets: an agent lists their names in `vault_keys`; its sandbox sees a stub under `name`
 * and LAP's egress proxy swaps in the real value only on requests to `hosts`. The value is sealed
 * (createSecretBox) and never returned; `value_hint` is its last four characters.
 */
export const vaultSecrets = pgTable(
  "vault_secrets",
  {
    id: text("id").primaryKey(),
    /**
     * The environment variable the sandbox sees. Unique per team (and once org-wide): two teams may
     * each have a GITHUB_TOKEN; an agent's name resolves to its team's, else the org-wide one.
     */
    name: text("name").notNull(),
    valueSealed: text("value_sealed").notNull(),
    valueHint: text("value_hint").notNull(),
    hosts: jsonb("hosts").$type<string[]>().notNull(),
    description: text("description").notNull().default(""),
    /** null: org-wide (org admins attach it to any agent); else only that team's admins attach it, to that team's agents. */
    teamId: text("team_id").references(() => teams.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** When the value was last set (create or rotate). */
    rotatedAt: timestamp("rotated_at", { withTimezone: true }).notNull().defaultNow(),
    /** When the egress proxy last swapped this secret into a request. */
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [unique("vault_secrets_team_name_key").on(t.teamId, t.name).nullsNotDistinct()],
);
export type VaultSecretRow = typeof vaultSecrets.$inferSelect;

/**
 * Every outbound request a sandbox made through LAP's egress proxy: names of secrets swapped or
 * refused, never values. Written in batches off the proxy path; pruned past EGRESS_RECORDS_RETENTION_DAYS.
 */
export const egressRecords = pgTable(
  "egress_records",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    sandboxId: text("sandbox_id").notNull(),
    sessionId: text("session_id"),
    agentId: text("agent_id"),
    method: text("method").notNull(),
    host: text("host").notNull(),
    outcome: text("outcome", { enum: ["allowed", "denied"] }).notNull(),
    swapped: jsonb("swapped").$type<string[]>().notNull().default([]),
    refused: jsonb("refused").$type<string[]>().notNull().default([]),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("egress_records_session_idx").on(t.sessionId, t.id),
    index("egress_records_sandbox_idx").on(t.sandboxId, t.id),
    index("egress_records_created_idx").on(t.createdAt),
  ],
);
export type EgressRecordRow = typeof egressRecords.$inferSelect;
