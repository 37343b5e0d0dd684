import { Elysia } from "elysia";
import { z } from "zod";
import { unauthorized } from "../lib/errors";
import { requireAdmin, type AuthGuard } from "../http/auth-guard";
import { apiKeyView, createdKeyView, createKeyBody, keyIdParams, loginBody, meView } from "./model";
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

/** Dashboard login/logout and the current caller. */
export function authRoutes(deps: AuthRoutesDeps) {
  return new Elysia({ prefix: "/api/auth", detail: { tags: ["Auth"] } })
    .use(deps.guard)
    .post(
      "/login",
      async ({ body, set }) => {
        const principal = await deps.auth.verifyToken(body.key);
        if (!principal || principal.role !== "admin") throw unauthorized("That key is not the master key or an active admin key");
        const session = deps.auth.issueSession(principal);
        set.headers["set-cookie"] = sessionCookie(session.cookie, session.maxAgeSeconds, deps.secureCookies);
        return { name: deps.uiUsername, role: principal.role, via: "session", label: principal.label };
      },
      { body: loginBody, response: meView, detail: { summary: "Log in to the dashboard (sets an HttpOnly session cookie)" } },
    )
    .post(
      "/logout",
      ({ set }) => {
        set.headers["set-cookie"] = sessionCookie("", 0, deps.secureCookies);
        return { ok: true };
      },
      { detail: { summary: "Clear the dashboard session cookie" } },
    )
    .get("/me", ({ principal }) => ({ name: deps.uiUsername, role: principal.role, via: principal.via, label: principal.label }), {
      response: meView,
      detail: { summary: "Who the caller is" },
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
