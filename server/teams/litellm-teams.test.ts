/**
 * Teams and users in the LLM gateway (issue 21, "Budgets"): LiteLLM's /team/* and /user/* admin API in
 * its documented shapes (test/support/litellm-team-api.ts), team and user budgets enforced on real calls
 * (under concurrency too), and spend per team and user, each seen only by whom it belongs to.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import { startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";
import { shapeMismatches } from "../../test/support/litellm-key-api";
import { teamInfo, teamMemberAdd, teamNew, userInfo, userList, userNew } from "../../test/support/litellm-team-api";
import { makeTeam, makeUser } from "../../test/support/teams";

// Users get argon2id password hashes, slow on purpose: on a loaded machine a test making several takes seconds.
setDefaultTimeout(60_000);

let env: GatewayTestEnv;
beforeAll(async () => {
  env = await startGatewayTestEnv();
}, 180_000);
afterAll(() => env?.close());
beforeEach(() => env.openai.script.reset());

async function call(method: "GET" | "POST", path: string, body?: unknown, key = env.masterKey) {
  const res = await fetch(`${env.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
const ask = (key: string, model = "priced", extra: Record<string, unknown> = {}) =>
  new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({
    model,
    messages: [{ role: "user", content: "hi" }],
    ...extra,
  } as never);

describe("LiteLLM's documented team and user API, sent to LAP", () => {
  test("/user/new, /team/new, /team/member_add, /team/info, /team/list, /user/info and /user/list answer in LiteLLM's shapes", async () => {
    const created = await call("POST", "/user/new", userNew.requests.idOnly);
    expect(created.status).toBe(200);
    expect(shapeMismatches(created.body, userNew.response)).toEqual([]);
    expect(created.body.user_id).toBe("ishaan");
    const budgetUser = await call("POST", "/user/new", userNew.requests.budget);
    expect(shapeMismatches(budgetUser.body, userNew.response)).toEqual([]);
    expect(budgetUser.body).toMatchObject({ user_id: "krrish3@berri.ai", max_budget: 0 });

    const team = await call("POST", "/team/new", teamNew.requests.withMembers("ishaan"));
    expect(team.status).toBe(200);
    expect(shapeMismatches(team.body, teamNew.response)).toEqual([]);
    expect(team.body.members_with_roles).toEqual([{ role: "admin", user_id: "ishaan", user_email: null }]);
    const budgetTeam = await call("POST", "/team/new", teamNew.requests.budget);
    expect(shapeMismatches(budgetTeam.body, teamNew.response)).toEqual([]);
    expect(budgetTeam.body.budget_reset_at).toBeTruthy();

    const added = await call("POST", "/team/member_add", teamMemberAdd.request(team.body.team_id, "krrish3@berri.ai"));
    expect(added.status).toBe(200);
    expect(shapeMismatches(added.body, teamMemberAdd.response)).toEqual([]);
    expect(added.body.members_with_roles).toContainEqual({ role: "user", user_id: "krrish3@berri.ai", user_email: null });

    const info = await call("GET", `/team/info${teamInfo.query(team.body.team_id)}`);
    expect(shapeMismatches(info.body, teamInfo.response)).toEqual([]);
    const list = await call("GET", "/team/list");
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((t: { team_id: string }) => t.team_id)).toContain(team.body.team_id);
    const uinfo = await call("GET", `/user/info${userInfo.query("ishaan")}`);
    expect(shapeMismatches(uinfo.body, userInfo.response)).toEqual([]);
    expect(uinfo.body.user_info.teams).toEqual([team.body.team_id]);
    expect(uinfo.body.keys).toHaveLength(1);
    const users = await call("GET", "/user/list");
    expect(shapeMismatches(users.body, userList.response)).toEqual([]);

    // The key /user/new handed back acts as ishaan: his team's admin, refused the org admin's routes.
    expect((await call("GET", "/team/list", undefined, created.body.key)).body.map((t: { team_id: string }) => t.team_id)).toEqual([
      team.body.team_id,
    ]);
    expect((await call("GET", "/user/list", undefined, created.body.key)).status).toBe(403);
  });

  test("bad bodies are 400s naming the field and make nothing; a member may not add members", async () => {
    const before = (await call("GET", "/user/list")).body.total;
    const bad = await call("POST", "/user/new", { user_role: "god" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param ?? bad.body.error.fields?.[0]?.field).toBe("user_role");
    const badTeam = await call("POST", "/team/new", { max_budget: -1 });
    expect(badTeam.status).toBe(400);
    const teamsBefore = (await call("GET", "/team/list")).body.length;
    const ghost = await call("POST", "/team/new", {
      team_alias: "ghosts",
      members_with_roles: [{ role: "admin", user_id: "nobody-here" }],
    });
    expect(ghost.status).toBe(400);
    expect(ghost.body.error.fields?.[0]?.field ?? ghost.body.error.param).toBe("members_with_roles.0.user_id");
    expect((await call("GET", "/team/list")).body.length).toBe(teamsBefore);
    expect((await call("GET", "/user/list")).body.total).toBe(before);

    const teamId = await makeTeam(env.t, "Members only");
    const member = await makeUser(env.t, "just-a-member@example.com", teamId, "member");
    const refused = await call(
      "POST",
      "/team/member_add",
      { team_id: teamId, member: { role: "admin", user_email: "sneaky@example.com" } },
      member.key,
    );
    expect(refused.status).toBe(403);
    expect((await call("GET", "/user/list")).body.users.map((u: { user_email: string }) => u.user_email)).not.toContain(
      "sneaky@example.com",
    );
  });
});

describe("team and user models", () => {
  test("a team's models narrow what its keys may call and list; changing them applies at once; a user's models narrow its personal key", async () => {
    const team = await call("POST", "/team/new", { team_alias: "narrow", models: ["priced"] });
    const key = (await call("POST", "/key/generate", { team_id: team.body.team_id })).body.key as string;
    expect((await ask(key, "priced")).choices).toHaveLength(1);
    const err = await ask(key, "gpt-fake").catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.code).toBe("team_model_access_denied");
    expect(err.message).toContain(`Team ${team.body.team_id} is not allowed to call model=gpt-fake`);
    const listed = await new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: key, maxRetries: 0 }).models.list();
    expect(listed.data.map((m) => m.id)).toEqual(["priced"]);
    // An admin widens the team: the same key may now call it, without a restart.
    const widened = await fetch(`${env.baseUrl}/api/teams/${team.body.team_id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${env.masterKey}`, "content-type": "application/json" },
      body: JSON.stringify({ models: [] }),
    });
    expect(widened.status).toBe(200);
    expect((await ask(key, "gpt-fake")).choices).toHaveLength(1);

    const solo = await makeUser(env.t, "narrow-user@example.com", null, "member", { models: ["priced"] });
    expect((await ask(solo.key, "priced")).choices).toHaveLength(1);
    const userErr = await ask(solo.key, "gpt-fake").catch((e) => e);
    expect(userErr.code).toBe("user_model_access_denied");
  });
});

describe("team rate limits", () => {
  test("a team's rpm_limit holds over all its keys; max_parallel_requests refuses the call past it; another team is unaffected", async () => {
    const team = await call("POST", "/team/new", { team_alias: "slow", rpm_limit: 3 });
    expect(team.body).toMatchObject({ rpm_limit: 3, tpm_limit: null });
    const keys = await Promise.all(
      [1, 2].map(async () => (await call("POST", "/key/generate", { team_id: team.body.team_id })).body.key as string),
    );
    for (const key of [keys[0]!, keys[1]!, keys[0]!]) expect((await ask(key)).choices).toHaveLength(1);
    const err = await ask(keys[1]!).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toContain(`rpm_limit 3 for team ${team.body.team_id}`);
    expect(err.headers?.get?.("retry-after")).toBeTruthy();

    const narrow = await call("POST", "/team/new", { team_alias: "one-at-a-time", max_parallel_requests: 1 });
    const narrowKeys = await Promise.all(
      [1, 2].map(async () => (await call("POST", "/key/generate", { team_id: narrow.body.team_id })).body.key as string),
    );
    env.openai.script.delayMs = 300;
    const both = await Promise.all(
      narrowKeys.map((k) =>
        ask(k).then(
          () => 200,
          (e) => e.status as number,
        ),
      ),
    );
    env.openai.script.delayMs = 0;
    expect(both.sort()).toEqual([200, 429]);

    const other = await call("POST", "/team/new", { team_alias: "fast" });
    const otherKey = (await call("POST", "/key/generate", { team_id: other.body.team_id })).body.key;
    expect((await ask(otherKey)).choices).toHaveLength(1);
  });

  test("a team's limits are the admin's: a team owner may not set them; bad values are 400s naming the field", async () => {
    const teamId = await makeTeam(env.t, "Limited");
    const owner = await makeUser(env.t, "limits-owner@example.com", teamId, "owner");
    const patch = (body: unknown, key: string) =>
      fetch(`${env.baseUrl}/api/teams/${teamId}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const refused = await patch({ rpm_limit: 1000 }, owner.key);
    expect(refused.status).toBe(403);
    expect(refused.body.error.fields[0].field).toBe("rpm_limit");
    const bad = await patch({ tpm_limit: "lots" }, env.masterKey);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe("tpm_limit");
    const set = await patch({ tpm_limit: 5000, max_parallel_requests: 2 }, env.masterKey);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ tpm_limit: 5000, max_parallel_requests: 2, rpm_limit: null });
  });
});

describe("team and user budgets", () => {
  test("a team's budget stops its keys: the second call over it is refused; another team is unaffected", async () => {
    const team = await call("POST", "/team/new", { team_alias: "tiny", max_budget: 0.000000001, budget_duration: "1d" });
    const key = (await call("POST", "/key/generate", { team_id: team.body.team_id })).body.key;
    const other = await call("POST", "/team/new", { team_alias: "roomy" });
    const otherKey = (await call("POST", "/key/generate", { team_id: other.body.team_id })).body.key;
    await ask(key);
    const err = await ask(key).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe("budget_exceeded");
    expect(err.message).toContain(`team ${team.body.team_id}`);
    expect((await ask(otherKey)).choices).toHaveLength(1);
  });

  test("a team budget holds under concurrency: a burst over several of the team's keys cannot overspend it", async () => {
    const team = await call("POST", "/team/new", { team_alias: "burst", max_budget: 0.02 });
    const keys = await Promise.all(
      [1, 2, 3, 4].map(async () => (await call("POST", "/key/generate", { team_id: team.body.team_id })).body.key as string),
    );
    env.openai.script.delayMs = 100;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ask(keys[i % 4]!, "priced", { max_tokens: 10 }).then(
          () => 200,
          (e) => e.status,
        ),
      ),
    );
    env.openai.script.delayMs = 0;
    const ok = results.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(20);
    expect(results.filter((s) => s === 429).length).toBe(20 - ok);
    await env.t.services.gateway.flush();
    const info = await call("GET", `/team/info?team_id=${team.body.team_id}`);
    // At most one request's worth past the budget, and the spend is on the team's row.
    expect(info.body.team_info.spend).toBeGreaterThan(0);
    expect(info.body.team_info.spend).toBeLessThan(0.02 + 0.05);
  });

  test("a user's budget stops its personal key; a key of one of its teams is held to the team's budget instead", async () => {
    const teamId = await makeTeam(env.t, "Generous");
    const user = await makeUser(env.t, "spender@example.com", teamId, "member", { max_budget: 0.000000001 });
    // Two teams would make the personal key's calls unattributed to a team: this user has one, so a
    // personal key without team_id counts against the team; a key outside any team counts against the user.
    const solo = await makeUser(env.t, "solo@example.com", null, "member", { max_budget: 0.000000001 });
    await ask(solo.key);
    const err = await ask(solo.key).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toContain(`user ${solo.id}`);
    // In a team without a budget, the team's budget applies, not the user's (LiteLLM's rule).
    await ask(user.key);
    expect((await ask(user.key)).choices).toHaveLength(1);
  });

  test("spend per team and per user: admins see all, a member its teams' and its own", async () => {
    const a = await makeTeam(env.t, "Spend A");
    const b = await makeTeam(env.t, "Spend B");
    const alice = await makeUser(env.t, "spend-alice@example.com", a, "member");
    const bob = await makeUser(env.t, "spend-bob@example.com", b, "member");
    await ask(alice.key, "gpt-fake");
    await ask(alice.key, "gpt-fake");
    await ask(bob.key, "gpt-fake");
    await env.t.services.gateway.flush();
    const teams = (key?: string) => env.t.json("GET", "/api/teams/spend", key ? { key } : {});
    const all = (await teams()).body.data as Array<{ id: string; requests: number; name: string }>;
    expect(all.find((r) => r.id === a)).toMatchObject({ requests: 2, name: "Spend A" });
    expect(all.find((r) => r.id === b)).toMatchObject({ requests: 1 });
    expect(((await teams(alice.key)).body.data as Array<{ id: string }>).map((r) => r.id)).toEqual([a]);
    expect(((await teams(bob.key)).body.data as Array<{ id: string }>).map((r) => r.id)).toEqual([b]);
    const users = (await env.t.json("GET", "/api/users/spend", { key: alice.key })).body.data as Array<{ id: string; requests: number }>;
    expect(users).toEqual([expect.objectContaining({ id: alice.id, requests: 2 })]);
    // The spend log says whose each call was (LiteLLM's `user` and `team_id`).
    const logs = (await call("GET", "/spend/logs?limit=10")).body as Array<{ user: string | null; team_id: string | null }>;
    expect(logs).toContainEqual(expect.objectContaining({ user: bob.id, team_id: b }));
  });
});
