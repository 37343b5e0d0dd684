import { Elysia } from "elysia";
import { fileURLToPath } from "node:url";
import { authRoutes, keyRoutes } from "./auth";
import { AuthService } from "./auth/service";
import type { Config } from "./config/load";
import type { Database } from "./db/client";
import { docsRoutes } from "./docs";
import { harnessRoutes } from "./harnesses";
import { healthRoutes } from "./health";
import { createAuthGuard } from "./http/auth-guard";
import { errorHandler } from "./http/errors";
import { requestContext } from "./http/request-context";
import { staticUi } from "./http/static-ui";
import type { Logger } from "./lib/logger";
import { settingsRoutes } from "./settings";
import { agentRoutes } from "./agents";
import { runtimeRoutes } from "./runtimes";
import { sessionRoutes } from "./sessions";
import { createSessionModule, type SessionModuleDeps } from "./sessions/module";

export const UI_DIST = fileURLToPath(new URL("../ui/dist", import.meta.url));

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  rawEnv?: Record<string, string | undefined>;
  uiDist?: string;
  /** Test hooks for the session worker (time scale, sweep interval, adapters). */
  sessionOptions?: Partial<SessionModuleDeps>;
}

/** Builds the whole HTTP app from its dependencies; no I/O happens until it handles a request. */
export function createApp(deps: AppDeps) {
  const auth = new AuthService({ database: deps.database, masterKey: deps.config.masterKey });
  const core = createSessionModule({
    database: deps.database,
    logger: deps.logger,
    masterKey: deps.config.masterKey,
    encryptionKey: deps.config.encryptionKey,
    ...deps.sessionOptions,
  });
  const guard = createAuthGuard(auth, [core.tokens.authenticate]);
  const secureCookies = deps.config.baseUrl.startsWith("https://");
  const app = new Elysia()
    .use(errorHandler(deps.logger))
    .use(requestContext({ logger: deps.logger, maxBodyBytes: deps.config.env.LAP_MAX_BODY_BYTES }))
    .use(guard)
    .use(healthRoutes({ database: deps.database }))
    .use(authRoutes({ auth, guard, uiUsername: deps.config.env.UI_USERNAME, secureCookies }))
    .use(keyRoutes({ auth, guard }))
    .use(settingsRoutes({ config: deps.config, database: deps.database, guard, rawEnv: deps.rawEnv ?? process.env, startedAt: Date.now() }))
    .use(docsRoutes({ guard, version: deps.config.version }))
    .use(harnessRoutes({ guard }))
    .use(runtimeRoutes({ runtimes: core.runtimes, guard }))
    .use(agentRoutes({ agents: core.agents, guard }))
    .use(sessionRoutes({ sessions: core.sessions, guard, tokens: core.tokens, heartbeatMs: core.heartbeatMs }))
    .use(staticUi(deps.uiDist ?? UI_DIST));
  return { app, services: { auth, sessions: core } };
}

export type App = ReturnType<typeof createApp>["app"];
