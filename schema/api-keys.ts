import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { teams, users } from "./teams";

/**
 * What a key is for (docs/security.md "Keys and what each kind may do"): `admin` and `user` keys call
 * the management API (`user` scoped to what it created), `gateway` keys (LiteLLM virtual keys) only
 * the LLM gateway and /mcp, `session` keys the same for the one session they were minted for.
 */
export const KEY_KINDS = ["admin", "user", "gateway", "session"] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

/** API keys are stored as a SHA-256 hash of a high-entropy token; the token itself is shown once. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    keyHash: text("key_hash").notNull().unique(),
    /** First characters of the token, safe to display so a user can tell keys apart. */
    keyPrefix: text("key_prefix").notNull(),
    label: text("label").notNull(),
    /** `admin` for admin keys, `user` for every other kind; kept beside `kind` for replicas of the previous version. */
    role: text("role", { enum: ["admin", "user"] }).notNull(),
    kind: text("kind", { enum: KEY_KINDS }).notNull().default("user"),
    /**
     * A personal key acts as this user (their org role and teams); with `team_id` too, only in that team.
     * A key with only `team_id` is a team key: a `member` of that team. Deleting the user deletes its keys.
     */
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    teamId: text("team_id").references(() => teams.id, { onDelete: "cascade" }),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("api_keys_created_at_idx").on(t.createdAt), index("api_keys_user_idx").on(t.userId)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
