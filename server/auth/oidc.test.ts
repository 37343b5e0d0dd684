/**
 * Dashboard sign-in with SSO (issue 21): a round trip through a real OIDC provider on loopback
 * (test/support/oidc-provider.ts, the certified `oidc-provider` package) with discovery, PKCE, state
 * and nonce; the signed-in user sees only its team's sessions. And what must fail: an email nobody
 * invited, an unverified email, a replayed state, a return address on another site.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freePort } from "../../e2e/free-port";
import { createTestApp, type TestApp } from "../../test/support/app";
import { followRedirects, startOidcProvider, type TestOidcProvider } from "../../test/support/oidc-provider";
import { makeTeam } from "../../test/support/teams";

let t: TestApp;
let idp: TestOidcProvider;
let base = "";
let teamA = "";

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startOidcProvider({ redirectUri: `${base}/api/auth/oidc/callback` });
  t = await createTestApp({
    BASE_URL: base,
    OIDC_ISSUER_URL: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
  });
  t.app.listen({ port, hostname: "127.0.0.1" });
  teamA = await makeTeam(t, "Team A");
  // An admin adds alice by email; her first SSO sign-in links the account.
  const added = await t.json("POST", `/api/teams/${teamA}/members`, { body: { email: "alice@example.com", role: "member" } });
  expect(added.status).toBe(201);
}, 180_000);
afterAll(async () => {
  t?.app.stop(true);
  await idp?.close();
  await t?.close();
});

const signIn = async (returnTo = "/sessions") => followRedirects(`${base}/api/auth/oidc/start?return_to=${encodeURIComponent(returnTo)}`);
const cookieOf = (jar: Map<string, string>) => (jar.has("lap_session") ? `lap_session=${jar.get("lap_session")}` : "");

describe("SSO sign-in", () => {
  test("the login page is told SSO is there", async () => {
    expect((await t.json("GET", "/api/auth/providers", { key: null })).body).toEqual({ password: true, oidc: true });
  });

  test("round trip: redirect with PKCE, state and nonce; the callback signs alice in as herself, in her team", async () => {
    idp.signInAs({ sub: "okta|alice", email: "Alice@Example.com", email_verified: true, name: "Alice" });
    const start = await fetch(`${base}/api/auth/oidc/start?return_to=/sessions`, { redirect: "manual" });
    expect(start.status).toBe(302);
    const auth = new URL(start.headers.get("location")!);
    expect(auth.origin).toBe(idp.issuer);
    expect(auth.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.searchParams.get("code_challenge")).toBeTruthy();
    expect(auth.searchParams.get("state")).toBeTruthy();
    expect(auth.searchParams.get("nonce")).toBeTruthy();
    expect(auth.searchParams.get("redirect_uri")).toBe(`${base}/api/auth/oidc/callback`);

    const done = await signIn();
    expect(done.chain.some((u) => u.startsWith(`${base}/api/auth/oidc/callback?`))).toBe(true);
    expect(new URL(done.url).pathname).toBe("/sessions");
    const me = await fetch(`${base}/api/auth/me`, { headers: { cookie: cookieOf(done.jar), "sec-fetch-site": "same-origin" } });
    expect(me.status).toBe(200);
    const body = await me.json();
    expect(body).toMatchObject({ kind: "user", email: "alice@example.com", teams: [{ id: teamA, role: "member" }] });
    const user = (await t.json("GET", `/api/users/${body.user_id}`)).body;
    expect(user).toMatchObject({ sso: true, email: "alice@example.com" });

    // A second sign-in finds her by issuer and subject (even if her email changed at the IdP).
    idp.signInAs({ sub: "okta|alice", email: "alice.renamed@example.com", email_verified: true });
    const again = await signIn();
    const me2 = await (await fetch(`${base}/api/auth/me`, { headers: { cookie: cookieOf(again.jar) } })).json();
    expect(me2.user_id).toBe(body.user_id);
  });

  test("an email nobody added, or an unverified one, is refused with a reason; no user is made", async () => {
    const before = (await t.json("GET", "/api/users")).body.total;
    idp.signInAs({ sub: "okta|mallory", email: "mallory@example.com", email_verified: true });
    const unknown = await signIn();
    expect(new URL(unknown.url).pathname).toBe("/login");
    expect(new URL(unknown.url).searchParams.get("error")).toContain("No LAP account for mallory@example.com");
    expect(unknown.jar.has("lap_session")).toBe(false);

    // alice's email, but the IdP does not vouch for it: no takeover of alice's account.
    idp.signInAs({ sub: "other-idp|alice", email: "alice@example.com", email_verified: false });
    const unverified = await signIn();
    expect(unverified.jar.has("lap_session")).toBe(false);
    expect((await t.json("GET", "/api/users")).body.total).toBe(before);
  });

  test("a state is used once, and one LAP did not issue is refused", async () => {
    idp.signInAs({ sub: "okta|alice", email: "alice@example.com", email_verified: true });
    const done = await signIn();
    const callback = done.chain.find((u) => u.startsWith(`${base}/api/auth/oidc/callback?`))!;
    const replay = await fetch(callback, { redirect: "manual" });
    expect(replay.status).toBe(302);
    expect(replay.headers.get("location")).toContain("/login?error=");
    expect(replay.headers.get("set-cookie")).toBeNull();
    const forged = await fetch(`${base}/api/auth/oidc/callback?code=abc&state=not-ours`, { redirect: "manual" });
    expect(forged.headers.get("location")).toContain("/login?error=");
    expect(forged.headers.get("set-cookie")).toBeNull();
  });

  test("return_to never leaves this LAP", async () => {
    idp.signInAs({ sub: "okta|alice", email: "alice@example.com", email_verified: true });
    for (const evil of ["https://evil.example/", "//evil.example/x", "/\\evil.example"]) {
      const done = await signIn(evil);
      expect(new URL(done.url).origin).toBe(base);
      expect(new URL(done.url).pathname).toBe("/");
    }
  });
});
