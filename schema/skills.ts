import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";
import { DEFAULT_TEAM_ID, teams, users } from "./teams";

/** One file of a skill besides SKILL.md: a relative path inside the skill's folder and its bytes (base64). */
export interface SkillFile {
  path: string;
  content_base64: string;
}

/**
 * Skills in the Agent Skills format (docs/skills.md): a folder whose SKILL.md has YAML front matter
 * (`name`, `description`) plus files. `name` and `description` mirror the current version's front matter.
 */
export const skills = pgTable(
  "skills",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .default(DEFAULT_TEAM_ID)
      .references(() => teams.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    currentVersion: integer("current_version").notNull().default(1),
    ownerKeyId: text("owner_key_id").references(() => apiKeys.id, { onDelete: "set null" }),
    ownerUserId: text("owner_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("skills_team_name_unique").on(t.teamId, t.name), index("skills_team_idx").on(t.teamId, t.createdAt)],
);
export type SkillRow = typeof skills.$inferSelect;

/** Every version of a skill, never changed once written: SKILL.md and its files (size-limited, docs/skills.md). */
export const skillVersions = pgTable(
  "skill_versions",
  {
    skillId: text("skill_id")
      .notNull()
      .references(() => skills.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    skillMd: text("skill_md").notNull(),
    files: jsonb("files").$type<SkillFile[]>().notNull().default([]),
    /** Bytes of SKILL.md and the files together. */
    size: integer("size").notNull(),
    /** How it was made: `api`, `zip`, `git <url>`, `rollback to <n>`. */
    source: text("source").notNull().default("api"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.skillId, t.version] })],
);
export type SkillVersionRow = typeof skillVersions.$inferSelect;

/** Rules: markdown instructions given to an agent's harness (AGENTS.md, CLAUDE.md, the system prompt). */
export const rules = pgTable(
  "rules",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .default(DEFAULT_TEAM_ID)
      .references(() => teams.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    currentVersion: integer("current_version").notNull().default(1),
    ownerKeyId: text("owner_key_id").references(() => apiKeys.id, { onDelete: "set null" }),
    ownerUserId: text("owner_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("rules_team_name_unique").on(t.teamId, t.name), index("rules_team_idx").on(t.teamId, t.createdAt)],
);
export type RuleRow = typeof rules.$inferSelect;

export const ruleVersions = pgTable(
  "rule_versions",
  {
    ruleId: text("rule_id")
      .notNull()
      .references(() => rules.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    body: text("body").notNull(),
    source: text("source").notNull().default("api"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.version] })],
);
export type RuleVersionRow = typeof ruleVersions.$inferSelect;
