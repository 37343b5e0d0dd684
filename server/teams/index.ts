import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import {
  memberBody,
  memberParams,
  memberRoleBody,
  memberView,
  spendQuery,
  spendRow,
  teamIdParams,
  teamView,
  createTeamBody,
  updateTeamBody,
} from "./model";
import type { TeamService } from "./service";
import type { SpendReports } from "./spend";

/** The dashboard's teams API (docs/api.md): admins see every team, users their own (server/auth/policy.ts). */
export function teamRoutes(deps: { teams: TeamService; spend: SpendReports; guard: AuthGuard }) {
  const t = deps.teams;
  return new Elysia({ prefix: "/api/teams", detail: { tags: ["Teams"] } })
    .use(deps.guard)
    .get("", async ({ principal }) => ({ data: await t.list(principal) }), {
      response: z.object({ data: z.array(teamView) }),
      detail: { summary: "Teams (admins: all; a user: its own)" },
    })
    .post(
      "",
      async ({ body, set, principal }) => {
        set.status = 201;
        return t.create(body, principal);
      },
      { body: createTeamBody, response: { 201: teamView }, detail: { summary: "Create a team (admin)" } },
    )
    .get("/spend", async ({ query, principal }) => ({ data: await deps.spend.byTeam(principal, query) }), {
      query: spendQuery,
      response: z.object({ data: z.array(spendRow) }),
      detail: { summary: "Gateway spend per team (admins: every team; a user: its teams)" },
    })
    .get("/:id", ({ params, principal }) => t.get(params.id, principal), { params: teamIdParams, response: teamView })
    .patch("/:id", ({ params, body, principal }) => t.update(params.id, body, principal), {
      params: teamIdParams,
      body: updateTeamBody,
      response: teamView,
      detail: { summary: "Rename (owner) or set budget, models, blocked (admin)" },
    })
    .delete("/:id", ({ params, principal }) => t.remove(params.id, principal), {
      params: teamIdParams,
      detail: { summary: "Delete an empty team (admin)" },
    })
    .get("/:id/members", async ({ params, principal }) => ({ data: await t.members(params.id, principal) }), {
      params: teamIdParams,
      response: z.object({ data: z.array(memberView) }),
      detail: { summary: "A team's members and their roles" },
    })
    .post(
      "/:id/members",
      async ({ params, body, set, principal }) => {
        set.status = 201;
        return t.addMember(params.id, body, principal);
      },
      {
        params: teamIdParams,
        body: memberBody,
        detail: { summary: "Add a member by user id or email (a new email gets an invitation link); team admins" },
      },
    )
    .patch("/:id/members/:userId", ({ params, body, principal }) => t.setRole(params.id, params.userId, body.role, principal), {
      params: memberParams,
      body: memberRoleBody,
      response: memberView,
      detail: { summary: "Change a member's role (team admins; owners for admins and owners)" },
    })
    .delete("/:id/members/:userId", ({ params, principal }) => t.removeMember(params.id, params.userId, principal), {
      params: memberParams,
      detail: { summary: "Remove a member (team admins; owners for admins and owners)" },
    });
}
