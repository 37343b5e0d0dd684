import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";
import { users } from "./teams";

/**
 * Dashboard sign-ins, so one can be ended before it expires (docs/security.md "Dashboard sessions,
 * CSRF and login"). The cookie holds a random token; only its HMAC (keyed from the master key, so a
 * new MASTER_KEY ends every session) is stored. `key_id` null: signed in with the master key.
 */
export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    keyId: text("key_id").references(() => apiKeys.id, { onDelete: "cascade" }),
    /** The user who signed in (SSO, password or invitation); null: signed in with a key. */
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    label: text("label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    index("dashboard_sessions_key_idx").on(t.keyId),
    index("dashboard_sessions_user_idx").on(t.userId),
    index("dashboard_sessions_expires_idx").on(t.expiresAt),
  ],
);

export type DashboardSessionRow = typeof dashboardSessions.$inferSelect;
