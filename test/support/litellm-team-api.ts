/**
 * LiteLLM's team and user admin API as its documentation shows it: request bodies of its examples and
 * the fields (with their types) of its example responses, in the Shape notation of
 * test/support/litellm-key-api.ts. server/teams/litellm-teams.test.ts sends these to LAP and checks the
 * answers against these shapes.
 *
 * Sources (examples as documented; ids are the docs' placeholders and are replaced by real ones):
 *  - https://docs.litellm.ai/docs/proxy/users ("Add budgets to teams": /team/new with members_with_roles
 *    and its sample response; "Team Members": /user/new, /team/member_add with max_budget_in_team;
 *    "Add budgets to users": /user/new and its sample response {key, expires, user_id, max_budget});
 *    also BerriAI/litellm docs/my-website/docs/proxy/users.md
 *  - https://docs.litellm.ai/docs/proxy/team_budgets ("Setting Monthly Team Budgets": /team/new with
 *    max_budget and budget_duration, the response with team_id and budget_reset_at; a key for the team;
 *    the over-budget answer on the second call)
 *  - https://litellm-api.up.railway.app/ (LiteLLM's API reference, generated from
 *    litellm/proxy/management_endpoints/team_endpoints.py and internal_user_endpoints.py): /team/list
 *    returns a list of teams; /team/info?team_id= returns {team_id, team_info, keys, team_memberships};
 *    /team/member_add returns the team with updated_users and updated_team_memberships; /user/info?user_id=
 *    returns {user_id, user_info, keys, teams}; /user/list returns {users, total, page, page_size, total_pages}
 */
import type { Shape } from "./litellm-key-api";

export const teamNew = {
  requests: {
    // users: "Add budgets to teams"
    withMembers: (userId: string) => ({
      team_alias: "my-new-team_4",
      members_with_roles: [{ role: "admin", user_id: userId }],
      rpm_limit: 99,
    }),
    // team_budgets: "1. Create a team"
    budget: { team_alias: "QA Prod Bot", max_budget: 0.000000001, budget_duration: "1d" },
  },
  // users: "Sample Response" of /team/new
  response: {
    team_alias: "string",
    team_id: "string",
    admins: "array",
    members: "array",
    members_with_roles: "array",
    metadata: "object",
    tpm_limit: "integer|null",
    rpm_limit: "integer|null",
    max_budget: "number|null",
    models: "array",
    spend: "number",
    max_parallel_requests: "integer|null",
    budget_duration: "string|null",
    budget_reset_at: "datetime|null",
  } satisfies Shape,
};

export const teamMemberAdd = {
  // users: "Step 2. Add User to an existing Team - set max_budget_in_team"
  request: (teamId: string, userId: string) => ({
    team_id: teamId,
    max_budget_in_team: 0.000000000001,
    member: { role: "user", user_id: userId },
  }),
  // API reference: TeamAddMemberResponse (the team, plus what changed)
  response: {
    team_id: "string",
    team_alias: "string",
    members_with_roles: "array",
    updated_users: "array",
    updated_team_memberships: "array",
  } satisfies Shape,
};

export const teamInfo = {
  query: (teamId: string) => `?team_id=${encodeURIComponent(teamId)}`,
  response: {
    team_id: "string",
    team_info: { team_id: "string", team_alias: "string", members_with_roles: "array", spend: "number", max_budget: "number|null" },
    keys: "array",
    team_memberships: "array",
  } satisfies Shape,
};

export const userNew = {
  requests: {
    // users: "Step 1. Create User"
    idOnly: { user_id: "ishaan" },
    // users: "Add budgets to users"
    budget: { models: ["azure-models"], max_budget: 0, user_id: "krrish3@berri.ai" },
  },
  // users: {"key": "sk-YF2OxDbrgd1y2KgwxmEA2w", "expires": "2023-12-22T09:53:13.861000Z", "user_id": "krrish3@berri.ai", "max_budget": 0.0}
  response: { key: "string", expires: "datetime|null", user_id: "string", max_budget: "number|null" } satisfies Shape,
};

export const userInfo = {
  query: (userId: string) => `?user_id=${encodeURIComponent(userId)}`,
  response: {
    user_id: "string",
    user_info: { user_id: "string", user_role: "string", spend: "number", max_budget: "number|null", teams: "array" },
    keys: "array",
    teams: "array",
  } satisfies Shape,
};

export const userList = {
  response: { users: "array", total: "integer", page: "integer", page_size: "integer", total_pages: "integer" } satisfies Shape,
};
