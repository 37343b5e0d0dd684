/**
 * Stands for a third-party MCP server protected by OAuth 2.1 (e.g. a SaaS vendor's hosted MCP), which
 * tests cannot reach. It is one loopback HTTP server playing both roles the MCP authorization spec
 * describes, speaking their real wire formats:
 * - the protected resource: `/mcp` requires a Bearer token and answers 401 with
 *   `WWW-Authenticate: Bearer resource_metadata=...`; with a valid token it forwards to a real
 *   MCP server (server-everything) behind it; `/.well-known/oauth-protected-resource/mcp` (RFC 9728);
 * - the authorization server: RFC 8414 metadata, RFC 7591 dynamic client registration, the
 *   authorization endpoint (auto-approves, as if the user clicked Allow), and the token endpoint with
 *   PKCE S256 verification, redirect_uri and client checks, single-use codes, refresh tokens, and
 *   RFC 6749 error bodies.
 */
import { createHash, randomBytes } from "node:crypto";

interface Client {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
}
interface Code {
  clientId: string;
  redirectUri: string;
  challenge: string;
  resource?: string;
  scope?: string;
  expires: number;
}

export interface FakeOAuthServer {
  origin: string;
  mcpUrl: string;
  registrations: Client[];
  tokenRequests: Array<Record<string, string>>;
  /** Makes every issued access token expire now (to exercise refresh). */
  expireAccessTokens(): void;
  stop(): void;
}

const b64url = (buf: Buffer) => buf.toString("base64url");
const token = (prefix: string) => `${prefix}_${b64url(randomBytes(24))}`;
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store", ...headers } });
const oauthError = (error: string, description: string, status = 400) => json({ error, error_description: description }, status);

export function startFakeOAuthServer(
  upstreamMcpUrl: string,
  opts: { accessTokenTtlSeconds?: number; scopes?: string[] } = {},
): FakeOAuthServer {
  const clients = new Map<string, Client>();
  const codes = new Map<string, Code>();
  const access = new Map<string, { expires: number; clientId: string }>();
  const refresh = new Map<string, { clientId: string; resource?: string; scope?: string }>();
  const registrations: Client[] = [];
  const tokenRequests: Array<Record<string, string>> = [];
  const ttl = opts.accessTokenTtlSeconds ?? 3600;
  let origin = "";

  const issue = (clientId: string, resource?: string, scope?: string) => {
    const at = token("at");
    const rt = token("rt");
    access.set(at, { expires: Date.now() + ttl * 1000, clientId });
    refresh.set(rt, { clientId, resource, scope });
    return json({ access_token: at, token_type: "Bearer", expires_in: ttl, refresh_token: rt, ...(scope ? { scope } : {}) });
  };

  /** Client authentication at the token endpoint (public clients send client_id only). */
  const authenticate = (req: Request, form: URLSearchParams): Client | undefined => {
    const basic = req.headers.get("authorization");
    let id = form.get("client_id") ?? undefined;
    let secret = form.get("client_secret") ?? undefined;
    if (basic?.startsWith("Basic ")) {
      const [u, p] = Buffer.from(basic.slice(6), "base64").toString().split(":");
      id = decodeURIComponent(u ?? "");
      secret = decodeURIComponent(p ?? "");
    }
    const client = id ? clients.get(id) : undefined;
    if (!client) return undefined;
    if (client.client_secret && client.client_secret !== secret) return undefined;
    return client;
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 60,
    async fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname;
      if (path === "/.well-known/oauth-protected-resource/mcp" || path === "/.well-known/oauth-protected-resource") {
        return json({
          resource: `${origin}/mcp`,
          authorization_servers: [origin],
          scopes_supported: opts.scopes ?? ["mcp:tools"],
          bearer_methods_supported: ["header"],
        });
      }
      if (path === "/.well-known/oauth-authorization-server") {
        return json({
          issuer: origin,
          authorization_endpoint: `${origin}/authorize`,
          token_endpoint: `${origin}/token`,
          registration_endpoint: `${origin}/register`,
          response_types_supported: ["code"],
          grant_types_supported: ["authorization_code", "refresh_token"],
          code_challenge_methods_supported: ["S256"],
          token_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
          scopes_supported: opts.scopes ?? ["mcp:tools"],
        });
      }
      if (path === "/register" && req.method === "POST") {
        const body = (await req.json().catch(() => null)) as Record<string, unknown> | null;
        const uris = body?.redirect_uris;
        if (!Array.isArray(uris) || uris.length === 0 || !uris.every((u) => typeof u === "string" && URL.canParse(u))) {
          return oauthError("invalid_redirect_uri", "redirect_uris must be a non-empty array of URLs");
        }
        const method = typeof body!.token_endpoint_auth_method === "string" ? body!.token_endpoint_auth_method : "client_secret_basic";
        const client: Client = {
          client_id: token("client"),
          ...(method === "none" ? {} : { client_secret: token("secret") }),
          redirect_uris: uris as string[],
          token_endpoint_auth_method: method,
        };
        clients.set(client.client_id, client);
        registrations.push(client);
        return json({ ...body, ...client, client_id_issued_at: Math.floor(Date.now() / 1000) }, 201);
      }
      if (path === "/authorize" && req.method === "GET") {
        const q = url.searchParams;
        const client = clients.get(q.get("client_id") ?? "");
        const redirectUri = q.get("redirect_uri") ?? "";
        // Without a valid client and redirect_uri the AS must not redirect anywhere.
        if (!client?.redirect_uris.includes(redirectUri))
          return oauthError("invalid_request", "unknown client or unregistered redirect_uri");
        const back = new URL(redirectUri);
        if (q.get("state")) back.searchParams.set("state", q.get("state")!);
        if (q.get("response_type") !== "code") back.searchParams.set("error", "unsupported_response_type");
        else if (q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) {
          back.searchParams.set("error", "invalid_request");
          back.searchParams.set("error_description", "PKCE with S256 is required");
        } else {
          const code = token("code");
          codes.set(code, {
            clientId: client.client_id,
            redirectUri,
            challenge: q.get("code_challenge")!,
            resource: q.get("resource") ?? undefined,
            scope: q.get("scope") ?? undefined,
            expires: Date.now() + 60_000,
          });
          back.searchParams.set("code", code);
        }
        return new Response(null, { status: 302, headers: { location: back.toString() } });
      }
      if (path === "/token" && req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        tokenRequests.push(Object.fromEntries(form));
        const client = authenticate(req, form);
        if (!client) return oauthError("invalid_client", "client authentication failed", 401);
        const grant = form.get("grant_type");
        if (grant === "authorization_code") {
          const code = codes.get(form.get("code") ?? "");
          codes.delete(form.get("code") ?? "");
          if (!code || code.expires < Date.now() || code.clientId !== client.client_id)
            return oauthError("invalid_grant", "code is invalid, expired or already used");
          if (form.get("redirect_uri") !== code.redirectUri) return oauthError("invalid_grant", "redirect_uri does not match");
          const verifier = form.get("code_verifier") ?? "";
          if (b64url(createHash("sha256").update(verifier).digest()) !== code.challenge)
            return oauthError("invalid_grant", "PKCE verification failed");
          return issue(client.client_id, code.resource, code.scope);
        }
        if (grant === "refresh_token") {
          const rt = form.get("refresh_token") ?? "";
          const r = refresh.get(rt);
          if (!r || r.clientId !== client.client_id) return oauthError("invalid_grant", "refresh token is invalid");
          refresh.delete(rt); // rotation: single use
          return issue(client.client_id, r.resource, r.scope);
        }
        return oauthError("unsupported_grant_type", `grant_type ${grant} is not supported`);
      }
      if (path === "/mcp") {
        const auth = req.headers.get("authorization") ?? "";
        const at = auth.startsWith("Bearer ") ? access.get(auth.slice(7)) : undefined;
        if (!at || at.expires <= Date.now()) {
          return json({ error: "invalid_token" }, 401, {
            "www-authenticate": `Bearer error="invalid_token", resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
          });
        }
        const headers = new Headers(req.headers);
        headers.delete("authorization");
        headers.delete("host");
        return fetch(upstreamMcpUrl, {
          method: req.method,
          headers,
          body: req.method === "GET" || req.method === "DELETE" ? undefined : await req.arrayBuffer(),
        });
      }
      return json({ error: "not_found" }, 404);
    },
  });
  origin = `http://127.0.0.1:${server.port}`;
  return {
    origin,
    mcpUrl: `${origin}/mcp`,
    registrations,
    tokenRequests,
    expireAccessTokens: () => {
      for (const v of access.values()) v.expires = 0;
    },
    stop: () => void server.stop(true),
  };
}
