/**
 * The HTTP app: the cross-cutting plugins (metrics, traces, the error envelope, request context, JSON
 * bodies, the auth guard), then every module's routes, then the dashboard's static files. Every JSON
 * body is parsed within size and depth bounds, and every route's body, query, params and headers
 * schema validates at a bounded cost (docs/security.md, "Hostile input").
 */
import { Elysia, type AnyElysia } from "elysia";
import { agentRoutes } from "../agents";
import { approvalRoutes } from "../approvals";
import { auditRoutes } from "../audit";
import { authRoutes, keyRoutes } from "../auth";
import { backupRoutes } from "../backup";
import { docsRoutes } from "../docs";
import { fileRoutes } from "../files";
import { harnessRoutes } from "../harnesses";
import { healthRoutes } from "../health";
import { errorHandler } from "../http/errors";
import { jsonBody } from "../http/json-body";
import { requestContext } from "../http/request-context";
import { staticUi } from "../http/static-ui";
import { installInputValidation } from "../http/validation";
import { memoryRoutes } from "../memory";
import { metricsRoutes } from "../metrics";
import { httpMetrics } from "../metrics/http";
import { overviewRoutes } from "../overview";
import { runtimeRoutes } from "../runtimes";
import { kubernetesRoutes } from "../sandboxes/kubernetes/routes";
import { scheduleRoutes } from "../schedules";
import { settingsRoutes } from "../settings";
import { skillAndRuleRoutes } from "../skills";
import { teamRoutes } from "../teams";
import { litellmTeamRoutes } from "../teams/litellm-routes";
import { httpTracing } from "../tracing/http";
import { triggerRoutes } from "../triggers";
import { userRoutes } from "../users";
import { vaultRoutes } from "../vault";
import type { Core } from "./core";
import type { AppDeps } from "./deps";
import type { Edges } from "./edges";
import type { Foundation } from "./foundation";

export function buildRoutes(deps: AppDeps & { uiDist: string }, f: Foundation, core: Core, edges: Edges) {
  const { config, database, logger } = deps;
  const env = config.env;
  const { guard, auth, audit } = f;
  // The docs fill in request bodies from the finished route table (server/docs/index.ts).
  let appRoutes: () => AnyElysia["routes"] = () => [];
  const json = jsonBody({ maxBytes: env.LAP_MAX_BODY_BYTES, maxDepth: env.LAP_MAX_JSON_DEPTH });
  const app = new Elysia()
    .use(httpMetrics(f.metrics).use(httpTracing(f.tracing)))
    .use(errorHandler(logger, { formats: [core.gateway.errorFormat] }))
    .use(requestContext({ logger, maxBodyBytes: env.LAP_MAX_BODY_BYTES }))
    .use(json.plugin)
    .use(guard)
    .use(healthRoutes({ database }))
    .use(
      metricsRoutes({ metrics: f.metrics, guard })
        .use(overviewRoutes({ database, guard }))
        .use(skillAndRuleRoutes({ skills: edges.skills, rules: edges.rules, guard })),
    )
    .use(
      authRoutes({
        auth,
        guard,
        users: edges.users,
        oidc: edges.oidc,
        oidcAutoCreate: env.OIDC_AUTO_CREATE_USERS,
        uiUsername: env.UI_USERNAME,
        // Decided once: a LAP behind https is configured with BASE_URL.
        secureCookies: config.baseUrl.startsWith("https://"),
        teamsOf: edges.teamsOf,
      }),
    )
    .use(keyRoutes({ auth, guard }))
    .use(teamRoutes({ teams: edges.teams, spend: edges.spendReports, guard }))
    .use(userRoutes({ users: edges.users, spend: edges.spendReports, guard }))
    .use(litellmTeamRoutes({ teams: edges.teams, users: edges.users, auth, keys: core.gateway.service.keys, guard }))
    .use(settingsRoutes({ config, database, guard, rawEnv: deps.rawEnv ?? process.env, startedAt: Date.now() }))
    .use(
      kubernetesRoutes({
        guard,
        kubernetes: deps.kubernetes,
        namespace: env.K8S_NAMESPACE,
        recordChange: (e) => core.sandboxes.service.recordChange(e),
      }),
    )
    .use(docsRoutes({ guard, version: config.version, routes: (): AnyElysia["routes"] => appRoutes() }))
    .use(core.gateway.routes)
    .use(core.mcp.routes)
    .use(harnessRoutes({ guard }))
    .use(runtimeRoutes({ runtimes: core.runtimes, guard }))
    // Grouped in one plugin: one more link in this chain is past TypeScript's instantiation depth.
    .use(
      new Elysia()
        .use(agentRoutes({ agents: core.agents, guard }))
        .use(
          fileRoutes({
            files: core.agentFiles,
            workspace: core.workspaceFiles,
            guard,
            jsonLimits: { maxBytes: env.LAP_MAX_BODY_BYTES, maxDepth: env.LAP_MAX_JSON_DEPTH },
          }),
        )
        .use(memoryRoutes({ memory: core.memory, guard })),
    )
    .use(core.sessions.routes)
    .use(approvalRoutes({ approvals: core.approvals, guard }))
    .use(core.sandboxes.routes)
    .use(vaultRoutes({ vault: core.vault, guard }))
    .use(scheduleRoutes({ schedules: edges.schedules, guard }))
    .use(triggerRoutes({ triggers: edges.triggers, intake: edges.triggerIntake, guard }))
    .use(edges.slack.routes)
    .use(edges.linear.routes)
    .use(auditRoutes({ audit: f.auditLog, guard }))
    .use(backupRoutes({ database, encryptionKey: config.encryptionKey, guard, audit, logger }))
    .use(staticUi(deps.uiDist));
  appRoutes = () => app.routes;
  json.exemptSelfParsing(app);
  installInputValidation(app);
  return app;
}
