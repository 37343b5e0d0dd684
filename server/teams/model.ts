import { z } from "zod";
import { TEAM_ROLES } from "../../schema/teams";
import { durationMs } from "../gateway/keys/duration";

export const duration = z.string().refine((v) => durationMs(v) !== undefined, "must be a duration such as 30s, 15m, 1h, 30d");
export const budget = z.number({ message: "must be a number" }).min(0, "must be 0 or more");
/** Ids people choose (LiteLLM lets callers name them): safe in URLs and logs. */
export const chosenId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9@._:-]{0,127}$/, "letters, digits and @ . _ : - only, at most 128 characters");
/** Compared lower-cased (the services lower-case it before storing or looking up). */
export const email = z.email({ message: "must be an email address" }).max(320);

export const teamRole = z.enum(TEAM_ROLES, { error: `must be one of ${TEAM_ROLES.join(", ")}` });
export const orgRole = z.enum(["admin", "member"], { error: 'must be "admin" or "member"' });

export const createTeamBody = z
  .object({
    team_id: chosenId.optional(),
    alias: z.string().trim().min(1, "required: a name for the team").max(100),
    models: z.array(z.string().min(1)).max(200).optional(),
    max_budget: budget.nullish(),
    budget_duration: duration.nullish(),
    rpm_limit: z
      .number({ error: "must be a whole number of requests per minute" })
      .int("must be a whole number of requests per minute")
      .min(1, "at least 1")
      .nullish(),
    tpm_limit: z
      .number({ error: "must be a whole number of tokens per minute" })
      .int("must be a whole number of tokens per minute")
      .min(1, "at least 1")
      .nullish(),
    max_parallel_requests: z.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "at least 1").nullish(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type CreateTeamInput = z.input<typeof createTeamBody>;

export const updateTeamBody = z
  .object({
    alias: z.string().trim().min(1).max(100).optional(),
    models: z.array(z.string().min(1)).max(200).optional(),
    max_budget: budget.nullish(),
    budget_duration: duration.nullish(),
    rpm_limit: z
      .number({ error: "must be a whole number of requests per minute" })
      .int("must be a whole number of requests per minute")
      .min(1, "at least 1")
      .nullish(),
    tpm_limit: z
      .number({ error: "must be a whole number of tokens per minute" })
      .int("must be a whole number of tokens per minute")
      .min(1, "at least 1")
      .nullish(),
    max_parallel_requests: z.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "at least 1").nullish(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    blocked: z.boolean().optional(),
  })
  .strict();
export type UpdateTeamInput = z.input<typeof updateTeamBody>;

export const memberBody = z
  .object({
    /** An existing user's id, or an email (a user is created for a new email, with an invitation). */
    user_id: chosenId.optional(),
    email: email.optional(),
    role: teamRole.default("member"),
  })
  .strict()
  .refine((b) => b.user_id || b.email, { message: "give user_id or email", path: ["user_id"] });
export type MemberInput = z.input<typeof memberBody>;

export const memberRoleBody = z.object({ role: teamRole }).strict();

export const teamIdParams = z.object({ id: z.string().min(1).max(128) });
export const memberParams = z.object({ id: z.string().min(1).max(128), userId: z.string().min(1).max(128) });

export const teamView = z.object({
  id: z.string(),
  alias: z.string(),
  models: z.array(z.string()),
  max_budget: z.number().nullable(),
  budget_duration: z.string().nullable(),
  budget_reset_at: z.string().nullable(),
  spend: z.number(),
  rpm_limit: z.number().nullable(),
  tpm_limit: z.number().nullable(),
  max_parallel_requests: z.number().nullable(),
  blocked: z.boolean(),
  metadata: z.record(z.string(), z.unknown()),
  /** The caller's role in the team (admins: owner). */
  my_role: z.string().nullable(),
  member_count: z.number(),
  created_at: z.string(),
});
export type TeamView = z.infer<typeof teamView>;

export const memberView = z.object({
  user_id: z.string(),
  email: z.string().nullable(),
  name: z.string(),
  role: teamRole,
  joined_at: z.string(),
});
export type MemberView = z.infer<typeof memberView>;

export const spendQuery = z.object({
  start_date: z.iso.datetime({ offset: true, message: "must be an ISO date-time" }).optional(),
  end_date: z.iso.datetime({ offset: true, message: "must be an ISO date-time" }).optional(),
});
export const spendRow = z.object({
  id: z.string(),
  name: z.string(),
  requests: z.number(),
  spend: z.number(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
});
