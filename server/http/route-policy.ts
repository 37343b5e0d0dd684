import type { CallerKind } from "../auth/model";
import { isPublicRoute } from "./public-routes";

/**
 * Which kinds of caller may reach each route (docs/security.md "Keys and what each kind may do").
 * The auth guard enforces this table on every request, before validation or any handler runs; what
 * a permitted caller then sees of owned objects (agents, sessions, approvals) is scoped by
 * server/auth/policy.ts. `server/http/route-policy.test.ts` walks the built app's route table with
 * every kind of caller: a route missing here fails it (and is admin-only meanwhile: closed by default).
 *
 * - `admin`: the master key, admin keys and dashboard sessions.
 * - `user`: the management API for admin and user keys (a user key sees only what it created).
 * - `llm`: the LLM gateway: admin, user, gateway (virtual) and session keys.
 * - `mcp`: LAP's MCP gateway, same kinds (a session key reaches only its agent's servers).
 * - `stream`: a session's event stream: admin, user, and a stream token for that session.
 * - `metrics`: the Prometheus scrape: admin, and the scrape token LAP_METRICS_TOKEN (valid nowhere else).
 */
export type Access = "admin" | "user" | "llm" | "mcp" | "stream" | "metrics";

export const KINDS_BY_ACCESS: Record<Access, readonly CallerKind[]> = {
  admin: ["admin"],
  user: ["admin", "user"],
  llm: ["admin", "user", "gateway", "session"],
  mcp: ["admin", "user", "gateway", "session"],
  stream: ["admin", "user", "stream"],
  metrics: ["admin", "metrics"],
};

const table: Array<[Access, string[]]> = [
  ["metrics", ["GET /metrics"]],
  ["user", ["GET /api/auth/me"]],
  // A user lists and ends its own sign-ins and keys; admins everyone's (server/auth/index.ts).
  ["user", ["GET /api/auth/sessions", "DELETE /api/auth/sessions/:id", "POST /api/auth/sessions/revoke-all"]],
  ["user", ["GET /api/keys", "POST /api/keys", "DELETE /api/keys/:id"]],
  // Teams and users: what each caller may do is server/auth/policy.ts (team roles), checked in the services.
  [
    "user",
    [
      "GET /api/teams",
      "GET /api/teams/spend",
      "GET /api/teams/:id",
      "PATCH /api/teams/:id",
      "GET /api/teams/:id/members",
      "POST /api/teams/:id/members",
      "PATCH /api/teams/:id/members/:userId",
      "DELETE /api/teams/:id/members/:userId",
      "GET /api/users",
      "GET /api/users/spend",
      "GET /api/users/:id",
      "PATCH /api/users/:id",
    ],
  ],
  ["admin", ["POST /api/teams", "DELETE /api/teams/:id", "POST /api/users", "DELETE /api/users/:id", "POST /api/users/:id/invitation"]],
  // LiteLLM's team and user API: the same services and policy.
  ["user", ["GET /team/list", "GET /team/info", "POST /team/member_add", "GET /user/info"]],
  ["admin", ["POST /team/new", "POST /user/new", "GET /user/list"]],
  ["admin", ["GET /api/settings/system"]],
  // The dashboard's home: every team's numbers, so admins only.
  ["admin", ["GET /api/overview"]],
  ["admin", ["GET /api/sandboxes/kubernetes", "POST /api/sandboxes/kubernetes/warm-pools/:name/scale"]],
  ["user", ["GET /docs/scalar.js", "GET /docs", "GET /openapi.json"]],
  [
    "llm",
    [
      "POST /v1/chat/completions",
      "POST /chat/completions",
      "POST /v1/messages",
      "POST /v1/messages/count_tokens",
      "POST /v1/responses",
      "POST /responses",
      "POST /v1/completions",
      "POST /completions",
      "POST /v1/embeddings",
      "POST /embeddings",
      "GET /v1/models",
      "GET /v1/model/info",
      "GET /model/info",
      // A key's own limits and spend (any key; admins any key's).
      "GET /key/info",
    ],
  ],
  ["admin", ["POST /key/generate", "POST /key/update", "POST /key/delete", "GET /key/list"]],
  ["admin", ["POST /model/new", "POST /model/update", "POST /model/delete", "POST /api/gateway/models/test", "GET /api/gateway/settings"]],
  ["admin", ["GET /spend/logs", "GET /spend/report", "GET /spend/usage"]],
  // A team's shared things (MCP servers and grants, runtimes, vault secrets): admins manage every one,
  // a team's admins and owners their team's, others read their teams' and org-wide ones (server/auth/policy.ts).
  [
    "user",
    [
      "GET /api/mcp/servers",
      "POST /api/mcp/servers",
      "GET /api/mcp/servers/:id",
      "PATCH /api/mcp/servers/:id",
      "DELETE /api/mcp/servers/:id",
      "POST /api/mcp/servers/:id/test",
      "GET /api/mcp/servers/:id/health",
      "GET /api/mcp/grants",
      "POST /api/mcp/grants",
      "DELETE /api/mcp/grants/:id",
    ],
  ],
  // Every caller's tool calls: admins only.
  ["admin", ["GET /api/mcp/calls"]],
  [
    "user",
    [
      "GET /api/mcp/available",
      "PUT /api/mcp/servers/:id/credentials",
      "DELETE /api/mcp/servers/:id/credentials",
      "POST /api/mcp/servers/:id/oauth/start",
    ],
  ],
  ["mcp", ["POST /mcp", "GET /mcp", "DELETE /mcp", "POST /mcp/:server", "GET /mcp/:server", "DELETE /mcp/:server"]],
  ["user", ["GET /api/harnesses/"]],
  ["user", ["GET /api/runtimes", "POST /api/runtimes", "GET /api/runtimes/:id", "POST /api/runtimes/:id/test", "DELETE /api/runtimes/:id"]],
  [
    "user",
    [
      "GET /api/agents",
      "POST /api/agents",
      "GET /api/agents/:id",
      "PATCH /api/agents/:id",
      "POST /api/agents/:id/pause",
      "POST /api/agents/:id/resume",
      "DELETE /api/agents/:id",
    ],
  ],
  // An agent's files and a session's workspace (docs/files.md): the object's own checks decide (server/files).
  [
    "user",
    [
      "GET /api/agents/:id/files",
      "POST /api/agents/:id/files",
      "PUT /api/agents/:id/files/*",
      "GET /api/agents/:id/files/*",
      "DELETE /api/agents/:id/files/*",
    ],
  ],
  ["user", ["GET /api/sessions/:id/files", "GET /api/sessions/:id/files/*", "GET /api/sessions/:id/files.zip"]],
  // An agent's memory: who sees the agent reads it, who may change the agent writes it (server/memory). Never a session key.
  [
    "user",
    [
      "GET /api/agents/:id/memory",
      "POST /api/agents/:id/memory",
      "GET /api/agents/:id/memory/:memoryId",
      "PATCH /api/agents/:id/memory/:memoryId",
      "DELETE /api/agents/:id/memory/:memoryId",
      "GET /api/agents/:id/memory/:memoryId/history",
      "POST /api/agents/:id/memory/:memoryId/restore",
    ],
  ],
  [
    "user",
    [
      "GET /api/skills",
      "POST /api/skills",
      "POST /api/skills/import",
      "GET /api/skills/:id",
      "PATCH /api/skills/:id",
      "DELETE /api/skills/:id",
      "GET /api/skills/:id/versions",
      "GET /api/skills/:id/versions/:version",
      "POST /api/skills/:id/rollback",
      "GET /api/rules",
      "POST /api/rules",
      "GET /api/rules/:id",
      "PATCH /api/rules/:id",
      "DELETE /api/rules/:id",
      "GET /api/rules/:id/versions",
      "GET /api/rules/:id/versions/:version",
      "POST /api/rules/:id/rollback",
    ],
  ],
  [
    "user",
    [
      "GET /api/sessions/stream",
      "POST /api/sessions",
      "GET /api/sessions",
      "GET /api/sessions/:id",
      "DELETE /api/sessions/:id",
      "GET /api/sessions/search",
      "PATCH /api/sessions/:id",
      "POST /api/sessions/:id/stop",
      "POST /api/sessions/:id/messages",
      "POST /api/sessions/:id/interrupt",
      "GET /api/sessions/:id/events",
      "POST /api/sessions/:id/stream-token",
      "GET /api/sessions/:id/attachments/:attachment_id",
    ],
  ],
  // The WebSocket upgrade is a GET on the same path.
  ["stream", ["GET /api/sessions/:id/stream", "WS /api/sessions/:id/stream"]],
  ["user", ["GET /api/approvals", "GET /api/approvals/summary", "GET /api/approvals/:id", "POST /api/approvals/:id/decision"]],
  [
    "admin",
    [
      "GET /api/sandboxes",
      "GET /api/sandboxes/pool",
      "POST /api/sandboxes/pool/refill",
      "GET /api/sandboxes/egress",
      "POST /api/sandboxes/:id/stop",
      "DELETE /api/sandboxes/:id",
    ],
  ],
  [
    "user",
    [
      "GET /api/schedules",
      "POST /api/schedules",
      "GET /api/schedules/preview",
      "GET /api/schedules/:id",
      "PATCH /api/schedules/:id",
      "DELETE /api/schedules/:id",
      "POST /api/schedules/:id/pause",
      "POST /api/schedules/:id/resume",
      "POST /api/schedules/:id/run",
      "GET /api/schedules/:id/runs",
    ],
  ],
  [
    "user",
    [
      "GET /api/triggers",
      "POST /api/triggers",
      "GET /api/triggers/:id",
      "PATCH /api/triggers/:id",
      "DELETE /api/triggers/:id",
      "POST /api/triggers/:id/pause",
      "POST /api/triggers/:id/resume",
      "POST /api/triggers/:id/rotate-secret",
      "GET /api/triggers/:id/deliveries",
    ],
  ],
  // Values are never read back, by anyone (server/vault).
  ["user", ["GET /api/vault", "POST /api/vault", "GET /api/vault/:id", "PATCH /api/vault/:id", "DELETE /api/vault/:id"]],
  [
    "admin",
    [
      "GET /slack/install",
      "GET /api/slack/status",
      "GET /api/slack/manifest",
      "DELETE /api/slack/installations/:team_id",
      "GET /api/slack/bindings",
      "PUT /api/slack/bindings",
      "DELETE /api/slack/bindings/:id",
      "GET /api/slack/dm-allowlist",
      "PUT /api/slack/dm-allowlist",
      "GET /api/slack/events",
    ],
  ],
  // Linear: workspace installs and bindings are an admin's (like Slack's); the install route exists only when configured.
  [
    "admin",
    [
      "GET /api/integrations/linear/install",
      "GET /api/integrations/linear/status",
      "PUT /api/integrations/linear/bindings",
      "DELETE /api/integrations/linear/bindings/:organization_id",
      "DELETE /api/integrations/linear/installations/:organization_id",
      "GET /api/integrations/linear/events",
    ],
  ],
  // The audit trail: admins read every row, team admins their teams' (server/audit/service.ts); read-only.
  ["user", ["GET /api/audit"]],
  // A backup holds every row (secrets sealed): admins only (server/backup).
  ["admin", ["GET /api/admin/backup"]],
];

export const ROUTE_POLICY: ReadonlyMap<string, Access> = new Map(
  table.flatMap(([access, routes]) => routes.map((r) => [r, access] as const)),
);

/** The access a route needs; null for public routes; `admin` for a route nobody listed (closed by default). */
export function accessOf(method: string, route: string): Access | null {
  if (isPublicRoute(method, route)) return null;
  const m = method === "HEAD" ? "GET" : method;
  return ROUTE_POLICY.get(`${m} ${route}`) ?? "admin";
}

const KIND_NAMES: Record<CallerKind, string> = {
  admin: "An admin key",
  user: "A user key",
  gateway: "A gateway (virtual) key",
  session: "A session key",
  stream: "A stream token",
  metrics: "The metrics scrape token",
};

const NEEDS: Record<Access, string> = {
  admin: "an admin key, the master key or a dashboard session",
  user: "a user or admin key",
  llm: "a key",
  mcp: "a key",
  stream: "a user or admin key, or this session's stream token",
  metrics: "an admin key, the master key or the scrape token (LAP_METRICS_TOKEN)",
};

/** Why a caller of this kind may not call the route: said plainly, with what it may call instead. */
export function refusal(kind: CallerKind, access: Access, method: string, path: string): string {
  const mayDo =
    kind === "gateway" || kind === "session"
      ? " It may call only the LLM gateway (/v1/…, /chat/completions, /key/info) and /mcp."
      : kind === "stream"
        ? " It is valid only on its session's stream."
        : kind === "metrics"
          ? " It is valid only on GET /metrics."
          : "";
  return `${KIND_NAMES[kind]} may not call ${method} ${path}: that needs ${NEEDS[access]}.${mayDo}`;
}
