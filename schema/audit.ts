import { bigserial, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The audit trail (docs/operations.md "Audit trail"): who did what to which object, one row per change,
 * written in the same transaction as the change. Append-only: no route updates or deletes a row, and a
 * trigger (drizzle/0011_audit_trail.sql) refuses UPDATE and DELETE unless the retention job, and only
 * it, sets `lap.audit_prune` for its own transaction. Secrets never reach `changes` or `detail`
 * (server/audit/redact.ts, driven by AUDIT_REDACTED_FIELDS below).
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** `admin`, `user`, `gateway`, `session`, `stream`, `system` (LAP itself) or `anonymous` (a failed login). */
    actorKind: text("actor_kind").notNull(),
    actorKeyId: text("actor_key_id"),
    actorUserId: text("actor_user_id"),
    /** The key's label, the user's email, or "master key". */
    actorLabel: text("actor_label").notNull().default(""),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    /** `<object>.<verb>`, e.g. `agent.update`, `auth.login_failed`, `sandbox.start`, `secret.use`. */
    action: text("action").notNull(),
    objectType: text("object_type").notNull(),
    objectId: text("object_id"),
    /** The team the object belongs to (null: org-wide); team admins read their teams' rows. */
    teamId: text("team_id"),
    /** Changed fields: `{ field: { before, after } }`, secrets replaced by "[redacted]". */
    changes: jsonb("changes").$type<Record<string, { before: unknown; after: unknown }>>().notNull().default({}),
    /** Anything else worth knowing (a secret's host and session, a login's method); never a secret. */
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    index("audit_log_at_idx").on(t.at, t.id),
    index("audit_log_object_idx").on(t.objectType, t.objectId),
    index("audit_log_team_idx").on(t.teamId, t.id),
    index("audit_log_request_idx").on(t.requestId),
  ],
);
export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

/**
 * Fields (drizzle property names, any table) whose values never enter the audit trail: a change shows
 * `[redacted]` on both sides. server/audit/redact.test.ts walks every table in schema/ and fails when a
 * column whose name looks secret (hash, sealed, secret, token, password, key material) is in neither
 * this list nor AUDIT_PLAIN_FIELDS, so a new secret column has to be classified.
 */
export const AUDIT_REDACTED_FIELDS: ReadonlySet<string> = new Set([
  // Stored secrets, sealed or hashed.
  "keyHash",
  "tokenHash",
  "passwordHash",
  "valueSealed",
  "secretSealed",
  "secretsSealed",
  "apiKeySealed",
  "paramsSealed",
  "botTokenSealed",
  "sealed",
  "codeVerifier",
  "accessTokenSealed",
  "refreshTokenSealed",
  // A vault value's last characters: shown to admins in the Vault, but kept out of the trail.
  "valueHint",
  // Secrets as they arrive in a request body or an upstream's parameters (nested keys are matched too).
  "apiKey",
  "value",
  "secret",
  "token",
  "password",
  "clientSecret",
  "accessToken",
  "refreshToken",
  "authorization",
  "headers",
  "env",
  "key",
]);

/** Columns whose names look secret but hold none (ids, hints, prefixes, counts, names of secrets). */
export const AUDIT_PLAIN_FIELDS: ReadonlySet<string> = new Set([
  "keyId",
  "ownerKeyId",
  "actorKeyId",
  "keyPrefix",
  "keyAlias",
  "vaultKeys",
  "specHash",
  "idempotencyKey",
  "promptTokens",
  "completionTokens",
  "totalTokens",
  "litellmParams",
  // Linear: a webhook's dedupe key, a workspace's URL slug, when its token expires.
  "dedupeKey",
  "urlKey",
  "tokenExpiresAt",
]);
