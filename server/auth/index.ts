import { Elysia } from "elysia";
import { z } from "zod";
import { forbidden, unauthorized } from "../lib/errors";
import { originOf, type AuthGuard } from "../http/auth-guard";
import {
  acceptInvitationBody,
  apiKeyView,
  createdKeyView,
  createKeyBody,
  dashboardSessionView,
  keyIdParams,
  listKeysQuery,
  loginBody,
  MANAGEMENT_KEY_KINDS,
  meView,
  type Principal,
} from "./model";
import { safeReturnTo, type OidcClaims, type OidcLogin } from "./oidc";
import { isLoopback, tooManyAttempts } from "./backoff";
import { isAdmin } from "./policy";
import { SESSION_COOKIE, type AuthService } from "./service";

/** What signing in asks of the users module (server/users/service.ts; wired in server/app.ts). */
export interface SignInUsers {
  verifyPassword(email: string, password: string): Promise<{ id: string } | null>;
  /** The invited user's id once the invitation is used. */
  acceptInvitation(token: string, password: string, name?: string): Promise<string>;
  forOidc(claims: OidcClaims, autoCreate: boolean): Promise<{ id: string } | null>;
  touchLogin(userId: string): Promise<void>;
}

export interface AuthRoutesDeps {
  auth: AuthService;
  guard: AuthGuard;
  users: SignInUsers;
  /** Set when OIDC_ISSUER_URL is: the SSO sign-in. */
  oidc?: OidcLogin;
  oidcAutoCreate: boolean;
  uiUsername: string;
  secureCookies: boolean;
  /** The teams a caller acts in, with names (admins: every team), for /me and the team switcher. */
  teamsOf: (p: Principal) => Promise<Array<{ id: string; alias: string; role: string }>>;
}

function sessionCookie(value: string, maxAge: number, secure: boolean) {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? "; Secure" : ""}`;
}

/**
 * Dashboard sign-in (a key, a user's password, SSO, or an invitation), logout, the current caller, and
 * dashboard sessions (docs/security.md "Dashboard sessions, CSRF and login"). Password and key sign-ins
 * are behind the same backoff as bearer keys.
 */
export function authRoutes(deps: AuthRoutesDeps) {
  const me = async (p: Principal, via = p.via) => ({
    name: p.userId ? p.label : deps.uiUsername,
    role: p.role,
    kind: p.kind,
    via,
    label: p.label,
    user_id: p.userId ?? null,
    email: p.userId ? p.label : null,
    teams: await deps.teamsOf(p),
  });
  const signIn = async (userId: string, set: { headers: Record<string, string | number> }) => {
    const signed = await deps.auth.signInUser(userId);
    await deps.users.touchLogin(userId);
    set.headers["set-cookie"] = sessionCookie(signed.cookie, signed.maxAgeSeconds, deps.secureCookies);
    return signed.principal;
  };
  return new Elysia({ prefix: "/api/auth", detail: { tags: ["Auth"] } })
    .use(deps.guard)
    .get("/providers", () => ({ password: true, oidc: Boolean(deps.oidc) }), {
      response: z.object({ password: z.boolean(), oidc: z.boolean() }),
      detail: { summary: "How one may sign in here (the login page shows an SSO button when oidc is true)" },
    })
    .post(
      "/login",
      async ({ body, set, clientIp, request }) => {
        const origin = originOf(request, clientIp);
        if (body.key !== undefined) {
          const principal = await deps.auth.verifyTokenFrom(body.key, clientIp);
          if (principal?.kind !== "admin" || principal.userId) {
            // Who tried is unknown (the key is never recorded): a non-admin key is named by its id.
            const tried = principal
              ? { kind: "anonymous" as const, label: `${principal.kind} key ${principal.keyId ?? ""}`.trim(), origin }
              : { kind: "anonymous" as const, origin };
            await deps.auth.recordSignIn(tried, "key", { reason: principal ? "not an admin key" : "unknown, revoked or expired key" });
            throw unauthorized("That key is not the master key or an active admin key");
          }
          const session = await deps.auth.issueSession(principal);
          await deps.auth.recordSignIn({ ...principal, dashboardSessionId: session.id, origin }, "key");
          set.headers["set-cookie"] = sessionCookie(session.cookie, session.maxAgeSeconds, deps.secureCookies);
          return me(principal, "session");
        }
        // A wrong password counts against the address (and the email) like a wrong key.
        const email = body.email!;
        const buckets = [...(clientIp && !isLoopback(clientIp) ? [`ip:${clientIp}`] : []), `email:${email.toLowerCase()}`];
        const wait = deps.auth.backoff.blockedFor(buckets);
        if (wait > 0) throw tooManyAttempts(wait);
        const user = await deps.users.verifyPassword(email, body.password!);
        if (!user) {
          deps.auth.backoff.fail(buckets);
          await deps.auth.recordSignIn({ kind: "anonymous", label: email.slice(0, 320), origin }, "password", {
            reason: "email and password did not match an active user",
            email: email.slice(0, 320),
          });
          throw unauthorized("That email and password did not match an active user");
        }
        deps.auth.backoff.succeed(buckets.filter((b) => b.startsWith("email:")));
        const principal = await signIn(user.id, set);
        await deps.auth.recordSignIn({ ...principal, origin }, "password");
        return me(principal, "session");
      },
      {
        body: loginBody,
        response: meView,
        detail: { summary: "Sign in to the dashboard with a key or an email and password (sets an HttpOnly session cookie)" },
      },
    )
    .post(
      "/invitations/accept",
      async ({ body, set, request, clientIp }) => {
        const principal = await signIn(await deps.users.acceptInvitation(body.token, body.password, body.name), set);
        await deps.auth.recordSignIn({ ...principal, origin: originOf(request, clientIp) }, "invitation");
        return me(principal, "session");
      },
      { body: acceptInvitationBody, response: meView, detail: { summary: "Use an invitation once: set a password and sign in" } },
    )
    .get(
      "/oidc/start",
      async ({ query, set }) => {
        if (!deps.oidc) throw forbidden("SSO is not configured here (OIDC_ISSUER_URL)");
        set.status = 302;
        set.headers.location = await deps.oidc.start(safeReturnTo(query.return_to));
        return "";
      },
      {
        query: z.object({ return_to: z.string().max(500).optional() }),
        detail: { summary: "Start a sign-in with SSO: redirects to the OIDC provider" },
      },
    )
    .get(
      "/oidc/callback",
      async ({ request, set }) => {
        if (!deps.oidc) throw forbidden("SSO is not configured here (OIDC_ISSUER_URL)");
        set.status = 302;
        try {
          const { claims, returnTo } = await deps.oidc.finish(new URL(request.url));
          const user = await deps.users.forOidc(claims, deps.oidcAutoCreate);
          if (!user) {
            await deps.auth.recordSignIn(
              { kind: "anonymous", label: (claims.email ?? claims.subject).slice(0, 320), origin: originOf(request, undefined) },
              "oidc",
              { reason: "no LAP account for this identity", ...(claims.email ? { email: claims.email.slice(0, 320) } : {}) },
            );
            set.headers.location = `/login?error=${encodeURIComponent(`No LAP account for ${claims.email ?? claims.subject}: ask an admin to add or invite you`)}`;
            return "";
          }
          const principal = await signIn(user.id, set);
          await deps.auth.recordSignIn({ ...principal, origin: originOf(request, undefined) }, "oidc");
          set.headers.location = returnTo;
        } catch (err) {
          set.headers.location = `/login?error=${encodeURIComponent((err as Error).message.slice(0, 300))}`;
        }
        return "";
      },
      { detail: { summary: "Where the OIDC provider sends the browser back; signs in and redirects" } },
    )
    .post(
      "/logout",
      async ({ set, principal }) => {
        // Ends this sign-in server-side too: a copy of the cookie stops working at once.
        if (principal?.dashboardSessionId) await deps.auth.sessions.end(principal.dashboardSessionId, principal);
        set.headers["set-cookie"] = sessionCookie("", 0, deps.secureCookies);
        return { ok: true };
      },
      { detail: { summary: "End this dashboard session and clear its cookie" } },
    )
    .get("/me", ({ principal }) => me(principal), { response: meView, detail: { summary: "Who the caller is, and its teams" } })
    .get(
      "/sessions",
      async ({ principal }) => ({ data: await deps.auth.sessions.list(principal.dashboardSessionId, ownOnly(principal)) }),
      {
        response: z.object({ data: z.array(dashboardSessionView) }),
        detail: { summary: "Live dashboard sessions (admins: all; a user: its own)" },
      },
    )
    .delete(
      "/sessions/:id",
      async ({ params, principal }) => {
        await deps.auth.sessions.revoke(params.id, ownOnly(principal), principal);
        return { ok: true };
      },
      { params: keyIdParams, detail: { summary: "End one dashboard session (admins: any; a user: its own)" } },
    )
    .post(
      "/sessions/revoke-all",
      async ({ principal }) => {
        const own = ownOnly(principal);
        return { revoked: own ? await deps.auth.sessions.revokeOfUser(own, principal) : await deps.auth.sessions.revokeAll(principal) };
      },
      {
        response: z.object({ revoked: z.number() }),
        detail: { summary: "End every dashboard session (admins: everyone's; a user: its own), this one included" },
      },
    );
}

/** A non-admin acts only on its own sign-ins and keys (a user without a user id: on nothing). */
const ownOnly = (p: Principal): string | undefined => (isAdmin(p) ? undefined : (p.userId ?? "(no user)"));

/**
 * API keys: admins manage every key; a signed-in user (or its personal key) lists, makes and revokes
 * its own personal `user` keys, optionally narrowed to one of its teams (docs/security.md).
 */
export function keyRoutes(deps: Pick<AuthRoutesDeps, "auth" | "guard">) {
  return new Elysia({ prefix: "/api/keys", detail: { tags: ["API keys"] } })
    .use(deps.guard)
    .get(
      "",
      async ({ principal, query }) => ({
        data: await deps.auth.listKeys(
          ownOnly(principal),
          query.kind === "all" ? undefined : query.kind ? [query.kind] : [...MANAGEMENT_KEY_KINDS],
        ),
      }),
      {
        query: listKeysQuery,
        response: z.object({ data: z.array(apiKeyView) }),
        detail: {
          summary:
            "List API keys (admins: all; a user: its own; never the keys themselves); admin and user keys unless ?kind= says which (gateway and session keys: /key/list)",
        },
      },
    )
    .post(
      "",
      async ({ body, set, principal }) => {
        if (!isAdmin(principal)) {
          if (!principal.userId) throw forbidden("Only a signed-in user (or an admin) makes API keys");
          const kind = body.kind ?? body.role ?? "user";
          if (kind !== "user") throw forbidden("kind: only an admin makes admin keys");
          if (body.user_id && body.user_id !== principal.userId) throw forbidden("user_id: a user makes keys only for itself");
          if (body.team_id && !principal.teams?.[body.team_id]) throw forbidden(`team_id: you are not a member of team ${body.team_id}`);
          body = { ...body, user_id: principal.userId };
        }
        set.status = 201;
        return deps.auth.createKey(body, principal);
      },
      { body: createKeyBody, response: { 201: createdKeyView }, detail: { summary: "Create an API key; the token is returned only here" } },
    )
    .delete("/:id", async ({ params, principal }) => deps.auth.revokeKey(params.id, ownOnly(principal), principal), {
      params: keyIdParams,
      response: apiKeyView,
      detail: { summary: "Revoke an API key (a user: only its own)" },
    });
}
