import { z } from "zod";
import { budget, chosenId, duration, email, orgRole, teamRole } from "../teams/model";

export const createUserBody = z
  .object({
    user_id: chosenId.optional(),
    email: email.optional(),
    name: z.string().trim().max(200).optional(),
    role: orgRole.default("member"),
    /** Sets a password now (else: an invitation, or SSO). At least 12 characters. */
    password: z.string().min(12, "at least 12 characters").max(1024).optional(),
    models: z.array(z.string().min(1)).max(200).optional(),
    max_budget: budget.nullish(),
    budget_duration: duration.nullish(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    /** Teams to join as a member (the caller must be able to add members there). */
    teams: z.array(chosenId).max(50).optional(),
  })
  .strict();
export type CreateUserInput = z.input<typeof createUserBody>;

export const updateUserBody = z
  .object({
    name: z.string().trim().max(200).optional(),
    role: orgRole.optional(),
    password: z.string().min(12, "at least 12 characters").max(1024).optional(),
    models: z.array(z.string().min(1)).max(200).optional(),
    max_budget: budget.nullish(),
    budget_duration: duration.nullish(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export type UpdateUserInput = z.input<typeof updateUserBody>;

export const userIdParams = z.object({ id: z.string().min(1).max(128) });

export const userView = z.object({
  id: z.string(),
  email: z.string().nullable(),
  name: z.string(),
  role: orgRole,
  sso: z.boolean(),
  password: z.boolean(),
  models: z.array(z.string()),
  max_budget: z.number().nullable(),
  budget_duration: z.string().nullable(),
  budget_reset_at: z.string().nullable(),
  spend: z.number(),
  disabled: z.boolean(),
  teams: z.array(z.object({ id: z.string(), alias: z.string(), role: teamRole })),
  last_login_at: z.string().nullable(),
  created_at: z.string(),
});
export type UserView = z.infer<typeof userView>;

export const invitationView = z.object({
  id: z.string(),
  user_id: z.string(),
  /** Shown once: the link to send the person (BASE_URL/invite?token=…). */
  token: z.string(),
  url: z.string(),
  expires_at: z.string(),
});
