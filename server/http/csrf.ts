const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cross-site request checks for calls authenticated by the dashboard cookie (docs/security.md
 * "Dashboard sessions, CSRF and login"). Bearer calls are not affected: a browser never adds an
 * Authorization header on its own. The cookie is SameSite=Strict already; these hold even where that
 * is not honoured (old browsers, a sibling subdomain counts as same-site but not same-origin):
 * - the Origin header, when sent, must be this LAP's (the request's own origin or BASE_URL's);
 * - without Origin, Sec-Fetch-Site, when sent, must be `same-origin` (or `none`: typed by the user);
 * - a state change (any method but GET/HEAD/OPTIONS) must show one of them, and carry JSON or no body
 *   (forms and multipart, which a page on another site can send without asking, are refused);
 * - a WebSocket upgrade must carry a same-origin Origin (browsers always send it on upgrades).
 * Returns the reason to refuse, or null.
 */
export function crossSiteRefusal(request: Request, allowedOrigins: readonly string[]): string | null {
  const h = request.headers;
  const own = new URL(request.url).origin;
  const origin = h.get("origin");
  const site = h.get("sec-fetch-site");
  const upgrade = h.get("upgrade")?.toLowerCase() === "websocket";
  const unsafe = !SAFE_METHODS.has(request.method);
  if (origin !== null) {
    if (origin !== own && !allowedOrigins.includes(origin))
      return `Cross-site request refused: Origin ${origin.slice(0, 200)} is not this LAP`;
  } else if (site !== null) {
    if (site !== "same-origin" && site !== "none") return `Cross-site request refused: Sec-Fetch-Site is ${site.slice(0, 40)}`;
  } else if (unsafe || upgrade) {
    return "Cross-site request refused: a dashboard-session request that changes something must carry Origin or Sec-Fetch-Site";
  }
  if (upgrade && origin === null) return "Cross-site request refused: a WebSocket upgrade with the dashboard session must carry Origin";
  if (unsafe && !isJsonOrEmpty(request))
    return "A dashboard-session request that changes something must send JSON (content-type: application/json); forms and multipart are refused";
  return null;
}

/** JSON, or no body at all. Used for cookie calls and for the login form (login CSRF). */
export function isJsonOrEmpty(request: Request): boolean {
  const type = request.headers.get("content-type");
  if (type === null || type.trim() === "") {
    const length = request.headers.get("content-length");
    return request.headers.get("transfer-encoding") === null && (length === null || length === "0");
  }
  const essence = type.split(";")[0]!.trim().toLowerCase();
  return essence === "application/json" || /^application\/[a-z0-9.+-]*\+json$/.test(essence);
}
