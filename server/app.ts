import { Elysia } from "elysia";
import { fileURLToPath } from "node:url";
import { authRoutes, keyRoutes } from "./auth";
import type { BackoffOptions } from "./auth/backoff";
import { AuthService } from "./auth/service";
import type { Config } from "./config/load";
import type { Database } from "./db/client";
import { docsRoutes } from "./docs";
import { harnessRoutes } from "./harnesses";
import { healthRoutes } from "./health";
import { createAuthGuard } from "./http/auth-guard";
import { errorHandler } from "./http/errors";
import { gatewayRoutes, GatewayService } from "./gateway";
import { requestContext } from "./http/request-context";
import { staticUi } from "./http/static-ui";
import type { Logger } from "./lib/logger";
import { createMcpModule, mcpRoutes } from "./mcp";
import { kubernetesRoutes } from "./sandboxes/kubernetes/routes";
import type { KubernetesSandboxes } from "./sandboxes/kubernetes";
import { settingsRoutes } from "./settings";
import type { RuntimeAdapter } from "./runtimes/adapter";
import { sandboxRuntimeForSessions } from "./sandboxes/runtime/for-sessions";
import { sandboxRoutes } from "./sandboxes";
import { SandboxService } from "./sandboxes/service";
import { agentRoutes } from "./agents";
import { runtimeRoutes } from "./runtimes";
import { createSecretBox } from "./lib/crypto";
import { DestinationGuard } from "./net/destinations";
import { vaultRoutes } from "./vault";
import { VaultService } from "./vault/service";
import { sessionRoutes } from "./sessions";
import { approvalRoutes } from "./approvals";
import { createSessionModule, type SessionModuleDeps } from "./sessions/module";
import { createSlack } from "./slack";
import type { SessionsPort } from "./slack/ports";
import { sessionsPortFrom } from "./slack/sessions-adapter";

export const UI_DIST = fileURLToPath(new URL("../ui/dist", import.meta.url));

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  rawEnv?: Record<string, string | undefined>;
  /** Set when LAP_SANDBOX=kubernetes (createKubernetesSandboxes). */
  kubernetes?: KubernetesSandboxes;
  uiDist?: string;
  /** Test hooks for the session worker (time scale, sweep interval, adapters). */
  sessionOptions?: Partial<SessionModuleDeps>;
  /** Replaces the sessions service under the Slack bot (tests of Slack alone); default: the real one. */
  slackSessions?: SessionsPort;
  slackOptions?: { minEditIntervalMs?: number; turnTimeoutMs?: number };
  /** Replaces the destination check built from LAP_ALLOW_PRIVATE_HOSTS (tests: a resolver on a local DNS stub). */
  destinations?: DestinationGuard;
  /** Backoff on failed logins and keys (server/auth/backoff.ts); tests tighten or loosen it. */
  authBackoff?: Partial<BackoffOptions>;
}

/** Builds the whole HTTP app from its dependencies; no I/O happens until it handles a request. */
export function createApp(deps: AppDeps) {
  // The one check of every destination a user names (docs/security.md, "User-supplied URLs and hosts").
  const destinations = deps.destinations ?? DestinationGuard.fromEnv(deps.config.env);
  const auth = new AuthService({ database: deps.database, masterKey: deps.config.masterKey, backoff: deps.authBackoff });
  const gateway = new GatewayService({ config: deps.config, database: deps.database, auth, logger: deps.logger, rawEnv: deps.rawEnv });
  const mcp = createMcpModule({ config: deps.config, database: deps.database, auth, logger: deps.logger, destinations });
  // Agents on the built-in local-sandbox runtime run through this (created below, used lazily).
  const sandboxRuntime = { get: (): RuntimeAdapter => sandboxRuntimeWiring.get() };
  const core = createSessionModule({
    database: deps.database,
    logger: deps.logger,
    masterKey: deps.config.masterKey,
    encryptionKey: deps.config.encryptionKey,
    sandboxAdapter: sandboxRuntime.get,
    destinations,
    gatewayModel: (model) => gateway.modelCheck(model),
    ...deps.sessionOptions,
  });
  const guard = createAuthGuard(auth, [core.tokens.authenticate], {
    allowedOrigins: [new URL(deps.config.baseUrl).origin],
    trustedProxyHops: deps.config.env.LAP_TRUSTED_PROXY_HOPS,
  });
  const vault = new VaultService({ database: deps.database, box: createSecretBox(deps.config.encryptionKey), destinations });
  const sandboxes = new SandboxService({
    config: deps.config,
    database: deps.database,
    logger: deps.logger,
    rawEnv: deps.rawEnv ?? process.env,
    lapUpstream: () => ({ host: "127.0.0.1", port: Number(new URL(deps.config.baseUrl).port) || deps.config.env.PORT }),
    kubernetes: deps.kubernetes,
    vault: { resolve: (names) => vault.resolve(names), secretsUsed: (uses) => vault.markUsed(uses) },
    destinations,
  });
  const sandboxRuntimeWiring = sandboxRuntimeForSessions({ config: deps.config, database: deps.database, gateway, sandboxes, mcp: mcp.gateway });
  // A lost pod is recovered at once, not at the session's next message (kubernetes only: host sandboxes are checked per call).
  deps.kubernetes?.onLost((e) => void sandboxRuntimeWiring.onSandboxLost(e.id, deps.logger));
  const slack = createSlack({
    config: deps.config, database: deps.database, guard, logger: deps.logger,
    sessions: deps.slackSessions ?? sessionsPortFrom(core), ...deps.slackOptions,
  });
  const secureCookies = deps.config.baseUrl.startsWith("https://");
  const app = new Elysia()
    .use(errorHandler(deps.logger, { onGatewayError: (request, error, requestId) => gateway.recordRefusal(request, error, requestId) }))
    .use(requestContext({ logger: deps.logger, maxBodyBytes: deps.config.env.LAP_MAX_BODY_BYTES }))
    .use(guard)
    .use(healthRoutes({ database: deps.database }))
    .use(authRoutes({ auth, guard, uiUsername: deps.config.env.UI_USERNAME, secureCookies }))
    .use(keyRoutes({ auth, guard }))
    .use(settingsRoutes({ config: deps.config, database: deps.database, guard, rawEnv: deps.rawEnv ?? process.env, startedAt: Date.now() }))
    .use(kubernetesRoutes({ guard, kubernetes: deps.kubernetes, namespace: deps.config.env.K8S_NAMESPACE }))
    .use(docsRoutes({ guard, version: deps.config.version }))
    .use(gatewayRoutes({ gateway, guard, database: deps.database, env: deps.config.env }))
    .use(mcpRoutes({ mcp, guard, baseUrl: () => deps.config.baseUrl }))
    .use(harnessRoutes({ guard }))
    .use(runtimeRoutes({ runtimes: core.runtimes, guard }))
    .use(agentRoutes({ agents: core.agents, guard }))
    .use(sessionRoutes({ sessions: core.sessions, guard, tokens: core.tokens, topics: core.topics, bus: core.bus, heartbeatMs: core.heartbeatMs, openStreams: core.openStreams }))
    .use(approvalRoutes({ approvals: core.approvals, guard }))
    .use(sandboxRoutes({ sandboxes, guard }))
    .use(vaultRoutes({ vault, guard }))
    .use(slack.routes)
    .use(staticUi(deps.uiDist ?? UI_DIST));
  return { app, services: { auth, gateway, mcp, sessions: core, sandboxes, vault, slack, sandboxRuntime: sandboxRuntimeWiring } };
}

export type App = ReturnType<typeof createApp>["app"];
