/**
 * `fetch` to a user-supplied URL through the destination check (./destinations.ts): the host is
 * resolved and checked, and the request goes to the checked address with the original Host header
 * and TLS server name (Bun's fetch verifies the certificate against `tls.serverName`), so DNS cannot
 * move it between check and connection. Redirects are not followed blindly: each hop is checked
 * like the first, credentials are dropped when the origin changes, and only GET/HEAD are re-sent.
 */
import { parseIp } from "./addresses";
import { type CheckedDestination, type DestinationGuard, DestinationRefused } from "./destinations";

export interface PinnedFetchOptions {
  guard: DestinationGuard;
  /** TLS trust for the upstream (tests' CAs, EGRESS_UPSTREAM_CA_FILE); the server name is set here. */
  tls?: { ca?: string | string[]; rejectUnauthorized?: boolean };
  /** Redirects followed, each checked (default 0: a 3xx is returned as it is). */
  maxRedirects?: number;
  /** URLs the operator named (an admin-registered server): reached without the address check. */
  trusted?: (url: URL) => boolean;
  /** The first hop's destination when the caller has just checked it (not resolved twice). */
  checked?: CheckedDestination;
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);
/** Headers kept when a redirect leaves the origin: everything else may carry a credential (x-api-key, static headers ...). */
const CROSS_ORIGIN_SAFE = new Set(["accept", "accept-language", "content-type", "user-agent", "mcp-protocol-version"]);

export const defaultPort = (url: URL) => Number(url.port) || (url.protocol === "https:" ? 443 : 80);

/** One request to `url`, connected to the checked address. */
async function once(url: URL, init: RequestInit, opts: PinnedFetchOptions): Promise<Response> {
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new DestinationRefused(url.hostname, "non_public", `${url.protocol} URLs are not fetched; only http and https`);
  if (opts.trusted?.(url)) return fetch(url, { ...init, redirect: "manual", ...(opts.tls ? { tls: opts.tls } : {}) } as RequestInit);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const dest =
    opts.checked && opts.checked.host === host && opts.checked.port === defaultPort(url)
      ? opts.checked
      : await opts.guard.check(host, defaultPort(url));
  const target = new URL(url);
  target.hostname = dest.family === 6 ? `[${dest.address}]` : dest.address;
  const headers = new Headers(init.headers);
  headers.set("host", url.host);
  const isName = parseIp(host) === null;
  const tls = { ...opts.tls, ...(url.protocol === "https:" && isName ? { serverName: url.hostname } : {}) };
  return fetch(target, { ...init, headers, redirect: "manual", tls } as RequestInit);
}

/** Like fetch, for a destination a user (or an upstream's metadata) supplied. */
export async function pinnedFetch(input: string | URL, init: RequestInit, opts: PinnedFetchOptions): Promise<Response> {
  let url = new URL(input);
  let request = { ...init };
  for (let hop = 0; ; hop++) {
    const res = await once(url, request, hop === 0 ? opts : { ...opts, checked: undefined });
    const location = res.headers.get("location");
    if (!REDIRECT.has(res.status) || !location || hop >= (opts.maxRedirects ?? 0)) return res;
    const next = new URL(location, url);
    const method = (request.method ?? "GET").toUpperCase();
    // As fetch does: 303 (and 301/302 after a POST) become a GET without body; 307/308 re-send the
    // request, which needs a body that can be sent twice (not a stream).
    const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST");
    if (!toGet && method !== "GET" && method !== "HEAD" && request.body instanceof ReadableStream) return res;
    await res.body?.cancel().catch(() => {});
    const headers = new Headers(request.headers);
    if (next.origin !== url.origin) for (const name of [...headers.keys()]) if (!CROSS_ORIGIN_SAFE.has(name)) headers.delete(name);
    if (toGet) headers.delete("content-type");
    request = { ...request, headers, ...(toGet && method !== "HEAD" ? { method: "GET", body: undefined } : {}) };
    url = next;
  }
}

/**
 * A fetch for an upstream the admin registered at `origin` (an MCP server): requests to that origin
 * go as they are (the admin named it, private or not); anything else it leads to (OAuth metadata
 * URLs it advertises, redirects) is checked like user input, with credentials left behind.
 */
export function originBoundFetch(
  guard: DestinationGuard,
  origin: string,
  extra: RequestInit = {},
  tls?: PinnedFetchOptions["tls"],
): typeof fetch {
  const f = (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input;
    const base = input instanceof Request ? { method: input.method, headers: input.headers, body: input.body } : {};
    return pinnedFetch(url, { ...base, ...init, ...extra }, { guard, tls, maxRedirects: 5, trusted: (u) => u.origin === origin });
  };
  return f as typeof fetch;
}
