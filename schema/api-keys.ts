import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** API keys are stored as a SHA-256 hash of a high-entropy token; the token itself is shown once. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    keyHash: text("key_hash").notNull().unique(),
    /** First characters of the token, safe to display so a user can tell keys apart. */
    keyPrefix: text("key_prefix").notNull(),
    label: text("label").notNull(),
    role: text("role", { enum: ["admin", "user"] }).notNull(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("api_keys_created_at_idx").on(t.createdAt)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
