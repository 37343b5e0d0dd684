/**
 * Users (issue 21): invitations, passwords (argon2id), sign-in and sign-out everywhere, what a user may
 * change about itself, and team roles at work: who adds members, who makes owners, a team keeps one.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { makeTeam, makeUser } from "../../test/support/teams";

// argon2id is meant to be slow; on a loaded machine a test that hashes several passwords takes seconds.
setDefaultTimeout(60_000);

let t: TestApp;
let team = "";
beforeAll(async () => {
  t = await createTestApp();
  team = await makeTeam(t, "Platform");
}, 180_000);
afterAll(() => t?.close());

const browser = { "sec-fetch-site": "same-origin" };
const cookieFrom = (res: { headers: Headers }) => (res.headers.get("set-cookie") ?? "").split(";")[0]!;

describe("invitations and passwords", () => {
  test("an admin invites by email; the link sets a password once and signs in; the hash is argon2id", async () => {
    const made = await t.json("POST", "/api/users", { body: { email: "New.Person@Example.com", name: "New" } });
    expect(made.status).toBe(201);
    expect(made.body.user).toMatchObject({ email: "new.person@example.com", password: false, role: "member" });
    const { token, url } = made.body.invitation;
    expect(url).toContain(`/invite?token=${encodeURIComponent(token)}`);
    const short = await t.json("POST", "/api/auth/invitations/accept", { key: null, body: { token, password: "short" } });
    expect(short.status).toBe(400);
    expect(short.body.error.fields[0].field).toBe("password");
    const accepted = await t.json("POST", "/api/auth/invitations/accept", {
      key: null,
      body: { token, password: "a long enough password" },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ kind: "user", email: "new.person@example.com" });
    const cookie = cookieFrom(accepted);
    expect((await t.json("GET", "/api/auth/me", { key: null, headers: { cookie, ...browser } })).body.user_id).toBe(made.body.user.id);
    // Used once.
    expect(
      (await t.json("POST", "/api/auth/invitations/accept", { key: null, body: { token, password: "another long password" } })).status,
    ).toBe(400);
    const [row] = await t.database.query<{ password_hash: string }>("select password_hash from users where id = $1", [made.body.user.id]);
    expect(row!.password_hash.startsWith("$argon2id$")).toBe(true);
    // Sign-in with the password (the email in any case); a wrong one is 401 and signs nobody in.
    const ok = await t.json("POST", "/api/auth/login", {
      key: null,
      body: { email: "NEW.person@example.com", password: "a long enough password" },
    });
    expect(ok.status).toBe(200);
    const wrong = await t.json("POST", "/api/auth/login", {
      key: null,
      body: { email: "new.person@example.com", password: "wrong password!!" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    // A form post (another site signing the browser in) is refused.
    const form = await t.request("POST", "/api/auth/invitations/accept", {
      key: null,
      body: `token=${token}&password=x`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(403);
  });

  test("disabling a user ends its sign-ins and keys at once; it cannot sign in again", async () => {
    const u = await makeUser(t, "leaver@example.com", team, "member");
    const login = await t.json("POST", "/api/auth/login", {
      key: null,
      body: { email: "leaver@example.com", password: "correct horse battery staple" },
    });
    const cookie = cookieFrom(login);
    expect((await t.json("GET", "/api/sessions", { key: null, headers: { cookie, ...browser } })).status).toBe(200);
    expect((await t.json("PATCH", `/api/users/${u.id}`, { body: { disabled: true } })).body.disabled).toBe(true);
    expect((await t.json("GET", "/api/sessions", { key: null, headers: { cookie, ...browser } })).status).toBe(401);
    expect((await t.json("GET", "/api/sessions", { key: u.key })).status).toBe(401);
    expect(
      (
        await t.json("POST", "/api/auth/login", {
          key: null,
          body: { email: "leaver@example.com", password: "correct horse battery staple" },
        })
      ).status,
    ).toBe(401);
  });

  test("a user changes its own name and password, nothing else, and sees no one else", async () => {
    const u = await makeUser(t, "self@example.com", team, "member");
    const other = await makeUser(t, "someone@example.com", team, "member");
    expect((await t.json("PATCH", `/api/users/${u.id}`, { key: u.key, body: { name: "Me" } })).body.name).toBe("Me");
    const role = await t.json("PATCH", `/api/users/${u.id}`, { key: u.key, body: { role: "admin", max_budget: 1000 } });
    expect(role.status).toBe(403);
    expect(role.body.error.fields.map((f: { field: string }) => f.field)).toEqual(["role", "max_budget"]);
    expect((await t.json("GET", `/api/users/${u.id}`)).body.role).toBe("member");
    expect((await t.json("GET", `/api/users/${other.id}`, { key: u.key })).status).toBe(404);
    expect((await t.json("GET", "/api/users", { key: u.key })).body.data.map((x: { id: string }) => x.id)).toEqual([u.id]);
    expect((await t.json("POST", "/api/users", { key: u.key, body: { email: "x@example.com" } })).status).toBe(403);
  });
});

describe("team roles", () => {
  test("team admins add members by email (with an invitation) and change members; viewers and members do not", async () => {
    const teamId = await makeTeam(t, "Roles");
    const owner = await makeUser(t, "roles-owner@example.com", teamId, "owner");
    const admin = await makeUser(t, "roles-admin@example.com", teamId, "admin");
    const viewer = await makeUser(t, "roles-viewer@example.com", teamId, "viewer");
    const added = await t.json("POST", `/api/teams/${teamId}/members`, {
      key: admin.key,
      body: { email: "fresh@example.com", role: "member" },
    });
    expect(added.status).toBe(201);
    expect(added.body.invitation.url).toContain("/invite?token=");
    const fresh = added.body.member.user_id;
    expect((await t.json("POST", `/api/teams/${teamId}/members`, { key: viewer.key, body: { email: "nope@example.com" } })).status).toBe(
      403,
    );
    // An admin may not make owners nor demote another admin; an owner may.
    expect((await t.json("PATCH", `/api/teams/${teamId}/members/${fresh}`, { key: admin.key, body: { role: "owner" } })).status).toBe(403);
    expect((await t.json("PATCH", `/api/teams/${teamId}/members/${fresh}`, { key: admin.key, body: { role: "viewer" } })).body.role).toBe(
      "viewer",
    );
    expect((await t.json("PATCH", `/api/teams/${teamId}/members/${owner.id}`, { key: admin.key, body: { role: "member" } })).status).toBe(
      403,
    );
    // The last owner cannot leave the team ownerless.
    const last = await t.json("PATCH", `/api/teams/${teamId}/members/${owner.id}`, { key: owner.key, body: { role: "member" } });
    expect(last.status).toBe(409);
    expect(
      ((await t.json("GET", `/api/teams/${teamId}/members`)).body.data as Array<{ user_id: string; role: string }>).find(
        (m) => m.user_id === owner.id,
      )!.role,
    ).toBe("owner");
    // A team may not raise its own budget.
    const budget = await t.json("PATCH", `/api/teams/${teamId}`, { key: owner.key, body: { max_budget: 1e6 } });
    expect(budget.status).toBe(403);
    expect(budget.body.error.fields[0].field).toBe("max_budget");
  });

  test("a removed member stops seeing the team's agents at once", async () => {
    const teamId = await makeTeam(t, "Leaving");
    const u = await makeUser(t, "gone@example.com", teamId, "member");
    const agent = await t.json("POST", "/api/agents", { key: u.key, body: { name: "gone-agent", model: "m" } });
    expect(agent.status).toBe(201);
    expect(agent.body.team_id).toBe(teamId);
    await t.json("DELETE", `/api/teams/${teamId}/members/${u.id}`);
    expect((await t.json("GET", `/api/agents/${agent.body.id}`, { key: u.key })).status).toBe(404);
    expect((await t.json("GET", "/api/agents", { key: u.key })).body.data).toEqual([]);
  });
});

describe("team-owned runtimes and vault secrets", () => {
  test("a team's runtime is for its agents only; its admins attach its vault secrets, not another team's nor org-wide ones", async () => {
    const red = await makeTeam(t, "Red infra");
    const blue = await makeTeam(t, "Blue infra");
    const redAdmin = await makeUser(t, "red-admin@example.com", red, "admin");
    const redMember = await makeUser(t, "red-member@example.com", red, "member");
    const blueAdmin = await makeUser(t, "blue-admin@example.com", blue, "admin");
    const rt = await t.json("POST", "/api/runtimes", {
      body: { alias: "red-rt", base_url: "https://runtime.example", api_key: "k-123456789", team_id: red },
    });
    expect(rt.status).toBe(201);
    expect(rt.body.team_id).toBe(red);
    expect(
      (await t.json("POST", "/api/agents", { key: redMember.key, body: { name: "red-on-rt", model: "m", runtime_id: rt.body.id } })).status,
    ).toBe(201);
    const foreign = await t.json("POST", "/api/agents", {
      key: blueAdmin.key,
      body: { name: "blue-on-red-rt", model: "m", runtime_id: rt.body.id },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.fields[0].field).toBe("runtime_id");
    // Members see the runtimes they may use, without the admin's URL.
    const listed = (await t.json("GET", "/api/runtimes", { key: blueAdmin.key })).body.data as Array<{ id: string; base_url: string }>;
    expect(listed.map((r) => r.id)).not.toContain(rt.body.id);
    expect(
      ((await t.json("GET", "/api/runtimes", { key: redMember.key })).body.data as Array<{ id: string; base_url: string }>).find(
        (r) => r.id === rt.body.id,
      )!.base_url,
    ).toBe("");

    for (const [name, team] of [
      ["RED_TOKEN", red],
      ["BLUE_TOKEN", blue],
      ["ORG_TOKEN", undefined],
    ] as const) {
      expect(
        (
          await t.json("POST", "/api/vault", {
            body: { name, value: "v-1234567", hosts: ["api.example.com"], ...(team ? { team_id: team } : {}) },
          })
        ).status,
      ).toBe(201);
    }
    const agent = (await t.json("POST", "/api/agents", { key: redMember.key, body: { name: "red-vault", model: "m" } })).body;
    expect((await t.json("PATCH", `/api/agents/${agent.id}`, { key: redMember.key, body: { vault_keys: ["RED_TOKEN"] } })).status).toBe(
      403,
    );
    expect(
      (await t.json("PATCH", `/api/agents/${agent.id}`, { key: redAdmin.key, body: { vault_keys: ["RED_TOKEN"] } })).body.vault_keys,
    ).toEqual(["RED_TOKEN"]);
    // Another team's is no secret of this team (400); an org-wide one is an admin's to attach (403).
    for (const [other, status] of [
      ["BLUE_TOKEN", 400],
      ["ORG_TOKEN", 403],
    ] as const) {
      const refused = await t.json("PATCH", `/api/agents/${agent.id}`, { key: redAdmin.key, body: { vault_keys: ["RED_TOKEN", other] } });
      expect(refused.status).toBe(status);
      expect(refused.body.error.fields[0].field).toBe("vault_keys");
    }
    expect((await t.json("GET", `/api/agents/${agent.id}`)).body.vault_keys).toEqual(["RED_TOKEN"]);
  });
});
