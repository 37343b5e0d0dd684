import { doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * People and teams (docs/security.md "Users, teams and roles"). A user's org role is `admin` (every
 * team, every route an admin key reaches) or `member` (what their teams' roles allow). A user signs in
 * with SSO (the OIDC issuer and subject), a password (argon2id), or both; budgets are LiteLLM's
 * (`max_budget`, `budget_duration`) with the running `spend` of the current window.
 */
export const ORG_ROLES = ["admin", "member"] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Lower-cased; null for users made through LiteLLM's /user/new with only an id. */
    email: text("email").unique(),
    name: text("name").notNull().default(""),
    role: text("role", { enum: ORG_ROLES }).notNull().default("member"),
    /** `Bun.password` (argon2id) hash; null: no password sign-in. */
    passwordHash: text("password_hash"),
    oidcIssuer: text("oidc_issuer"),
    oidcSubject: text("oidc_subject"),
    models: jsonb("models").$type<string[]>().notNull().default([]),
    maxBudget: doublePrecision("max_budget"),
    budgetDuration: text("budget_duration"),
    budgetResetAt: timestamp("budget_reset_at", { withTimezone: true }),
    spend: doublePrecision("spend").notNull().default(0),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    /** A disabled user signs in nowhere and its keys and dashboard sessions stop working. */
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("users_oidc_identity_uq").on(t.oidcIssuer, t.oidcSubject), index("users_created_at_idx").on(t.createdAt)],
);
export type UserRow = typeof users.$inferSelect;

/** The team every object made before teams existed, and every object LAP makes on its own, belongs to. */
export const DEFAULT_TEAM_ID = "team_default";

export const teams = pgTable("teams", {
  id: text("id").primaryKey(),
  alias: text("alias").notNull(),
  models: jsonb("models").$type<string[]>().notNull().default([]),
  maxBudget: doublePrecision("max_budget"),
  budgetDuration: text("budget_duration"),
  budgetResetAt: timestamp("budget_reset_at", { withTimezone: true }),
  spend: doublePrecision("spend").notNull().default(0),
  /** LiteLLM's team rate limits, over all the team's calls (per LAP replica, like a key's). */
  rpmLimit: integer("rpm_limit"),
  tpmLimit: integer("tpm_limit"),
  maxParallelRequests: integer("max_parallel_requests"),
  metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
  /** LiteLLM's `blocked`: every gateway call on the team's behalf is refused. */
  blockedAt: timestamp("blocked_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
export type TeamRow = typeof teams.$inferSelect;

/** Highest first: each role may do everything the ones after it may (server/auth/policy.ts). */
export const TEAM_ROLES = ["owner", "admin", "member", "viewer"] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

export const teamMembers = pgTable(
  "team_members",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: TEAM_ROLES }).notNull().default("member"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("team_members_user_idx").on(t.userId)],
);
export type TeamMemberRow = typeof teamMembers.$inferSelect;

/**
 * A one-time link that lets an invited user set a password and sign in (SSO users need none: their
 * first SSO sign-in with the invited, verified email links the account). Only the token's hash is kept.
 */
export const invitations = pgTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdBy: text("created_by").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("invitations_user_idx").on(t.userId)],
);
export type InvitationRow = typeof invitations.$inferSelect;

/** An SSO sign-in in flight: state, nonce and PKCE verifier, so any replica can finish it (10 minutes, used once). */
export const oidcFlows = pgTable("oidc_flows", {
  state: text("state").primaryKey(),
  nonce: text("nonce").notNull(),
  codeVerifier: text("code_verifier").notNull(),
  returnTo: text("return_to").notNull().default("/"),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
