import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { apiKeys } from "../../schema";
import { createTestApp, type TestApp } from "../../test/support/app";

// Users get argon2id password hashes, slow on purpose: on a loaded machine a test making several takes seconds.
setDefaultTimeout(60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

describe("API keys", () => {
  test("create shows the token once, stores only its hash, and the key authenticates", async () => {
    const created = await t.json("POST", "/api/keys", { body: { label: "ci", role: "user" } });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    expect(token).toMatch(/^sk-lap-[\w-]{32}$/);
    expect(created.body.key).toMatchObject({ label: "ci", role: "user", status: "active", expires_at: null });

    const rows = await t.database.db.select().from(apiKeys);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows[0]!.keyHash).toMatch(/^[0-9a-f]{64}$/);

    const listed = await t.json("GET", "/api/keys");
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body.data.map((k: { label: string }) => k.label)).toContain("ci");

    const me = await t.json("GET", "/api/auth/me", { key: token });
    expect(me.body).toMatchObject({ role: "user", via: "api_key", label: "ci" });
    const viaHeader = await t.request("GET", "/api/auth/me", { key: null, headers: { "x-api-key": token } });
    expect(viaHeader.status).toBe(200);
  });

  test("bad input is a 400 naming every failing field, and creates nothing", async () => {
    const before = (await t.database.db.select().from(apiKeys)).length;
    const res = await t.json("POST", "/api/keys", { body: { role: "root", expires_at: "2001-01-01T00:00:00Z", label: 5 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    const fields = res.body.error.fields.map((f: { field: string }) => f.field).sort();
    expect(fields).toEqual(["expires_at", "label", "role"]);
    expect(res.body.error.request_id).toBeString();
    expect((await t.database.db.select().from(apiKeys)).length).toBe(before);

    const missing = await t.json("POST", "/api/keys", { body: {} });
    expect(missing.body.error.fields).toEqual([{ field: "label", message: "required: give the key a label" }]);
  });

  test("a user key manages only its own user's keys: it lists none of others', revokes none, makes no admin key; admin keys manage all", async () => {
    const user = (await t.json("POST", "/api/keys", { body: { label: "u" } })).body;
    const admin = (await t.json("POST", "/api/keys", { body: { label: "a", role: "admin" } })).body;
    expect((await t.json("GET", "/api/keys", { key: user.token })).body.data).toEqual([]);
    expect((await t.json("DELETE", `/api/keys/${admin.key.id}`, { key: user.token })).status).toBe(404);
    const escalate = await t.json("POST", "/api/keys", { key: user.token, body: { label: "x", role: "admin" } });
    expect(escalate.status).toBe(403);
    // A key that is no user's may not make keys at all.
    expect((await t.json("POST", "/api/keys", { key: user.token, body: { label: "x" } })).status).toBe(403);
    expect((await t.json("GET", "/api/settings/system", { key: user.token })).status).toBe(403);
    expect((await t.json("GET", "/api/keys", { key: admin.token })).body.data.length).toBeGreaterThan(1);
    expect((await t.json("GET", "/api/keys")).body.data.find((k: { id: string }) => k.id === admin.key.id).status).toBe("active");
  });

  test("a user's personal keys: it makes, lists and revokes its own, narrowed to one of its teams at most", async () => {
    const team = (await t.json("POST", "/api/teams", { body: { alias: "Keys team" } })).body.id;
    const other = (await t.json("POST", "/api/teams", { body: { alias: "Not mine" } })).body.id;
    const created = (await t.json("POST", "/api/users", { body: { email: "keys@example.com", password: "correct horse battery staple" } }))
      .body.user;
    await t.json("POST", `/api/teams/${team}/members`, { body: { user_id: created.id, role: "member" } });
    const first = (await t.json("POST", "/api/keys", { body: { label: "first", user_id: created.id } })).body;
    const mine = await t.json("POST", "/api/keys", { key: first.token, body: { label: "second", team_id: team } });
    expect(mine.status).toBe(201);
    expect(mine.body.key).toMatchObject({ user_id: created.id, team_id: team, kind: "user" });
    expect((await t.json("POST", "/api/keys", { key: first.token, body: { label: "x", team_id: other } })).status).toBe(403);
    expect((await t.json("POST", "/api/keys", { key: first.token, body: { label: "x", user_id: "someone-else" } })).status).toBe(403);
    expect((await t.json("GET", "/api/keys", { key: first.token })).body.data.map((k: { label: string }) => k.label).sort()).toEqual([
      "first",
      "second",
    ]);
    expect((await t.json("DELETE", `/api/keys/${mine.body.key.id}`, { key: first.token })).body.status).toBe("revoked");
    // A disabled user's keys stop working at once on this replica.
    await t.json("PATCH", `/api/users/${created.id}`, { body: { disabled: true } });
    expect((await t.json("GET", "/api/auth/me", { key: first.token })).status).toBe(401);
  });

  test("revoked and expired keys are refused at once", async () => {
    const { body } = await t.json("POST", "/api/keys", { body: { label: "temp" } });
    expect((await t.request("GET", "/api/auth/me", { key: body.token })).status).toBe(200);
    const revoked = await t.json("DELETE", `/api/keys/${body.key.id}`);
    expect(revoked.body.status).toBe("revoked");
    expect((await t.request("GET", "/api/auth/me", { key: body.token })).status).toBe(401);
    expect((await t.json("DELETE", "/api/keys/does-not-exist")).status).toBe(404);

    const soon = new Date(Date.now() + 1500).toISOString();
    const expiring = (await t.json("POST", "/api/keys", { body: { label: "short", expires_at: soon } })).body;
    expect((await t.request("GET", "/api/auth/me", { key: expiring.token })).status).toBe(200);
    await Bun.sleep(1600);
    // The verification cache must not outlive the key's expiry.
    expect((await t.request("GET", "/api/auth/me", { key: expiring.token })).status).toBe(401);
  });

  test("last_used_at is written in batches", async () => {
    const { body } = await t.json("POST", "/api/keys", { body: { label: "used" } });
    for (let i = 0; i < 5; i++) await t.request("GET", "/api/auth/me", { key: body.token });
    expect(await t.services.auth.flushUsage()).toBeGreaterThanOrEqual(1);
    const listed = (await t.json("GET", "/api/keys")).body.data.find((k: { id: string }) => k.id === body.key.id);
    expect(listed.last_used_at).not.toBeNull();
  });
});

describe("dashboard login", () => {
  const cookieOf = (res: Response) => res.headers.get("set-cookie") ?? "";

  test("the master key logs in with an HttpOnly, SameSite=Strict session cookie that works", async () => {
    const res = await t.request("POST", "/api/auth/login", { key: null, body: { key: "test-master-key-0123456789" } });
    expect(res.status).toBe(200);
    const cookie = cookieOf(res);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toContain("test-master-key");
    const value = cookie.split(";")[0]!;
    const me = await t.request("GET", "/api/auth/me", { key: null, headers: { cookie: value } });
    expect((await me.json()).via).toBe("session");

    const tampered = value.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    expect((await t.request("GET", "/api/auth/me", { key: null, headers: { cookie: tampered } })).status).toBe(401);

    // As a browser sends it: a cookie call that changes something carries its Origin (server/http/csrf.ts).
    const out = await t.request("POST", "/api/auth/logout", { key: null, headers: { cookie: value, origin: "http://localhost" } });
    expect(cookieOf(out)).toContain("Max-Age=0");
    // Logout ended the session server-side: a copy of the cookie no longer works.
    expect((await t.request("GET", "/api/auth/me", { key: null, headers: { cookie: value } })).status).toBe(401);
  });

  test("wrong keys and user keys cannot log in", async () => {
    const wrong = await t.json("POST", "/api/auth/login", { key: null, body: { key: "nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toContain("master key");
    const user = (await t.json("POST", "/api/keys", { body: { label: "not-admin" } })).body.token;
    expect((await t.json("POST", "/api/auth/login", { key: null, body: { key: user } })).status).toBe(401);
    expect((await t.json("POST", "/api/auth/login", { key: null, body: {} })).body.error.fields[0].field).toBe("key");
  });

  test("revoking an admin key ends the dashboard sessions made with it", async () => {
    const admin = (await t.json("POST", "/api/keys", { body: { label: "ops", role: "admin" } })).body;
    const login = await t.request("POST", "/api/auth/login", { key: null, body: { key: admin.token } });
    const cookie = cookieOf(login).split(";")[0]!;
    expect((await t.request("GET", "/api/keys", { key: null, headers: { cookie } })).status).toBe(200);
    await t.json("DELETE", `/api/keys/${admin.key.id}`);
    expect((await t.request("GET", "/api/keys", { key: null, headers: { cookie } })).status).toBe(401);
  });
});
