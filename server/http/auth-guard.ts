import { Elysia } from "elysia";
import type { Principal } from "../auth/model";
import { SESSION_COOKIE, type AuthService } from "../auth/service";
import { forbidden, unauthorized } from "../lib/errors";
import { isPublicRoute } from "./public-routes";

export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return match[1]!.trim();
  }
  return request.headers.get("x-api-key")?.trim() || undefined;
}

export function cookieValue(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export async function authenticate(auth: AuthService, request: Request): Promise<Principal | null> {
  const token = bearerToken(request);
  if (token) return auth.verifyToken(token);
  const cookie = cookieValue(request, SESSION_COOKIE);
  return cookie ? auth.verifySession(cookie) : null;
}

/**
 * Resolves the caller on every route (as a derive, so before body validation) and rejects
 * anonymous calls to any route not in PUBLIC_ROUTES. Modules `.use()` it to get a typed `principal`.
 */
export function createAuthGuard(auth: AuthService, extra: Array<(request: Request) => Promise<Principal | null>> = []) {
  return new Elysia({ name: "auth-guard" }).derive({ as: "global" }, async ({ request, route }) => {
    let principal = await authenticate(auth, request);
    // Narrow extra credentials (a session's stream token) that each check their own route.
    for (const check of extra) principal ??= await check(request);
    if (!principal && !isPublicRoute(request.method, route)) throw unauthorized();
    // Public routes may see an anonymous caller; protected handlers always get a principal.
    return { principal: principal as Principal };
  });
}
export type AuthGuard = ReturnType<typeof createAuthGuard>;

/** Put on admin-only modules: `.onTransform(requireAdmin)` runs before validation. */
export function requireAdmin({ principal }: { principal: Principal }) {
  if (principal?.role !== "admin") throw forbidden("This needs an admin key or the master key");
}
