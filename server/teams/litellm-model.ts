import { z } from "zod";
import { budget, chosenId, duration } from "./model";

/**
 * LiteLLM's team and user admin API, as documented (https://docs.litellm.ai/docs/proxy/users,
 * https://docs.litellm.ai/docs/proxy/team_budgets; fixtures in test/support/litellm-team-api.ts).
 * LiteLLM's team roles are `admin` and `user`; LAP's `member` is LiteLLM's `user`, and LAP's own
 * `owner` and `viewer` are accepted too.
 */
const litellmMemberRole = z.enum(["admin", "user", "owner", "member", "viewer"], { error: 'must be "admin" or "user"' });
/** LiteLLM's `user` is LAP's `member`. */
export const toLapRole = (r: z.infer<typeof litellmMemberRole>) => (r === "user" ? "member" : r);

const member = z
  .object({
    role: litellmMemberRole.default("user"),
    user_id: chosenId.optional(),
    user_email: z.email({ message: "must be an email address" }).max(320).optional(),
  })
  .refine((m) => m.user_id || m.user_email, { message: "give user_id or user_email", path: ["user_id"] });

export const litellmNewTeamBody = z.object({
  team_id: chosenId.optional(),
  team_alias: z.string().trim().min(1).max(100).optional(),
  models: z.array(z.string().min(1)).optional(),
  max_budget: budget.nullish(),
  budget_duration: duration.nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  members_with_roles: z.array(member).max(100).optional(),
  blocked: z.boolean().optional(),
  tpm_limit: z.number().int().min(1).nullish(),
  rpm_limit: z.number().int().min(1).nullish(),
  max_parallel_requests: z.number().int().min(1).nullish(),
});

export const litellmMemberAddBody = z.object({
  team_id: z.string({ error: "required: the team's id" }).min(1, "required: the team's id"),
  member: z.union([member, z.array(member).min(1).max(100)]),
  max_budget_in_team: budget.nullish(),
});

export const litellmTeamQuery = z.object({ team_id: z.string({ error: "required: ?team_id=" }).min(1, "required: ?team_id=") });

export const litellmUserRole = z.enum(["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"], {
  error: "must be proxy_admin, proxy_admin_viewer, internal_user or internal_user_viewer",
});

export const litellmNewUserBody = z.object({
  user_id: chosenId.optional(),
  user_email: z.email({ message: "must be an email address" }).max(320).optional(),
  user_alias: z.string().trim().max(200).optional(),
  user_role: litellmUserRole.optional(),
  teams: z.array(chosenId).max(50).optional(),
  models: z.array(z.string().min(1)).optional(),
  max_budget: budget.nullish(),
  budget_duration: duration.nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** LiteLLM makes a key for the new user unless told not to. */
  auto_create_key: z.boolean().default(true),
  send_invite_email: z.boolean().optional(),
  key_alias: z.string().trim().max(200).optional(),
});

export const litellmUserInfoQuery = z.object({ user_id: z.string().min(1).max(128).optional() });
export const litellmUserListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(25),
});
