/**
 * The only routes reachable without credentials. Everything else is rejected by the auth guard
 * before validation runs. `server/http/auth-guard.test.ts` walks the route table and fails when a
 * route is public without being listed here, so adding one is a deliberate, reviewed change.
 * Webhook routes belong here only when they verify their own signatures.
 */
export const PUBLIC_ROUTES = new Set<string>([
  "GET /health/liveliness",
  "GET /health/readiness",
  "POST /api/auth/login",
  "POST /api/auth/logout",
  // How to sign in (the login page's SSO button); an invitation is accepted only with its one-time token.
  "GET /api/auth/providers",
  "POST /api/auth/invitations/accept",
  // SSO: start redirects to the operator's OIDC issuer; the callback is accepted only with a state LAP
  // issued (stored server-side, 10 minutes, used once) and an ID token the issuer signed for that nonce.
  "GET /api/auth/oidc/start",
  "GET /api/auth/oidc/callback",
  // MCP OAuth redirect from the vendor's authorization server: carries no LAP key; it is accepted only
  // with a single-use, 10-minute state LAP issued (stored server-side) and binds tokens to that flow's user.
  "GET /api/mcp/oauth/callback",
  // Slack webhooks verify Slack's request signature themselves (slack/receiver.ts); the OAuth
  // redirect is only useful with a one-time state minted by the (protected) GET /slack/install.
  "POST /slack/events",
  "POST /slack/interactivity",
  "POST /slack/commands",
  "GET /slack/oauth_redirect",
  // Linear (registered only with all three LINEAR_* set): the webhook verifies Linear-Signature and a
  // 60-second webhookTimestamp itself (server/linear/signature.ts); the OAuth callback is only useful with a
  // one-time state minted by the admin-only install route.
  "POST /api/integrations/webhooks/linear",
  "GET /api/integrations/oauth/linear/callback",
  // Webhook triggers verify their own HMAC signature, timestamp and idempotency key (server/triggers/receive.ts).
  "POST /api/triggers/:id",
  // The dashboard's static files and its SPA fallback; unknown /api, /v1, /mcp, /slack paths answer a JSON 404.
  "GET /*",
]);

export const isPublicRoute = (method: string, route: string) =>
  PUBLIC_ROUTES.has(`${method} ${route}`) || (method === "HEAD" && PUBLIC_ROUTES.has(`GET ${route}`));
