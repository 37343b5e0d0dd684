import { Elysia } from "elysia";
import { createHash, timingSafeEqual } from "node:crypto";
import type { Principal, RequestOrigin } from "../auth/model";
import { SESSION_COOKIE, type AuthService } from "../auth/service";
import { forbidden, unauthorized } from "../lib/errors";
import { bridgeClientOf } from "./bridge-client";
import { crossSiteRefusal, isJsonOrEmpty } from "./csrf";
import { accessOf, KINDS_BY_ACCESS, refusal } from "./route-policy";
import { requestIdOf } from "./request-context";

/** Public routes that sign a browser in: JSON only, so another site cannot post a form to them. */
const SIGN_IN_ROUTES = new Set(["/api/auth/login", "/api/auth/invitations/accept"]);

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

export interface AuthGuardOptions {
  /** Origins a dashboard-session request may come from besides its own (BASE_URL's), read per request. */
  allowedOrigins?: () => readonly string[];
  /** Reverse proxies in front of LAP whose X-Forwarded-For entries are believed (0: none). */
  trustedProxyHops?: number;
  /** LAP_METRICS_TOKEN: a bearer token accepted on the `metrics` routes only (GET /metrics). */
  metricsToken?: string;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Whether `given` is the scrape token, compared in constant time (over digests, so lengths do not leak either). */
export function isMetricsToken(given: string | undefined, token: string | undefined): boolean {
  if (!given || !token) return false;
  return timingSafeEqual(digest(given), digest(token));
}

const METRICS_PRINCIPAL: Principal = { via: "metrics_token", role: "user", kind: "metrics", label: "metrics scrape token" };

type BunServer = { requestIP(request: Request): { address: string } | null } | null | undefined;

/**
 * The caller's address for the auth backoff: `sandbox:<id>` for a request a sandbox's LAP bridge
 * forwarded (./bridge-client.ts), else the socket's peer, or with trusted proxies in front the
 * X-Forwarded-For entry the outermost trusted proxy saw (entries further left are the client's word).
 */
export function clientIpOf(request: Request, server: BunServer, trustedProxyHops = 0): string | undefined {
  const peer = server?.requestIP(request)?.address;
  const sandbox = bridgeClientOf(request, peer);
  if (sandbox) return `sandbox:${sandbox}`;
  if (trustedProxyHops <= 0) return peer;
  const hops = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return hops[hops.length - trustedProxyHops] ?? hops[0] ?? peer;
}

/** Resolves credentials: a bearer key (behind the backoff), else the dashboard cookie (CSRF-checked by the caller). */
export async function authenticate(
  auth: AuthService,
  request: Request,
  clientIp?: string,
): Promise<{ principal: Principal | null; cookie: boolean }> {
  const token = bearerToken(request);
  if (token) return { principal: await auth.verifyTokenFrom(token, clientIp), cookie: false };
  const cookie = cookieValue(request, SESSION_COOKIE);
  return cookie ? { principal: await auth.verifySession(cookie), cookie: true } : { principal: null, cookie: false };
}

/**
 * Resolves the caller on every route (as a derive, so before body validation) and enforces the route
 * policy (server/http/route-policy.ts): anonymous calls to a route not in PUBLIC_ROUTES are 401, a
 * caller whose kind the route does not admit is 403, and a dashboard-session call from another
 * origin, or changing something without JSON, is 403 (server/http/csrf.ts). Modules `.use()` it to
 * get a typed `principal`.
 */
export function createAuthGuard(
  auth: AuthService,
  extra: Array<(request: Request) => Promise<Principal | null>> = [],
  opts: AuthGuardOptions = {},
) {
  return new Elysia({ name: "auth-guard" }).derive({ as: "global" }, async ({ request, route, server }) => {
    const access = accessOf(request.method, route);
    const clientIp = clientIpOf(request, server as BunServer, opts.trustedProxyHops);
    // The scrape token is checked before keys, so a scraper never counts as a failed key (auth backoff).
    if (access === "metrics" && isMetricsToken(bearerToken(request), opts.metricsToken)) return { principal: METRICS_PRINCIPAL, clientIp };
    const { principal: resolved, cookie } = await authenticate(auth, request, clientIp);
    let principal = resolved;
    if (cookie) {
      const crossSite = crossSiteRefusal(request, opts.allowedOrigins?.() ?? []);
      // A public page fetched with the cookie simply is not signed in; anything else is refused.
      if (crossSite && (access !== null || request.method !== "GET")) throw forbidden(crossSite);
      if (crossSite) principal = null;
    } else if (access === null && request.method === "POST" && SIGN_IN_ROUTES.has(route) && !isJsonOrEmpty(request)) {
      // A login form posted from another site would sign the browser in as someone else.
      throw forbidden("Log in with JSON (content-type: application/json); forms are refused");
    }
    // Narrow extra credentials (a session's stream token) that each check their own route.
    for (const check of extra) principal ??= await check(request);
    // A public route (logout) still records where the call came from when a caller is known.
    if (access === null)
      return { principal: (principal ? { ...principal, origin: originOf(request, clientIp) } : principal) as Principal, clientIp };
    if (!principal) throw unauthorized();
    if (!KINDS_BY_ACCESS[access].includes(principal.kind))
      throw forbidden(refusal(principal.kind, access, request.method, new URL(request.url).pathname));
    // The dashboard's team switcher narrows lists to one team and puts new objects there (server/auth/policy.ts).
    const team = request.headers.get("x-lap-team")?.trim();
    if (team && team.length <= 128) principal = { ...principal, activeTeam: team };
    // Who changed what is recorded with where the call came from (server/audit); the cached principal is shared, so copy.
    principal = { ...principal, origin: originOf(request, clientIp) };
    // Protected handlers always get a principal.
    return { principal, clientIp };
  });
}
export type AuthGuard = ReturnType<typeof createAuthGuard>;

/** The request's address, user agent (bounded) and id, as the audit trail records them. */
export function originOf(request: Request, clientIp: string | undefined): RequestOrigin {
  return { ip: clientIp, userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? undefined, requestId: requestIdOf(request) };
}

/** Put on admin-only modules: `.onTransform(requireAdmin)` runs before validation (the route policy already refused others). */
export function requireAdmin({ principal }: { principal: Principal }) {
  if (principal?.kind !== "admin") throw forbidden("This needs an admin key or the master key");
}
