/**
 * Dashboard sessions are server-side records (issue 15, item 11): logout, revoking the API key a
 * session was made from, an admin's "end all", and a new MASTER_KEY each end them before their 12 h.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../../test/support/app";
import { AuthService } from "./service";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

const signIn = async (key = TEST_MASTER_KEY) => {
  const res = await t.request("POST", "/api/auth/login", { key: null, body: { key } });
  expect(res.status).toBe(200);
  return res.headers.get("set-cookie")!.split(";")[0]!;
};
const me = (cookie: string) => t.request("GET", "/api/auth/me", { key: null, headers: { cookie } });
// As the dashboard sends them: same origin, JSON.
const asDashboard = (cookie: string) => ({ cookie, origin: "http://localhost" });

describe("dashboard sessions", () => {
  test("the cookie is a random token: nothing about the key or its role is in it", async () => {
    const cookie = await signIn();
    const value = cookie.split("=")[1]!;
    expect(value).not.toContain(".");
    expect(Buffer.from(value, "base64url").toString("utf8")).not.toContain("admin");
    const rows = await t.database.query<{ token_hash: string }>("select token_hash from dashboard_sessions");
    expect(rows.some((r) => r.token_hash === value)).toBe(false);
  });

  test("an admin lists live sessions and ends one; the other keeps working", async () => {
    const one = await signIn();
    const two = await signIn();
    const list = await t.json("GET", "/api/auth/sessions", { key: null, headers: asDashboard(one) });
    expect(list.status).toBe(200);
    const current = list.body.data.find((s: { current: boolean }) => s.current);
    expect(current).toMatchObject({ label: "master key", key_id: null });
    const other = list.body.data.find((s: { current: boolean; id: string }) => !s.current);
    expect((await t.json("DELETE", `/api/auth/sessions/${current.id}`)).status).toBe(200);
    expect((await me(one)).status).toBe(401);
    expect((await me(two)).status).toBe(200);
    expect((await t.json("DELETE", `/api/auth/sessions/${current.id}`)).status).toBe(404);
    expect(other).toBeDefined();
  });

  test("revoke-all ends every session at once, the caller's own too", async () => {
    const a = await signIn();
    const { token } = await t.services.auth.createKey({ label: "ops", role: "admin" });
    const b = await signIn(token);
    const res = await t.json("POST", "/api/auth/sessions/revoke-all", { key: null, headers: asDashboard(a) });
    expect(res.status).toBe(200);
    expect(res.body.revoked).toBeGreaterThanOrEqual(2);
    expect((await me(a)).status).toBe(401);
    expect((await me(b)).status).toBe(401);
    // Signing in again works.
    expect((await me(await signIn())).status).toBe(200);
  });

  test("a user key sees and ends only its own user's dashboard sessions: never an admin's", async () => {
    const cookie = await signIn();
    const { token } = await t.services.auth.createKey({ label: "dev", role: "user" });
    expect((await t.json("GET", "/api/auth/sessions", { key: token })).body.data).toEqual([]);
    const admins = (await t.json("GET", "/api/auth/sessions")).body.data as Array<{ id: string }>;
    expect(admins.length).toBeGreaterThan(0);
    expect((await t.json("DELETE", `/api/auth/sessions/${admins[0]!.id}`, { key: token })).status).toBe(404);
    expect((await t.json("POST", "/api/auth/sessions/revoke-all", { key: token })).body.revoked).toBe(0);
    expect((await t.request("GET", "/api/auth/me", { key: null, headers: { cookie, "sec-fetch-site": "same-origin" } })).status).toBe(200);
  });

  test("a new MASTER_KEY ends every session made before it", async () => {
    const cookie = await signIn();
    const rotated = new AuthService({ database: t.database, masterKey: "another-master-key-0123456789abcdef" });
    const value = cookie.split("=")[1]!;
    expect(await rotated.verifySession(value)).toBeNull();
    expect(await t.services.auth.verifySession(value)).toMatchObject({ via: "session", kind: "admin" });
  });
});
