import { Elysia } from "elysia";
import { z } from "zod";
import type { Principal } from "../auth/model";
import { isAdmin } from "../auth/policy";
import type { AuthService } from "../auth/service";
import type { VirtualKeyService } from "../gateway/keys/service";
import type { AuthGuard } from "../http/auth-guard";
import { badRequest, notFound } from "../lib/errors";
import type { UserView } from "../users/model";
import type { UserService } from "../users/service";
import {
  toLapRole,
  litellmMemberAddBody,
  litellmNewTeamBody,
  litellmNewUserBody,
  litellmTeamQuery,
  litellmUserInfoQuery,
  litellmUserListQuery,
} from "./litellm-model";
import type { MemberView, TeamView } from "./model";
import type { TeamService } from "./service";

/** LAP's roles in LiteLLM's words: `member` is LiteLLM's `user`. */
const litellmRole = (r: string) => (r === "member" ? "user" : r);
const userRole = (u: { role: string }) => (u.role === "admin" ? "proxy_admin" : "internal_user");

/** A team as LiteLLM shows it (LiteLLM_TeamTable). */
function teamObject(t: TeamView, members: MemberView[]) {
  return {
    team_id: t.id,
    team_alias: t.alias,
    admins: members.filter((m) => m.role === "admin" || m.role === "owner").map((m) => m.user_id),
    members: members.map((m) => m.user_id),
    members_with_roles: members.map((m) => ({ role: litellmRole(m.role), user_id: m.user_id, user_email: m.email })),
    metadata: t.metadata,
    tpm_limit: t.tpm_limit,
    rpm_limit: t.rpm_limit,
    max_budget: t.max_budget,
    budget_duration: t.budget_duration,
    budget_reset_at: t.budget_reset_at,
    models: t.models,
    spend: t.spend,
    max_parallel_requests: t.max_parallel_requests,
    blocked: t.blocked,
    created_at: t.created_at,
  };
}

/** A user as LiteLLM shows it (LiteLLM_UserTable). */
function userObject(u: UserView) {
  return {
    user_id: u.id,
    user_email: u.email,
    user_alias: u.name || null,
    user_role: userRole(u),
    teams: u.teams.map((t) => t.id),
    models: u.models,
    max_budget: u.max_budget,
    budget_duration: u.budget_duration,
    budget_reset_at: u.budget_reset_at,
    spend: u.spend,
    metadata: {},
    created_at: u.created_at,
  };
}

/**
 * LiteLLM's team and user admin API (/team/new, /team/list, /team/info, /team/member_add, /user/new,
 * /user/list, /user/info) over LAP's teams and users, in LiteLLM's request and response shapes
 * (server/teams/litellm-model.ts). Authorization is the same policy as /api/teams and /api/users.
 */
export function litellmTeamRoutes(deps: {
  teams: TeamService;
  users: UserService;
  auth: AuthService;
  keys: VirtualKeyService;
  guard: AuthGuard;
}) {
  const withMembers = async (t: TeamView, p: Principal) => teamObject(t, await deps.teams.members(t.id, p));
  const teamsApi = new Elysia({ prefix: "/team", detail: { tags: ["LiteLLM teams and users"] } })
    .use(deps.guard)
    .post(
      "/new",
      async ({ body, principal }) => {
        // Every member must exist before the team is made: a bad request writes nothing.
        const members = body.members_with_roles ?? [];
        const missing = await deps.users.missing(members.flatMap((m) => (m.user_id ? [m.user_id] : [])));
        if (missing.length) {
          const i = members.findIndex((m) => m.user_id === missing[0]);
          throw badRequest(`members_with_roles.${i}.user_id: no user ${missing[0]}`, [
            { field: `members_with_roles.${i}.user_id`, message: `no user with id ${missing[0]}` },
          ]);
        }
        const team = await deps.teams.create(
          {
            team_id: body.team_id,
            alias: body.team_alias ?? body.team_id ?? "team",
            models: body.models,
            max_budget: body.max_budget,
            budget_duration: body.budget_duration,
            rpm_limit: body.rpm_limit,
            tpm_limit: body.tpm_limit,
            max_parallel_requests: body.max_parallel_requests,
            metadata: body.metadata,
          },
          principal,
        );
        if (body.blocked) await deps.teams.update(team.id, { blocked: true }, principal);
        for (const m of body.members_with_roles ?? [])
          await deps.teams.addMember(team.id, { user_id: m.user_id, email: m.user_email, role: toLapRole(m.role) }, principal);
        return withMembers(await deps.teams.get(team.id, principal), principal);
      },
      { body: litellmNewTeamBody, detail: { summary: "LiteLLM /team/new: create a team (admin)" } },
    )
    .get("/list", async ({ principal }) => Promise.all((await deps.teams.list(principal)).map((t) => withMembers(t, principal))), {
      response: z.array(z.any()),
      detail: { summary: "LiteLLM /team/list: teams (admins: all; a user: its own)" },
    })
    .get(
      "/info",
      async ({ query, principal }) => {
        const team = await deps.teams.get(query.team_id, principal);
        const members = await deps.teams.members(team.id, principal);
        const { keys } = await deps.keys.list({ page: 1, size: 500, team_id: team.id });
        return {
          team_id: team.id,
          team_info: teamObject(team, members),
          keys,
          team_memberships: members.map((m) => ({
            user_id: m.user_id,
            team_id: team.id,
            role: litellmRole(m.role),
            spend: 0,
            budget_id: null,
          })),
        };
      },
      { query: litellmTeamQuery, detail: { summary: "LiteLLM /team/info: a team, its keys and memberships" } },
    )
    .post(
      "/member_add",
      async ({ body, principal }) => {
        const list = Array.isArray(body.member) ? body.member : [body.member];
        await deps.teams.get(body.team_id, principal);
        const missing = await deps.users.missing(list.flatMap((m) => (m.user_id ? [m.user_id] : [])));
        if (missing.length)
          throw badRequest(`member: no user ${missing[0]}`, [{ field: "member", message: `no user with id ${missing[0]}` }]);
        const updatedUsers: UserView[] = [];
        for (const m of list) {
          const { member } = await deps.teams.addMember(
            body.team_id,
            { user_id: m.user_id, email: m.user_email, role: toLapRole(m.role) },
            principal,
          );
          updatedUsers.push(await deps.users.get(member.user_id));
        }
        const team = await deps.teams.get(body.team_id, principal);
        return {
          ...(await withMembers(team, principal)),
          updated_users: updatedUsers.map(userObject),
          updated_team_memberships: updatedUsers.map((u) => ({
            user_id: u.id,
            team_id: team.id,
            budget_id: null,
            litellm_budget_table: null,
          })),
        };
      },
      { body: litellmMemberAddBody, detail: { summary: "LiteLLM /team/member_add: add members by user_id or user_email (team admins)" } },
    );

  const usersApi = new Elysia({ prefix: "/user", detail: { tags: ["LiteLLM teams and users"] } })
    .use(deps.guard)
    .post(
      "/new",
      async ({ body, principal }) => {
        const { user } = await deps.users.create(
          {
            user_id: body.user_id,
            email: body.user_email,
            name: body.user_alias,
            role: body.user_role === "proxy_admin" ? "admin" : "member",
            teams: body.teams,
            models: body.models,
            max_budget: body.max_budget,
            budget_duration: body.budget_duration,
            metadata: body.metadata,
          },
          principal,
        );
        // LiteLLM hands back a key for the new user: here a personal key that acts as the user.
        const key = body.auto_create_key
          ? await deps.auth.createKey(
              { label: body.key_alias ?? `key for ${user.email ?? user.id}`, kind: "user", user_id: user.id },
              principal,
            )
          : null;
        return {
          ...userObject(user),
          key: key?.token ?? null,
          key_name: key ? `${key.key.prefix}…` : null,
          token_id: key?.key.id ?? null,
          expires: null,
        };
      },
      {
        body: litellmNewUserBody,
        detail: { summary: "LiteLLM /user/new: create a user (admin), with a personal key unless auto_create_key is false" },
      },
    )
    .get(
      "/info",
      async ({ query, principal }) => {
        const id = query.user_id ?? principal.userId;
        if (!id)
          throw badRequest("user_id: the master key and admin keys are no user; pass ?user_id=", [
            { field: "user_id", message: "required for this caller" },
          ]);
        const user = await deps.users.get(id, principal);
        const keys = (await deps.auth.listKeys(user.id)).filter((k) => k.status === "active");
        const teams = [];
        for (const t of user.teams) {
          const team = await deps.teams.get(t.id).catch(() => null);
          if (team) teams.push(teamObject(team, await deps.teams.members(t.id)));
        }
        return { user_id: user.id, user_info: userObject(user), keys, teams };
      },
      {
        query: litellmUserInfoQuery,
        detail: { summary: "LiteLLM /user/info: a user, its keys and teams (admins: anyone; a user: itself)" },
      },
    )
    .get(
      "/list",
      async ({ query, principal }) => {
        if (!isAdmin(principal)) throw notFound("Users");
        const { data, total } = await deps.users.list(principal, { page: query.page, size: query.page_size });
        return {
          users: data.map(userObject),
          total,
          page: query.page,
          page_size: query.page_size,
          total_pages: Math.max(1, Math.ceil(total / query.page_size)),
        };
      },
      { query: litellmUserListQuery, detail: { summary: "LiteLLM /user/list: users, paginated (admin)" } },
    );

  return new Elysia().use(teamsApi).use(usersApi);
}
