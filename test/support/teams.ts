/**
 * People and teams for tests, made through LAP's own API as an admin would: teams, users with a role
 * in a team, and their personal API keys (docs/security.md "Users, teams and roles").
 */
import { expect } from "bun:test";
import type { TestApp } from "./app";

export async function makeTeam(t: TestApp, alias: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await t.json("POST", "/api/teams", { body: { alias, ...extra } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** A user (member of `team` with `role`, unless no team) and a personal key that acts as it. */
export async function makeUser(
  t: TestApp,
  email: string,
  team: string | null,
  role = "member",
  extra: Record<string, unknown> = {},
): Promise<{ id: string; key: string }> {
  const user = await t.json("POST", "/api/users", { body: { email, password: "correct horse battery staple", ...extra } });
  expect(user.status).toBe(201);
  const id = user.body.user.id as string;
  if (team) expect((await t.json("POST", `/api/teams/${team}/members`, { body: { user_id: id, role } })).status).toBe(201);
  const key = await t.json("POST", "/api/keys", { body: { label: `${email} key`, user_id: id } });
  expect(key.status).toBe(201);
  return { id, key: key.body.token as string };
}

/** A team key: no user, a `member` of its own new team (what migration 0006 made of every old user key). */
export async function makeTeamKey(t: TestApp, label: string, metadata?: Record<string, unknown>): Promise<{ team: string; key: string }> {
  const team = await makeTeam(t, `team of ${label}`);
  const res = await t.json("POST", "/api/keys", { body: { label, role: "user", team_id: team, metadata } });
  expect(res.status).toBe(201);
  return { team, key: res.body.token as string };
}
