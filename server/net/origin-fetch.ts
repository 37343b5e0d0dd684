/**
 * `fetch` to an upstream the admin configured (a gateway deployment's `api_base`, a remote runtime's
 * `base_url`; docs/security.md, "User-supplied URLs and hosts"). The admin chose that origin, so it is
 * reached as configured, private or not, with no DNS check on the hot path. A redirect is the
 * upstream's choice, not the admin's: one within the same origin is followed (as fetch would), one to
 * another origin is not (the request carries the provider key and the caller's prompt), and the 3xx
 * comes back for the caller to report (`isCrossOriginRedirect`).
 */

const REDIRECT = new Set([301, 302, 303, 307, 308]);

export const MAX_SAME_ORIGIN_REDIRECTS = 5;

/** Where a response redirects to, when it redirects away from `from`'s origin (null otherwise). */
export function crossOriginRedirect(res: Response, from: string | URL): URL | null {
  if (!REDIRECT.has(res.status)) return null;
  const location = res.headers.get("location");
  if (!location) return null;
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return null;
  }
  return next.origin === new URL(from).origin ? null : next;
}

/** Like fetch, following redirects only within the origin of `input`. */
export async function fetchWithinOrigin(input: string | URL, init: RequestInit = {}): Promise<Response> {
  let url = new URL(input);
  const origin = url.origin;
  let request: RequestInit = { ...init, redirect: "manual" };
  for (let hop = 0; ; hop++) {
    const res = await fetch(url, request);
    const location = res.headers.get("location");
    if (!REDIRECT.has(res.status) || !location || hop >= MAX_SAME_ORIGIN_REDIRECTS) return res;
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      return res;
    }
    if (next.origin !== origin) return res;
    const method = (request.method ?? "GET").toUpperCase();
    // As fetch does: 303 (and 301/302 after a POST) become a GET without body; 307/308 re-send the
    // request, which needs a body that can be sent twice (not a stream).
    const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST");
    if (!toGet && method !== "GET" && method !== "HEAD" && request.body instanceof ReadableStream) return res;
    await res.body?.cancel().catch(() => {});
    if (toGet && method !== "HEAD") {
      const headers = new Headers(request.headers);
      headers.delete("content-type");
      request = { ...request, method: "GET", body: undefined, headers };
    }
    url = next;
  }
}

/** Why a cross-origin redirect was not followed, for an error message (not where it pointed: that is the upstream's text). */
export const REDIRECT_REFUSED =
  "it redirected to another origin; LAP follows an upstream's redirects only within the configured origin, so the request (with its credentials) was not re-sent there";
