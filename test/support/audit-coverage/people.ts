/** Who may call LAP: dashboard sessions, API keys, teams and users, and LiteLLM's team and user routes. */
import { makeTeam, makeUser } from "../teams";
import { TEST_MASTER_KEY } from "../app";
import { type Fixtures, type Scenarios, uid } from "./fixtures";

export function peopleScenarios({ h, made, user }: Fixtures): Scenarios {
  return {
    "DELETE /api/auth/sessions/:id": async () => {
      await h.t.request("POST", "/api/auth/login", { key: null, body: { key: TEST_MASTER_KEY } });
      const id = (await made("GET", "/api/auth/sessions")).data[0].id;
      return { path: `/api/auth/sessions/${id}`, action: "dashboard_session.revoke" };
    },
    "POST /api/auth/sessions/revoke-all": async () => ({ path: "/api/auth/sessions/revoke-all", action: "dashboard_session.revoke_all" }),
    "POST /api/keys": async () => ({ path: "/api/keys", body: { label: "ops", role: "user" }, action: "key.create" }),
    "DELETE /api/keys/:id": async () => ({
      path: `/api/keys/${(await made("POST", "/api/keys", { label: "x", role: "user" })).key.id}`,
      action: "key.revoke",
    }),
    "POST /api/teams": async () => ({ path: "/api/teams", body: { alias: `t-${uid()}` }, action: "team.create" }),
    "PATCH /api/teams/:id": async () => ({
      path: `/api/teams/${await makeTeam(h.t, `t-${uid()}`)}`,
      body: { alias: "renamed", max_budget: 10 },
      action: "team.update",
    }),
    "DELETE /api/teams/:id": async () => ({ path: `/api/teams/${await makeTeam(h.t, `t-${uid()}`)}`, action: "team.delete" }),
    "POST /api/teams/:id/members": async () => ({
      path: `/api/teams/${await makeTeam(h.t, `t-${uid()}`)}/members`,
      body: { user_id: await user(), role: "member" },
      action: "team.member_add",
    }),
    "PATCH /api/teams/:id/members/:userId": async () => {
      const team = await makeTeam(h.t, `t-${uid()}`);
      const u = await makeUser(h.t, `m-${uid()}@example.com`, team, "member");
      return { path: `/api/teams/${team}/members/${u.id}`, body: { role: "admin" }, action: "team.member_update" };
    },
    "DELETE /api/teams/:id/members/:userId": async () => {
      const team = await makeTeam(h.t, `t-${uid()}`);
      const u = await makeUser(h.t, `m-${uid()}@example.com`, team, "member");
      return { path: `/api/teams/${team}/members/${u.id}`, action: "team.member_remove" };
    },
    "POST /api/users": async () => ({
      path: "/api/users",
      body: { email: `n-${uid()}@example.com`, role: "member" },
      action: "user.create",
    }),
    "PATCH /api/users/:id": async () => ({
      path: `/api/users/${await user()}`,
      body: { name: "Renamed", password: "a new password 123" },
      action: "user.update",
    }),
    "DELETE /api/users/:id": async () => ({ path: `/api/users/${await user()}`, action: "user.delete" }),
    "POST /api/users/:id/invitation": async () => ({ path: `/api/users/${await user()}/invitation`, action: "user.invite" }),
    "POST /team/new": async () => ({ path: "/team/new", body: { team_alias: `lt-${uid()}` }, action: "team.create" }),
    "POST /team/member_add": async () => ({
      path: "/team/member_add",
      body: { team_id: await makeTeam(h.t, `t-${uid()}`), member: { role: "admin", user_email: `inv-${uid()}@example.com` } },
      action: "team.member_add",
    }),
    // auto_create_key: false, or the key it makes is a second change (key.create) in the same request.
    "POST /user/new": async () => ({
      path: "/user/new",
      body: { user_email: `ln-${uid()}@example.com`, auto_create_key: false },
      action: "user.create",
    }),
  };
}
