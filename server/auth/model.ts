import { z } from "zod";
import { KEY_KINDS, type KeyKind } from "../../schema/api-keys";
import type { TeamRole } from "../../schema/teams";

export const roleSchema = z.enum(["admin", "user"]);
export type Role = z.infer<typeof roleSchema>;
export const keyKindSchema = z.enum(KEY_KINDS);
export type { KeyKind };
/** Kinds a person may create through /api/keys; gateway keys come from /key/generate, session keys from LAP. */
export const creatableKindSchema = z.enum(["admin", "user"], { error: 'must be "admin" or "user" (gateway keys: POST /key/generate)' });

/**
 * What the caller is, for the route policy (server/http/route-policy.ts): a key's kind; the master
 * key and dashboard sessions are `admin`; a stream token is `stream` (one session's stream only); the
 * scrape token LAP_METRICS_TOKEN is `metrics` (GET /metrics only).
 */
export type CallerKind = KeyKind | "stream" | "metrics";

/**
 * Who is calling: the master key, an API key, or a dashboard session cookie (made from an admin key or
 * a user's sign-in). What it may do to an object is server/auth/policy.ts.
 */
export interface Principal {
  via: "master_key" | "api_key" | "session" | "stream_token" | "metrics_token";
  /** `admin` for the admin kind, `user` for every other (kept for the modules that only ask "admin?"). */
  role: Role;
  kind: CallerKind;
  /** API key id, absent for the master key. */
  keyId?: string;
  label: string;
  /** SHA-256 (hex) of the API key the call was made with (the gateway's spend rows record it). */
  keyHash?: string;
  /** The session (session keys, stream tokens, or a key whose metadata names one) the caller is bound to. */
  sessionId?: string;
  /** The agent a key is bound to (session keys, or a key whose metadata names one). */
  agentId?: string;
  /** The dashboard sign-in a cookie call came from (so logout ends exactly that one). */
  dashboardSessionId?: string;
  /** The user the caller acts as: a signed-in user, or a personal API key's owner. */
  userId?: string;
  /**
   * The teams the caller acts in and its role in each (server/auth/policy.ts). Admins act in every team
   * and carry none; a team key is a `member` of its one team; a stream token has none.
   */
  teams?: Readonly<Record<string, TeamRole>>;
  /** The dashboard's team switcher (`x-lap-team`): lists show only this team, new objects go to it. */
  activeTeam?: string;
  /** Where the call came from, for the audit trail (server/audit): set by the auth guard per request. */
  origin?: RequestOrigin;
}

/** The request a change was made in: recorded with each audit row (docs/operations.md "Audit trail"). */
export interface RequestOrigin {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

/** Use an invitation (server/users): set a password and sign in. */
export const acceptInvitationBody = z
  .object({
    token: z.string().min(10).max(200),
    password: z.string().min(12, "at least 12 characters").max(1024),
    name: z.string().trim().max(200).optional(),
  })
  .strict();

/** Sign in with a key (the master key or an admin key) or a user's email and password. */
export const loginBody = z
  .object({
    key: z.string().min(1, "enter the master key or an admin API key").optional(),
    email: z.string().trim().min(3, "enter your email").max(320).optional(),
    password: z.string().min(1, "enter your password").max(1024).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.key !== undefined || (b.email !== undefined && b.password !== undefined)) return;
    const field = b.email !== undefined ? "password" : "key";
    ctx.addIssue({
      code: "custom",
      path: [field],
      message: field === "password" ? "enter your password" : "enter the master key or an admin API key (or an email and password)",
    });
  });

export const createKeyBody = z.object({
  /** A personal key for this user (admins: any user; a user: only itself, which is the default). */
  user_id: z.string().min(1).max(200).optional(),
  /** Restrict the key to one team (a personal key: one of its user's teams; without a user: a team key). */
  team_id: z.string().min(1).max(200).optional(),
  label: z
    .string({ error: (i) => (i.input === undefined ? "required: give the key a label" : "must be a string") })
    .trim()
    .min(1, "give the key a label")
    .max(100, "at most 100 characters"),
  role: roleSchema.optional(),
  /** Same as role (admin or user); give either. */
  kind: creatableKindSchema.optional(),
  expires_at: z.iso
    .datetime({ offset: true, message: "must be an ISO date-time" })
    .optional()
    .refine((v) => v === undefined || Date.parse(v) > Date.now(), "must be in the future"),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type CreateKeyInput = z.input<typeof createKeyBody>;
export const kindOfCreateInput = (b: { role?: Role; kind?: "admin" | "user" }) => b.kind ?? b.role ?? "user";

export const keyIdParams = z.object({ id: z.string().min(1).max(64) });

/**
 * Which keys GET /api/keys lists. By default the management keys (admin and user): gateway (virtual)
 * and session keys are the LLM gateway's and are listed with their limits and spend by /key/list
 * (the dashboard's Gateway keys page), so no key shows up on both pages.
 */
export const listKeysQuery = z.object({
  kind: z.enum(["admin", "user", "gateway", "session", "all"], { error: "must be admin, user, gateway, session or all" }).optional(),
});
export const MANAGEMENT_KEY_KINDS = ["admin", "user"] as const;

export const apiKeyView = z.object({
  id: z.string(),
  label: z.string(),
  role: roleSchema,
  kind: keyKindSchema,
  user_id: z.string().nullable(),
  team_id: z.string().nullable(),
  prefix: z.string(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  status: z.enum(["active", "expired", "revoked"]),
});
export type ApiKeyView = z.infer<typeof apiKeyView>;

export const createdKeyView = z.object({ key: apiKeyView, token: z.string() });
export const meView = z.object({
  name: z.string(),
  role: roleSchema,
  kind: z.string(),
  via: z.string(),
  label: z.string(),
  /** The signed-in user (null: a key or the master key). */
  user_id: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  /** The teams the caller acts in (admins: every team) with its role in each, for the team switcher. */
  teams: z.array(z.object({ id: z.string(), alias: z.string(), role: z.string() })).optional(),
});

export const dashboardSessionView = z.object({
  id: z.string(),
  label: z.string(),
  key_id: z.string().nullable(),
  user_id: z.string().nullable(),
  created_at: z.string(),
  expires_at: z.string(),
  current: z.boolean(),
});
export type DashboardSessionView = z.infer<typeof dashboardSessionView>;
