import { join, resolve } from "node:path";
import { Elysia, type AnyElysia } from "elysia";
import { fileURLToPath } from "node:url";
import { auditRoutes, auditTrail, AuditService } from "./audit";
import { authRoutes, keyRoutes } from "./auth";
import { backupRoutes } from "./backup";
import { OidcLogin } from "./auth/oidc";
import type { Principal } from "./auth/model";
import { isAdmin } from "./auth/policy";
import { teamRoutes } from "./teams";
import { litellmTeamRoutes } from "./teams/litellm-routes";
import { TeamService } from "./teams/service";
import { SpendReports } from "./teams/spend";
import { userRoutes } from "./users";
import { UserService } from "./users/service";
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
import { gatewayErrorFormat } from "./gateway/errors";
import { chatOnBehalfOf } from "./gateway/internal-call";
import { jsonBody } from "./http/json-body";
import { LapMetrics, metricsRoutes, recordersFor } from "./metrics";
import { overviewRoutes } from "./overview";
import { httpMetrics } from "./metrics/http";
import { httpTracing } from "./tracing/http";
import { createTracing, type Tracing } from "./tracing/tracing";
import { requestContext } from "./http/request-context";
import { installInputValidation } from "./http/validation";
import { staticUi } from "./http/static-ui";
import type { Logger } from "./lib/logger";
import { createMcpModule, mcpRoutes } from "../mcp";
import { kubernetesRoutes } from "./sandboxes/kubernetes/routes";
import type { KubernetesSandboxes } from "./sandboxes/kubernetes";
import { settingsRoutes } from "./settings";
import type { RuntimeAdapter } from "./runtimes/adapter";
import { sandboxRuntimeForSessions } from "./sandboxes/runtime/for-sessions";
import { sandboxRoutes } from "./sandboxes";
import type { EgressRecord } from "./sandboxes/egress/proxy";
import { SandboxService } from "./sandboxes/service";
import { agentRoutes } from "./agents";
import { AgentFileService } from "./files/agent-files";
import { fileRoutes } from "./files";
import { WorkspaceFiles } from "./files/workspace";
import { skillAndRuleRoutes } from "./skills";
import { RuleService } from "./skills/rules-service";
import { SkillService } from "./skills/service";
import { memoryRoutes } from "./memory";
import { MemoryService } from "./memory/service";
import { PlatformService } from "./platform/service";
import { runtimeRoutes } from "./runtimes";
import { createSecretBox } from "./lib/crypto";
import { DestinationGuard } from "./net/destinations";
import { vaultRoutes } from "./vault";
import { VaultService } from "./vault/service";
import { sessionRoutes } from "./sessions";
import { approvalRoutes } from "./approvals";
import { createSessionModule, type SessionModuleDeps } from "./sessions/module";
import { sessionsForSandboxes } from "./sessions/for-sandboxes";
import { RuntimeService, type RuntimeServiceDeps } from "./runtimes/service";
import { AgentService } from "./agents/service";
import { ApprovalService } from "./approvals/service";
import { approvalSideEffects, approvalsForSessions } from "./approvals/record";
import { createSlack } from "../slack";
import { createLinear } from "./linear";
import { systemClock, type Clock } from "./automation/clock";
import { TurnDispatcher } from "./automation/dispatch";
import { scheduleRoutes } from "./schedules";
import { Scheduler } from "./schedules/scheduler";
import { ScheduleService } from "./schedules/service";
import { triggerRoutes } from "./triggers";
import { TriggerCallbacks } from "./triggers/callbacks";
import { TriggerIntake } from "./triggers/receive";
import { TriggerService } from "./triggers/service";
import type { SessionsPort } from "./sessions/port";
import { sessionsPortFrom } from "./app/sessions-port";

export const UI_DIST = fileURLToPath(new URL("../ui/dist", import.meta.url));

/** Test hooks of the sessions module, and the runtimes' adapters (a fake runtime's). */
export type SessionOptions = Partial<SessionModuleDeps> & Pick<RuntimeServiceDeps, "adapterFactory">;

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  rawEnv?: Record<string, string | undefined>;
  /** Set when LAP_SANDBOX=kubernetes (createKubernetesSandboxes). */
  kubernetes?: KubernetesSandboxes;
  uiDist?: string;
  /** Test hooks for the session worker (time scale, sweep interval) and the runtimes' adapters. */
  sessionOptions?: SessionOptions;
  /** Replaces the sessions service under the Slack bot (tests of Slack alone); default: the real one. */
  slackSessions?: SessionsPort;
  slackOptions?: { minEditIntervalMs?: number; turnTimeoutMs?: number };
  /** Test knob of the Linear integration: how long one turn is followed before LAP stops posting. */
  linearOptions?: { turnTimeoutMs?: number };
  /** Replaces the destination check built from LAP_ALLOW_PRIVATE_HOSTS (tests: a resolver on a local DNS stub). */
  destinations?: DestinationGuard;
  /** Backoff on failed logins and keys (server/auth/backoff.ts); tests tighten or loosen it. */
  authBackoff?: Partial<BackoffOptions>;
  /** The clock of schedules and webhook triggers (tests drive it); default: the system's. */
  clock?: Clock;
  /** Test hooks of the scheduler and the trigger callbacks (how late a slot counts as missed, retry waits). */
  automationOptions?: { missedAfterMs?: number; callbackBackoffMs?: number[]; callbackTimeoutMs?: number };
  /** The Prometheus registry the modules record into (GET /metrics); default: a new one for this app. */
  metrics?: LapMetrics;
  /** OpenTelemetry traces; default: from the OTEL_EXPORTER_OTLP_* variables (off when no endpoint is set). */
  tracing?: Tracing;
}

/** Builds the whole HTTP app from its dependencies; no I/O happens until it handles a request. */
export function createApp(deps: AppDeps) {
  // The one check of every destination a user names (docs/security.md, "User-supplied URLs and hosts").
  const destinations = deps.destinations ?? DestinationGuard.fromEnv(deps.config.env);
  // One registry per app, handed to each module as the narrow recorder it needs (docs/operations.md "Metrics").
  const metrics = deps.metrics ?? new LapMetrics();
  const record = recordersFor(metrics);
  const tracing = deps.tracing ?? createTracing(deps.config.env, { version: deps.config.version });
  const tracer = tracing.tracer;
  // Who changed what, recorded by each service in the transaction of its change (docs/operations.md "Audit trail").
  const audit = auditTrail;
  const auditLog = new AuditService({ database: deps.database });
  const auth = new AuthService({ database: deps.database, masterKey: deps.config.masterKey, backoff: deps.authBackoff, audit });
  const gateway = new GatewayService({
    config: deps.config,
    database: deps.database,
    auth,
    logger: deps.logger,
    rawEnv: deps.rawEnv,
    audit,
    metrics: record.gateway,
    tracer,
  });
  // Stdio MCP servers' egress decisions join the sandboxes' records (the service is built below).
  const egressSink = { push: (r: EgressRecord) => sandboxes.egressRecords.push(r) };
  const mcp = createMcpModule({
    config: deps.config,
    database: deps.database,
    auth,
    logger: deps.logger,
    destinations,
    egressSink,
    audit,
    metrics: record.mcp,
    tracer,
  });
  // Agents on the built-in local-sandbox runtime run through this (created below, used lazily).
  const sandboxRuntime = { get: (): RuntimeAdapter => sandboxRuntimeWiring.get() };
  // Sessions run turns through the runtimes; agents and approvals act on sessions (docs/development.md "Layers").
  const { adapterFactory, ...sessionOptions } = deps.sessionOptions ?? {};
  const runtimes = new RuntimeService({
    database: deps.database,
    secrets: createSecretBox(deps.config.encryptionKey),
    adapterFactory,
    sandboxAdapter: sandboxRuntime.get,
    audit,
    destinations,
  });
  const sessionModule = createSessionModule({
    database: deps.database,
    logger: deps.logger,
    masterKey: deps.config.masterKey,
    runtimes,
    sideEffects: approvalSideEffects,
    approvals: approvalsForSessions(deps.database),
    metrics: { turns: record.turns, eventAppend: record.eventAppend, busLag: record.busLag },
    tracer,
    audit,
    titles: { model: deps.config.env.LAP_TITLE_MODEL, call: (body, on) => chatOnBehalfOf(gateway, body, on) },
    ...sessionOptions,
  });
  const approvals = new ApprovalService({ database: deps.database, sessions: sessionModule.sessions, audit });
  const agents = new AgentService({
    database: deps.database,
    beforeDelete: (agentId) => sessionModule.sessions.stopAgentSessions(agentId),
    destinations,
    gatewayModel: (model) => gateway.modelCheck(model),
    audit,
  });
  const core = { ...sessionModule, runtimes, approvals, agents };
  const guard = createAuthGuard(auth, [core.tokens.authenticate], {
    allowedOrigins: [new URL(deps.config.baseUrl).origin],
    trustedProxyHops: deps.config.env.LAP_TRUSTED_PROXY_HOPS,
    metricsToken: deps.config.env.LAP_METRICS_TOKEN,
  });
  const skills = new SkillService({ database: deps.database, audit, destinations, logger: deps.logger.child({ module: "skills" }) });
  const rules = new RuleService({ database: deps.database, audit });
  const vault = new VaultService({ database: deps.database, box: createSecretBox(deps.config.encryptionKey), destinations, audit });
  const env0 = deps.config.env;
  const agentFiles = new AgentFileService({
    database: deps.database,
    limits: {
      maxFileBytes: env0.LAP_AGENT_FILE_MAX_BYTES,
      maxFiles: env0.LAP_AGENT_FILES_MAX_COUNT,
      maxTotalBytes: env0.LAP_AGENT_FILES_MAX_TOTAL_BYTES,
    },
    audit,
  });
  const workspaceFiles = new WorkspaceFiles({
    database: deps.database,
    workspacesDir: join(resolve(env0.LAP_DATA_DIR), "workspaces"),
    hostId: deps.config.hostId,
    sessionRow: (id, p) => core.sessions.row(id, p),
  });
  const sandboxes = new SandboxService({
    config: deps.config,
    database: deps.database,
    logger: deps.logger,
    rawEnv: deps.rawEnv ?? process.env,
    sessions: sessionsForSandboxes(deps.database),
    lapUpstream: () => ({ host: "127.0.0.1", port: Number(new URL(deps.config.baseUrl).port) || deps.config.env.PORT }),
    kubernetes: deps.kubernetes,
    vault: { resolve: (names, teamId) => vault.resolve(names, teamId), secretsUsed: (uses) => vault.markUsed(uses) },
    destinations,
    metrics: record.sandboxes,
    tracer,
    audit,
    // Seen by the egress proxy in GitHub's answer (docs/github.md); shown on the session.
    onPullRequest: async (sessionId, pr) => void (await core.store.append(sessionId, [{ type: "session.pull_request", data: { ...pr } }])),
    agentFiles: (agentId) => agentFiles.forSession(agentId),
  });
  // Agents' memory, and LAP's platform tools for their sessions (/mcp/lap: docs/memory.md).
  const memory = new MemoryService({ database: deps.database, agents: core.agents, audit });
  const platform = new PlatformService({
    database: deps.database,
    memory,
    sessions: core.sessions,
    chargeParent:
      deps.config.env.LLM_PROVIDER === "litellm"
        ? undefined
        : async (child, parent) => void (await gateway.chargeParentSession(child, parent)),
  });
  mcp.sessions.platform = platform;
  const sandboxRuntimeWiring = sandboxRuntimeForSessions({
    config: deps.config,
    database: deps.database,
    sessions: {
      history: core.history,
      recovering: (id) => core.status.recovering(id),
      recovered: (id, prior) => core.status.recovered(id, prior),
    },
    gateway,
    sandboxes,
    mcp: mcp.gateway,
    memory,
  });
  // A lost pod is recovered at once, not at the session's next message (kubernetes only: host sandboxes are checked per call).
  deps.kubernetes?.onLost((e) => void sandboxRuntimeWiring.onSandboxLost(e.id, deps.logger));
  const slack = createSlack({
    config: deps.config,
    database: deps.database,
    guard,
    logger: deps.logger,
    sessions: deps.slackSessions ?? sessionsPortFrom(core),
    audit,
    ...deps.slackOptions,
    metrics: record.slack,
  });
  metrics.observe({
    sessionCounts: () => core.statusCounts(),
    warmPoolCounts: () => sandboxes.warmPoolCounts(),
    spendQueue: () => gateway.spend.stats,
  });
  // Schedules and webhook triggers start turns through one path (docs/schedules.md).
  const clock = deps.clock ?? systemClock;
  const dispatcher = new TurnDispatcher(core.sessions);
  const automationLog = deps.logger.child({ module: "automation" });
  const triggerBox = createSecretBox(deps.config.encryptionKey);
  const schedules = new ScheduleService({ database: deps.database, dispatcher, clock, audit });
  const scheduler = new Scheduler({
    database: deps.database,
    dispatcher,
    clock,
    log: automationLog,
    missedAfterMs: deps.automationOptions?.missedAfterMs,
  });
  const triggers = new TriggerService({
    database: deps.database,
    box: triggerBox,
    destinations,
    baseUrl: () => deps.config.baseUrl,
    audit,
  });
  // Linear agent sessions start turns through the same dispatcher and are followed like Slack threads (docs/linear.md).
  const linear = createLinear({
    config: deps.config,
    database: deps.database,
    guard,
    logger: deps.logger,
    sessions: deps.slackSessions ?? sessionsPortFrom(core),
    dispatcher,
    clock,
    turnTimeoutMs: deps.linearOptions?.turnTimeoutMs,
    audit,
  });
  const triggerIntake = new TriggerIntake({ database: deps.database, dispatcher, box: triggerBox, clock, log: automationLog });
  const triggerCallbacks = new TriggerCallbacks({
    database: deps.database,
    box: triggerBox,
    destinations,
    clock,
    log: automationLog,
    backoffMs: deps.automationOptions?.callbackBackoffMs,
    timeoutMs: deps.automationOptions?.callbackTimeoutMs,
  });
  const secureCookies = deps.config.baseUrl.startsWith("https://");
  // The docs fill in request bodies from the finished route table (server/docs/index.ts).
  let appRoutes: () => AnyElysia["routes"] = () => [];
  const json = jsonBody({ maxBytes: deps.config.env.LAP_MAX_BODY_BYTES, maxDepth: deps.config.env.LAP_MAX_JSON_DEPTH });
  const env = deps.config.env;
  const users = new UserService({
    database: deps.database,
    identities: auth.identities,
    baseUrl: () => deps.config.baseUrl,
    endSignIns: (id) => auth.sessions.revokeOfUser(id),
    onBudgetChange: (id) => gateway.budgets.users.forget(id),
    audit,
  });
  const teams = new TeamService({
    database: deps.database,
    identities: auth.identities,
    inviteByEmail: (email, by) => users.createInvited(email, by),
    onBudgetChange: (id) => gateway.budgets.teams.forget(id),
    audit,
  });
  const spendReports = new SpendReports({ database: deps.database });
  const oidc =
    env.OIDC_ISSUER_URL && env.OIDC_CLIENT_ID
      ? new OidcLogin({
          database: deps.database,
          settings: {
            issuer: env.OIDC_ISSUER_URL,
            clientId: env.OIDC_CLIENT_ID,
            clientSecret: env.OIDC_CLIENT_SECRET,
            scopes: env.OIDC_SCOPES,
            baseUrl: () => deps.config.baseUrl,
          },
        })
      : undefined;
  // The teams a caller acts in, named, for /api/auth/me and the dashboard's team switcher.
  const teamsOf = async (p: Principal) =>
    (await teams.list(p)).map((t) => ({ id: t.id, alias: t.alias, role: isAdmin(p) ? "owner" : (p.teams?.[t.id] ?? "viewer") }));
  const app = new Elysia()
    .use(httpMetrics(metrics).use(httpTracing(tracing)))
    .use(
      errorHandler(deps.logger, {
        formats: [gatewayErrorFormat((request, error, requestId) => gateway.recordRefusal(request, error, requestId))],
      }),
    )
    .use(requestContext({ logger: deps.logger, maxBodyBytes: deps.config.env.LAP_MAX_BODY_BYTES }))
    .use(json.plugin)
    .use(guard)
    .use(healthRoutes({ database: deps.database }))
    .use(
      metricsRoutes({ metrics, guard })
        .use(overviewRoutes({ database: deps.database, guard }))
        .use(skillAndRuleRoutes({ skills, rules, guard })),
    )
    .use(
      authRoutes({
        auth,
        guard,
        users,
        oidc,
        oidcAutoCreate: env.OIDC_AUTO_CREATE_USERS,
        uiUsername: env.UI_USERNAME,
        secureCookies,
        teamsOf,
      }),
    )
    .use(keyRoutes({ auth, guard }))
    .use(teamRoutes({ teams, spend: spendReports, guard }))
    .use(userRoutes({ users, spend: spendReports, guard }))
    .use(litellmTeamRoutes({ teams, users, auth, keys: gateway.keys, guard }))
    .use(settingsRoutes({ config: deps.config, database: deps.database, guard, rawEnv: deps.rawEnv ?? process.env, startedAt: Date.now() }))
    .use(
      kubernetesRoutes({
        guard,
        kubernetes: deps.kubernetes,
        namespace: deps.config.env.K8S_NAMESPACE,
        recordChange: (e) => sandboxes.recordChange(e),
      }),
    )
    .use(docsRoutes({ guard, version: deps.config.version, routes: (): AnyElysia["routes"] => appRoutes() }))
    .use(gatewayRoutes({ gateway, guard, database: deps.database, env: deps.config.env }))
    .use(mcpRoutes({ mcp, guard, baseUrl: () => deps.config.baseUrl }))
    .use(harnessRoutes({ guard }))
    .use(runtimeRoutes({ runtimes: core.runtimes, guard }))
    // Grouped in one plugin: one more link in this chain is past TypeScript's instantiation depth.
    .use(
      new Elysia()
        .use(agentRoutes({ agents: core.agents, guard }))
        .use(
          fileRoutes({
            files: agentFiles,
            workspace: workspaceFiles,
            guard,
            jsonLimits: { maxBytes: env0.LAP_MAX_BODY_BYTES, maxDepth: env0.LAP_MAX_JSON_DEPTH },
          }),
        )
        .use(memoryRoutes({ memory, guard })),
    )
    .use(
      sessionRoutes({
        sessions: core.sessions,
        titles: core.titles,
        database: deps.database,
        guard,
        tokens: core.tokens,
        topics: core.topics,
        bus: core.bus,
        heartbeatMs: core.heartbeatMs,
        openStreams: core.openStreams,
      }),
    )
    .use(approvalRoutes({ approvals: core.approvals, guard }))
    .use(sandboxRoutes({ sandboxes, guard }))
    .use(vaultRoutes({ vault, guard }))
    .use(scheduleRoutes({ schedules, guard }))
    .use(triggerRoutes({ triggers, intake: triggerIntake, guard }))
    .use(slack.routes)
    .use(linear.routes)
    .use(auditRoutes({ audit: auditLog, guard }))
    .use(backupRoutes({ database: deps.database, encryptionKey: deps.config.encryptionKey, guard, audit, logger: deps.logger }))
    .use(staticUi(deps.uiDist ?? UI_DIST));
  // Every JSON body is parsed within size and depth bounds, and every route's body, query, params and
  // headers schema validates at a bounded cost (docs/security.md, "Hostile input").
  appRoutes = () => app.routes;
  json.exemptSelfParsing(app);
  installInputValidation(app);
  return {
    app,
    metrics,
    tracing,
    services: {
      memory,
      platform,
      audit: auditLog,
      auth,
      teams,
      users,
      gateway,
      mcp,
      sessions: core,
      sandboxes,
      vault,
      slack,
      linear,
      sandboxRuntime: sandboxRuntimeWiring,
      agentFiles,
      workspaceFiles,
      schedules,
      scheduler,
      triggers,
      triggerCallbacks,
    },
  };
}

export type App = ReturnType<typeof createApp>["app"];
