/**
 * The audit trail (docs/operations.md "Audit trail"): redaction driven by schema/audit.ts, the
 * append-only table, retention, GET /api/audit (filters, keyset paging, who reads which rows), and
 * sign-ins and failed sign-ins.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { getTableColumns, is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import * as schema from "../../schema";
import { AUDIT_PLAIN_FIELDS, AUDIT_REDACTED_FIELDS } from "../../schema/audit";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../../test/support/app";
import { makeTeam, makeUser } from "../../test/support/teams";
import { auditTrail } from "./record";
import { changesOf, REDACTED, redactValue } from "./redact";

describe("redaction", () => {
  test("every column whose name looks secret is classified in schema/audit.ts", () => {
    const looksSecret = /hash|seal|secret|token|passw|key|credential|cipher|verifier|params|hint/i;
    const unclassified: string[] = [];
    for (const table of Object.values(schema)) {
      if (!is(table, PgTable)) continue;
      for (const field of Object.keys(getTableColumns(table))) {
        if (looksSecret.test(field) && !AUDIT_REDACTED_FIELDS.has(field) && !AUDIT_PLAIN_FIELDS.has(field))
          unclassified.push(`${getTableConfig(table).name}.${field}`);
      }
    }
    expect(unclassified).toEqual([]);
  });

  test("a changed secret shows that it changed, never its value; plain fields show both sides", () => {
    const before = { name: "GITHUB", valueSealed: "v1:sealed-a", valueHint: "••••abcd", hosts: ["a.com"], updatedAt: new Date(1) };
    const after = { name: "GITHUB", valueSealed: "v1:sealed-b", valueHint: "••••wxyz", hosts: ["a.com", "b.com"], updatedAt: new Date(2) };
    expect(changesOf(before, after)).toEqual({
      valueSealed: { before: REDACTED, after: REDACTED },
      valueHint: { before: REDACTED, after: REDACTED },
      hosts: { before: ["a.com"], after: ["a.com", "b.com"] },
    });
    expect(changesOf(null, { keyHash: "abc", label: "ops" })).toEqual({
      keyHash: { before: null, after: REDACTED },
      label: { before: null, after: "ops" },
    });
  });

  test("secrets nested in bodies, parameters and environments are redacted by key name", () => {
    const out = redactValue({
      litellm_params: { model: "openai/x", api_key: "sk-1", api_base: "https://a" },
      environment: { GITHUB_TOKEN: "ghp_1", REGION: "eu", DB_PASSWORD: "p" },
      headers: { authorization: "Bearer x" },
    });
    expect(out).toEqual({
      litellm_params: { model: "openai/x", api_key: REDACTED, api_base: "https://a" },
      environment: { GITHUB_TOKEN: REDACTED, REGION: "eu", DB_PASSWORD: REDACTED },
      headers: REDACTED,
    });
  });
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

const rowsOf = async (requestId: string) =>
  t.database.query<{ action: string; actor_kind: string; actor_label: string; detail: Record<string, unknown>; ip: string | null }>(
    "select action, actor_kind, actor_label, detail, ip from audit_log where request_id = $1 order by id",
    [requestId],
  );

describe("the table is append-only", () => {
  test("UPDATE and DELETE are refused by the database; the retention job alone deletes", async () => {
    await auditTrail.record(t.database.db, { actor: { kind: "system" }, action: "test.old", objectType: "test" });
    const [row] = await t.database.query<{ id: number }>("select id from audit_log where action = 'test.old'");
    await expect(t.database.query("update audit_log set action = 'forged' where id = $1", [row!.id])).rejects.toThrow(/append-only/);
    await expect(t.database.query("delete from audit_log where id = $1", [row!.id])).rejects.toThrow(/append-only/);
    expect((await t.database.query("select action from audit_log where id = $1", [row!.id]))[0]).toEqual({ action: "test.old" });

    // Retention: rows older than the setting go, newer stay; 0 keeps everything.
    expect(await t.services.audit.prune(0, new Date(Date.now() + 400 * 86_400_000))).toBe(0);
    expect(await t.services.audit.prune(30)).toBe(0);
    const pruned = await t.services.audit.prune(30, new Date(Date.now() + 31 * 86_400_000));
    expect(pruned).toBeGreaterThanOrEqual(1);
    expect(await t.database.query("select 1 from audit_log where id = $1", [row!.id])).toEqual([]);
  });

  test("there is no route that changes or deletes audit rows", () => {
    const routes = t.app.routes.filter((r) => r.path.startsWith("/api/audit")).map((r) => `${r.method} ${r.path}`);
    expect(routes).toEqual(["GET /api/audit"]);
  });
});

describe("sign-ins", () => {
  test("a sign-in and a failed one are recorded, never the key or password tried", async () => {
    const ok = `login-${crypto.randomUUID()}`;
    expect(
      (
        await t.request("POST", "/api/auth/login", {
          key: null,
          body: { key: TEST_MASTER_KEY },
          headers: { "x-request-id": ok, "user-agent": "browser/1" },
        })
      ).status,
    ).toBe(200);
    expect(await rowsOf(ok)).toEqual([
      { action: "auth.login", actor_kind: "admin", actor_label: "master key", detail: { method: "key" }, ip: null },
    ]);

    const bad = `login-${crypto.randomUUID()}`;
    expect(
      (
        await t.request("POST", "/api/auth/login", {
          key: null,
          body: { key: "sk-lap-not-a-real-key-0000" },
          headers: { "x-request-id": bad },
        })
      ).status,
    ).toBe(401);
    const [failed] = await rowsOf(bad);
    expect(failed).toMatchObject({ action: "auth.login_failed", actor_kind: "anonymous" });
    expect(JSON.stringify(failed)).not.toContain("sk-lap-not-a-real-key");

    await makeUser(t, "pw@example.com", null);
    const wrongPw = `login-${crypto.randomUUID()}`;
    expect(
      (
        await t.request("POST", "/api/auth/login", {
          key: null,
          body: { email: "pw@example.com", password: "wrong password" },
          headers: { "x-request-id": wrongPw },
        })
      ).status,
    ).toBe(401);
    const [pw] = await rowsOf(wrongPw);
    expect(pw).toMatchObject({
      action: "auth.login_failed",
      actor_kind: "anonymous",
      actor_label: "pw@example.com",
      detail: { method: "password", email: "pw@example.com" },
    });
    expect(JSON.stringify(pw)).not.toContain("wrong password");
    const good = `login-${crypto.randomUUID()}`;
    expect(
      (
        await t.request("POST", "/api/auth/login", {
          key: null,
          body: { email: "pw@example.com", password: "correct horse battery staple" },
          headers: { "x-request-id": good },
        })
      ).status,
    ).toBe(200);
    expect(await rowsOf(good)).toMatchObject([
      { action: "auth.login", actor_kind: "user", actor_label: "pw@example.com", detail: { method: "password" } },
    ]);

    // Accepting an invitation signs in: recorded too.
    const invited = (await t.json("POST", "/api/users", { body: { email: "invited@example.com" } })).body.invitation.token as string;
    const accept = `login-${crypto.randomUUID()}`;
    expect(
      (
        await t.request("POST", "/api/auth/invitations/accept", {
          key: null,
          body: { token: invited, password: "a long enough password" },
          headers: { "x-request-id": accept },
        })
      ).status,
    ).toBe(200);
    expect(await rowsOf(accept)).toMatchObject([
      { action: "auth.login", actor_kind: "user", actor_label: "invited@example.com", detail: { method: "invitation" } },
    ]);
    // Four password hashes: slow on a loaded machine.
  }, 30_000);

  test("a logout is recorded with the sign-in it ended; a logout without a sign-in records nothing", async () => {
    const login = await t.request("POST", "/api/auth/login", { key: null, body: { key: TEST_MASTER_KEY } });
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const out = `logout-${crypto.randomUUID()}`;
    expect(
      (await t.request("POST", "/api/auth/logout", { key: null, headers: { cookie, origin: "http://localhost", "x-request-id": out } }))
        .status,
    ).toBe(200);
    const [row] = await t.database.query<{ action: string; actor_kind: string; object_type: string; object_id: string }>(
      "select action, actor_kind, object_type, object_id from audit_log where request_id = $1",
      [out],
    );
    expect(row).toMatchObject({ action: "auth.logout", actor_kind: "admin", object_type: "dashboard_session" });
    const [session] = await t.database.query<{ id: string; revoked_at: string | null }>(
      "select id, revoked_at from dashboard_sessions where id = $1",
      [row!.object_id],
    );
    expect(session?.revoked_at).not.toBeNull();
    const anon = `logout-${crypto.randomUUID()}`;
    expect((await t.request("POST", "/api/auth/logout", { key: null, headers: { "x-request-id": anon } })).status).toBe(200);
    expect(await rowsOf(anon)).toEqual([]);
  });
});

describe("GET /api/audit", () => {
  test("filters by action, object, actor and time; pages by cursor without gaps or repeats", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.json("POST", "/api/agents", { body: { name: `paged-${i}`, model: "m" } })).body.id);
    await t.json("PATCH", `/api/agents/${ids[0]}`, { body: { description: "changed" } });

    const created = (await t.json("GET", "/api/audit?action=agent.create&limit=2")).body;
    expect(created.data).toHaveLength(2);
    expect(created.next_cursor).toBeString();
    const seen: string[] = created.data.map((r: { object: { id: string } }) => r.object.id);
    let cursor = created.next_cursor as string | null;
    while (cursor) {
      const page = (await t.json("GET", `/api/audit?action=agent.create&limit=2&cursor=${cursor}`)).body;
      seen.push(...page.data.map((r: { object: { id: string } }) => r.object.id));
      cursor = page.next_cursor;
    }
    expect([...seen].sort()).toEqual([...ids].sort());

    const one = (await t.json("GET", `/api/audit?object_type=agent&object_id=${ids[0]}`)).body.data;
    expect(one.map((r: { action: string }) => r.action)).toEqual(["agent.update", "agent.create"]);
    expect(one[0].changes).toEqual({ description: { before: "", after: "changed" } });
    expect(one[0].actor).toMatchObject({ kind: "admin", label: "master key" });

    expect((await t.json("GET", "/api/audit?action=agent.&limit=100")).body.data.length).toBe(6);
    expect((await t.json("GET", `/api/audit?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.data).toEqual([]);
    expect((await t.json("GET", `/api/audit?until=${new Date(Date.now() - 3_600_000).toISOString()}`)).body.data).toEqual([]);
    expect((await t.json("GET", "/api/audit?actor=nobody")).body.data).toEqual([]);
  });

  test("bad filters are 400 naming the field", async () => {
    for (const [q, field] of [
      ["limit=0", "limit"],
      ["since=yesterday", "since"],
      ["cursor=bogus", "cursor"],
      ["limit=9999", "limit"],
    ]) {
      const res = await t.json("GET", `/api/audit?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.error.fields[0].field).toBe(field);
    }
  });

  test("admins read every row, a team admin its team's, members and others none; anonymous is 401", async () => {
    const teamA = await makeTeam(t, "Audit A");
    const teamB = await makeTeam(t, "Audit B");
    const adminA = await makeUser(t, "audit-admin-a@example.com", teamA, "admin");
    const memberA = await makeUser(t, "audit-member-a@example.com", teamA, "member");
    const inA = (await t.json("POST", "/api/agents", { key: memberA.key, body: { name: "in-a", model: "m" } })).body.id;
    await t.json("POST", "/api/agents", { body: { name: "in-b", model: "m", team_id: teamB } });

    const seenBy = async (key: string) =>
      (await t.json("GET", "/api/audit?limit=500", { key })).body.data as Array<{ object: { id: string; team_id: string | null } }>;
    const forAdminA = await seenBy(adminA.key);
    expect(forAdminA.length).toBeGreaterThan(0);
    expect(forAdminA.every((r) => r.object.team_id === teamA)).toBe(true);
    expect(forAdminA.some((r) => r.object.id === inA)).toBe(true);
    expect(await seenBy(memberA.key)).toEqual([]);
    const all = await seenBy(TEST_MASTER_KEY);
    expect(all.some((r) => r.object.team_id === teamB)).toBe(true);
    expect((await t.request("GET", "/api/audit", { key: null })).status).toBe(401);
  });
});
