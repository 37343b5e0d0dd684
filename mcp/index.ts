import { Elysia } from "elysia";
import type { McpMetricsSink } from "../server/metrics/recorders";
import type { Tracer } from "@opentelemetry/api";
import { z } from "zod";
import type { AuthService } from "../server/auth/service";
import type { Env } from "../server/config/schema";
import type { AuditPort } from "../server/audit/record";
import type { Database } from "../server/db/client";
import type { AuthGuard } from "../server/http/auth-guard";
import { createSecretBox } from "../server/lib/crypto";
import type { Logger } from "../server/lib/logger";
import type { DestinationGuard } from "../server/net/destinations";
import { adminRoutes } from "./admin-routes";
import { McpOAuth } from "./oauth/service";
import { McpSessions } from "./proxy/sessions";
import { McpGateway } from "./service";
import { createLauncher, type StdioLauncher } from "./upstream/launcher";
import type { EgressSink } from "../server/sandboxes/egress";
import { parseUidRange } from "../server/sandboxes/host/sandbox-user";
import type { McpModule, McpParts } from "./module";
import type { PlatformPort } from "./proxy/platform";
import { userRoutes } from "./user-routes";

export type { McpModule } from "./module";

/** The settings the MCP gateway reads (server/config/schema.ts). */
export type McpSettings = Pick<
  Env,
  | "LAP_MCP_STDIO_LAUNCHER"
  | "LAP_SANDBOX_UIDS"
  | "LAP_MCP_TIMEOUT_MS"
  | "LAP_MCP_CONNECT_TIMEOUT_MS"
  | "LAP_MCP_SESSION_IDLE_MINUTES"
  | "LAP_MAX_BODY_BYTES"
  | "LAP_MAX_JSON_DEPTH"
>;

/**
 * Builds the gateway and its routes (the module contract, docs/development.md "Layers"); `launcher`
 * overrides LAP_MCP_STDIO_LAUNCHER (tests, sandbox provider).
 */
export function createMcpModule(deps: {
  settings: McpSettings;
  /** Upstream credentials at rest (createSecretBox). */
  encryptionKey: Buffer;
  /** LAP's public URL, read when used (OAuth redirects): without BASE_URL it is known only after listen. */
  baseUrl: () => string;
  database: Database;
  guard: AuthGuard;
  /** LAP's own tools for agents' session keys (server/platform, /mcp/lap). */
  platform?: PlatformPort;
  auth: AuthService;
  logger?: Logger;
  launcher?: StdioLauncher;
  destinations?: DestinationGuard;
  /** Where `network: true` stdio servers' egress decisions are kept (LAP: the egress records table). */
  egressSink?: EgressSink;
  /** Tool calls are counted here (server/metrics). */
  metrics?: McpMetricsSink;
  tracer?: Tracer;
  /** The audit trail (server/audit). */
  audit?: AuditPort;
}): McpModule {
  const env = deps.settings;
  const box = createSecretBox(deps.encryptionKey);
  const gateway = new McpGateway({
    database: deps.database,
    box,
    auth: deps.auth,
    logger: deps.logger,
    launcher:
      deps.launcher ??
      createLauncher(env.LAP_MCP_STDIO_LAUNCHER, deps.logger, parseUidRange(env.LAP_SANDBOX_UIDS), {
        ...(deps.destinations ? { destinations: deps.destinations } : {}),
        sink: deps.egressSink,
      }),
    timeoutMs: env.LAP_MCP_TIMEOUT_MS,
    connectTimeoutMs: env.LAP_MCP_CONNECT_TIMEOUT_MS,
    destinations: deps.destinations,
    metrics: deps.metrics,
    tracer: deps.tracer,
    audit: deps.audit,
    // The OAuth flows (below) hold the user tokens of servers that need them.
    oauthToken: (row, userId, secrets) => oauth.token(row, userId, secrets),
  });
  const sessions = new McpSessions({
    gateway,
    idleMs: env.LAP_MCP_SESSION_IDLE_MINUTES * 60_000,
    logger: deps.logger,
    limits: { maxBytes: env.LAP_MAX_BODY_BYTES, maxDepth: env.LAP_MAX_JSON_DEPTH },
    platform: deps.platform,
  });
  // baseUrl is read late: without BASE_URL it is only known once the server listens.
  const oauth = new McpOAuth({
    database: deps.database,
    box,
    gateway,
    baseUrl: deps.baseUrl,
    logger: deps.logger,
    destinations: deps.destinations,
  });
  const parts: McpParts = { gateway, sessions, oauth };
  const stop = async () => {
    await sessions.closeAll();
    await gateway.close();
  };
  return {
    ...parts,
    routes: mcpRoutes({ mcp: parts, guard: deps.guard, baseUrl: deps.baseUrl }),
    start: () => sessions.start(),
    stop,
    close: stop,
  };
}

/** The MCP proxy endpoints: `/mcp` (every granted server, namespaced) and `/mcp/:server`. */
function proxyRoutes(mcp: McpParts, guard: AuthGuard) {
  const handler = ({
    request,
    principal,
    params,
  }: {
    request: Request;
    principal: Parameters<McpSessions["handle"]>[1];
    params?: { server?: string };
  }) => mcp.sessions.handle(request, principal, params?.server);
  const opts = {
    parse: "none" as const,
    detail: { tags: ["MCP proxy"], summary: "MCP Streamable HTTP (JSON-RPC; GET opens the SSE stream, DELETE ends the session)" },
  };
  const one = { ...opts, params: z.object({ server: z.string().min(1).max(64) }) };
  return new Elysia({ detail: { tags: ["MCP proxy"] } })
    .use(guard)
    .post("/mcp", handler, opts)
    .get("/mcp", handler, opts)
    .delete("/mcp", handler, opts)
    .post("/mcp/:server", handler, one)
    .get("/mcp/:server", handler, one)
    .delete("/mcp/:server", handler, one);
}

function mcpRoutes(deps: { mcp: McpParts; guard: AuthGuard; baseUrl: () => string }) {
  return new Elysia()
    .use(adminRoutes(deps.mcp.gateway, deps.guard))
    .use(userRoutes(deps.mcp, deps.guard, deps.baseUrl))
    .use(proxyRoutes(deps.mcp, deps.guard));
}
