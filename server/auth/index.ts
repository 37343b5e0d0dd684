import { Elysia } from "elysia";
import { z } from "zod";
import { unauthorized } from "../lib/errors";
import { requireAdmin, type AuthGuard } from "../http/auth-guard";
import { apiKeyView, createdKeyView, createKeyBody, dashboardSessionView, keyIdParams, loginBody, meView } from "./model";
import { SESSION_COOKIE, type AuthService } from "./service";

export interface AuthRoutesDeps {
  auth: AuthService;
  guard: AuthGuard;
  uiUsername: string;
  secureCookies: boolean;
}

function sessionCookie(value: string, maxAge: number, secure: boolean) {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? "; Secure" : ""}`;
}

/**
 * Dashboard login/logout, the current caller, and the dashboard sessions (docs/security.md "Dashboard
 * sessions, CSRF and login"). Login is behind the same backoff as bearer keys.
 */
export function authRoutes(deps: AuthRoutesDeps) {
  return new Elysia({ prefix: "/api/auth", detail: { tags: ["Auth"] } })
    .use(deps.guard)
    .post(
      "/login",
      async ({ body, set, clientIp }) => {
        const principal = await deps.auth.verifyTokenFrom(body.key, clientIp);
        if (!principal || principal.kind !== "admin") throw unauthorized("That key is not the master key or an active admin key");
        const session = await deps.auth.issueSession(principal);
        set.headers["set-cookie"] = sessionCookie(session.cookie, session.maxAgeSeconds, deps.secureCookies);
        return { name: deps.uiUsername, role: principal.role, kind: principal.kind, via: "session", label: principal.label };
      },
      { body: loginBody, response: meView, detail: { summary: "Log in to the dashboard (sets an HttpOnly session cookie)" } },
    )
    .post(
      "/logout",
      async ({ set, principal }) => {
        // Ends this sign-in server-side too: a copy of the cookie stops working at once.
        if (principal?.dashboardSessionId) await deps.auth.sessions.end(principal.dashboardSessionId);
        set.headers["set-cookie"] = sessionCookie("", 0, deps.secureCookies);
        return { ok: true };
      },
      { detail: { summary: "End this dashboard session and clear its cookie" } },
    )
    .get("/me", ({ principal }) => ({ name: deps.uiUsername, role: principal.role, kind: principal.kind, via: principal.via, label: principal.label }), {
      response: meView,
      detail: { summary: "Who the caller is" },
    })
    .get("/sessions", async ({ principal }) => ({ data: await deps.auth.sessions.list(principal.dashboardSessionId) }), {
      response: z.object({ data: z.array(dashboardSessionView) }),
      detail: { summary: "Live dashboard sessions (admin)" },
    })
    .delete(
      "/sessions/:id",
      async ({ params }) => {
        await deps.auth.sessions.revoke(params.id);
        return { ok: true };
      },
      { params: keyIdParams, detail: { summary: "End one dashboard session (admin)" } },
    )
    .post("/sessions/revoke-all", async () => ({ revoked: await deps.auth.sessions.revokeAll() }), {
      response: z.object({ revoked: z.number() }),
      detail: { summary: "End every dashboard session, this one included (admin)" },
    });
}

/** API key management: admin only. */
export function keyRoutes(deps: Pick<AuthRoutesDeps, "auth" | "guard">) {
  return new Elysia({ prefix: "/api/keys", detail: { tags: ["API keys"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get("", async () => ({ data: await deps.auth.listKeys() }), {
      response: z.object({ data: z.array(apiKeyView) }),
      detail: { summary: "List API keys (never the keys themselves)" },
    })
    .post(
      "",
      async ({ body, set }) => {
        set.status = 201;
        return deps.auth.createKey(body);
      },
      { body: createKeyBody, response: { 201: createdKeyView }, detail: { summary: "Create an API key; the token is returned only here" } },
    )
    .delete("/:id", async ({ params }) => deps.auth.revokeKey(params.id), {
      params: keyIdParams,
      response: apiKeyView,
      detail: { summary: "Revoke an API key" },
    });
}
