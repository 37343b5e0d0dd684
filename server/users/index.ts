import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import { forbidden } from "../lib/errors";
import { isAdmin } from "../auth/policy";
import { spendQuery, spendRow } from "../teams/model";
import type { SpendReports } from "../teams/spend";
import { createUserBody, invitationView, updateUserBody, userIdParams, userView } from "./model";
import type { UserService } from "./service";

/** The dashboard's users API (docs/api.md): admins manage users; a user reads and renames itself. */
export function userRoutes(deps: { users: UserService; spend: SpendReports; guard: AuthGuard }) {
  const u = deps.users;
  return new Elysia({ prefix: "/api/users", detail: { tags: ["Users"] } })
    .use(deps.guard)
    .get("", async ({ principal }) => u.list(principal), {
      response: z.object({ data: z.array(userView), total: z.number() }),
      detail: { summary: "Users (admins: all; a user: itself)" },
    })
    .post(
      "",
      async ({ body, set, principal }) => {
        set.status = 201;
        return u.create(body, principal);
      },
      {
        body: createUserBody,
        detail: { summary: "Create a user (admin); with an email and no password, an invitation link comes back once" },
      },
    )
    .get("/spend", async ({ query, principal }) => ({ data: await deps.spend.byUser(principal, query) }), {
      query: spendQuery,
      response: z.object({ data: z.array(spendRow) }),
      detail: { summary: "Gateway spend per user (admins: everyone; a user: itself)" },
    })
    .get("/:id", ({ params, principal }) => u.get(params.id, principal), { params: userIdParams, response: userView })
    .patch("/:id", ({ params, body, principal }) => u.update(params.id, body, principal), {
      params: userIdParams,
      body: updateUserBody,
      response: userView,
      detail: { summary: "Change a user (admins: anything; a user: its name and password)" },
    })
    .delete("/:id", ({ params, principal }) => u.remove(params.id, principal), {
      params: userIdParams,
      detail: { summary: "Delete a user and its keys (admin)" },
    })
    .post(
      "/:id/invitation",
      async ({ params, principal, set }) => {
        if (!isAdmin(principal)) throw forbidden("Only an admin issues invitations here; team admins add members by email");
        await u.get(params.id, principal);
        set.status = 201;
        const { id: _id, ...inv } = await u.invite(params.id, principal);
        return { id: _id, user_id: params.id, ...inv };
      },
      {
        params: userIdParams,
        response: { 201: invitationView },
        detail: { summary: "A new one-time sign-in link for a user (admin); earlier ones stop working" },
      },
    );
}
