/**
 * The modules built on the core (server/app/core.ts): skills and rules, the Slack bot, Linear,
 * schedules and webhook triggers, people (users, teams, OIDC sign-in), and the housekeeping loops.
 */
import { join, resolve } from "node:path";
import { createSlack } from "../../slack";
import { OidcLogin } from "../auth/oidc";
import type { Principal } from "../auth/model";
import { isAdmin } from "../auth/policy";
import { systemClock } from "../automation/clock";
import { TurnDispatcher } from "../automation/dispatch";
import { Ticker } from "../automation/ticker";
import { pruneWorkspaces } from "../files/retention";
import { createSecretBox } from "../lib/crypto";
import { createLinear } from "../linear";
import { Scheduler } from "../schedules/scheduler";
import { ScheduleService } from "../schedules/service";
import { RuleService } from "../skills/rules-service";
import { SkillService } from "../skills/service";
import { TeamService } from "../teams/service";
import { SpendReports } from "../teams/spend";
import { TriggerCallbacks } from "../triggers/callbacks";
import { TriggerIntake } from "../triggers/receive";
import { TriggerService } from "../triggers/service";
import { UserService } from "../users/service";
import type { Core } from "./core";
import type { AppDeps } from "./deps";
import type { Foundation } from "./foundation";
import { sessionsPortFrom } from "./sessions-port";

/** How often each replica looks for due schedule slots, finished runs and callbacks to send. */
const AUTOMATION_TICK_MS = 1_000;
/** How often rows past LAP_AUDIT_RETENTION_DAYS and workspaces past LAP_WORKSPACE_RETENTION_DAYS go. */
const RETENTION_MS = 3_600_000;

export function buildEdges(deps: AppDeps, f: Foundation, core: Core) {
  const { config, database, logger } = deps;
  const env = config.env;
  const { audit, destinations, guard } = f;
  const skills = new SkillService({ database, audit, destinations, logger: logger.child({ module: "skills" }) });
  const rules = new RuleService({ database, audit });
  // Slack and Linear see sessions, agents and approvals through one port (server/sessions/port.ts).
  const chatSessions =
    deps.slackSessions ?? sessionsPortFrom({ sessions: core.sessions.sessions, agents: core.agents, approvals: core.approvals });
  const slack = createSlack({
    settings: env,
    encryptionKey: config.encryptionKey,
    baseUrl: f.baseUrl,
    database,
    guard,
    logger,
    sessions: chatSessions,
    audit,
    ...deps.slackOptions,
    metrics: f.record.slack,
  });
  // Schedules and webhook triggers start turns through one path (docs/schedules.md).
  const clock = deps.clock ?? systemClock;
  const dispatcher = new TurnDispatcher(core.sessions.sessions);
  const automationLog = logger.child({ module: "automation" });
  const triggerBox = createSecretBox(config.encryptionKey);
  const schedules = new ScheduleService({ database, dispatcher, clock, audit });
  const scheduler = new Scheduler({
    database,
    dispatcher,
    clock,
    log: automationLog,
    missedAfterMs: deps.automationOptions?.missedAfterMs,
  });
  const triggers = new TriggerService({ database, box: triggerBox, destinations, baseUrl: f.baseUrl, audit });
  // Linear agent sessions start turns through the same dispatcher and are followed like Slack threads (docs/linear.md).
  const linear = createLinear({
    settings: config.env,
    encryptionKey: config.encryptionKey,
    baseUrl: f.baseUrl,
    database,
    guard,
    logger,
    sessions: chatSessions,
    dispatcher,
    clock,
    turnTimeoutMs: deps.linearOptions?.turnTimeoutMs,
    audit,
  });
  const triggerIntake = new TriggerIntake({ database, dispatcher, box: triggerBox, clock, log: automationLog });
  const triggerCallbacks = new TriggerCallbacks({
    database,
    box: triggerBox,
    destinations,
    clock,
    log: automationLog,
    backoffMs: deps.automationOptions?.callbackBackoffMs,
    timeoutMs: deps.automationOptions?.callbackTimeoutMs,
  });
  const users = new UserService({
    database,
    identities: f.auth.identities,
    baseUrl: f.baseUrl,
    endSignIns: (id) => f.auth.sessions.revokeOfUser(id),
    onBudgetChange: (id) => core.gateway.service.budgets.users.forget(id),
    audit,
  });
  const teams = new TeamService({
    database,
    identities: f.auth.identities,
    inviteByEmail: (email, by) => users.createInvited(email, by),
    onBudgetChange: (id) => core.gateway.service.budgets.teams.forget(id),
    audit,
  });
  const spendReports = new SpendReports({ database });
  const oidc =
    env.OIDC_ISSUER_URL && env.OIDC_CLIENT_ID
      ? new OidcLogin({
          database,
          settings: {
            issuer: env.OIDC_ISSUER_URL,
            clientId: env.OIDC_CLIENT_ID,
            clientSecret: env.OIDC_CLIENT_SECRET,
            scopes: env.OIDC_SCOPES,
            baseUrl: f.baseUrl,
          },
        })
      : undefined;
  // The teams a caller acts in, named, for /api/auth/me and the dashboard's team switcher.
  const teamsOf = async (p: Principal) =>
    (await teams.list(p)).map((t) => ({ id: t.id, alias: t.alias, role: isAdmin(p) ? "owner" : (p.teams?.[t.id] ?? "viewer") }));
  // Every replica ticks; the database makes each slot fire once and each callback go out once (docs/schedules.md).
  const loops = [
    new Ticker("schedules", deps.automationOptions?.tickMs ?? AUTOMATION_TICK_MS, () => scheduler.tick(), logger),
    new Ticker("trigger-callbacks", deps.automationOptions?.tickMs ?? AUTOMATION_TICK_MS, () => triggerCallbacks.tick(), logger),
    // Session workspaces are kept LAP_WORKSPACE_RETENTION_DAYS after the session ended (docs/files.md); each host prunes its own.
    new Ticker(
      "workspace-retention",
      RETENTION_MS,
      async () => {
        const removed = await pruneWorkspaces(
          { database, workspacesDir: join(resolve(env.LAP_DATA_DIR), "workspaces"), hostId: config.hostId },
          env.LAP_WORKSPACE_RETENTION_DAYS,
        );
        if (removed.length) logger.info({ removed: removed.length }, "workspaces past retention removed");
      },
      logger,
    ),
    // The audit trail keeps LAP_AUDIT_RETENTION_DAYS (docs/operations.md "Audit trail"); pruning is idempotent across replicas.
    new Ticker(
      "audit-retention",
      RETENTION_MS,
      async () => {
        const pruned = await f.auditLog.prune(env.LAP_AUDIT_RETENTION_DAYS);
        if (pruned) logger.info({ pruned }, "audit rows past retention deleted");
      },
      logger,
    ),
  ];
  return {
    skills,
    rules,
    slack,
    linear,
    dispatcher,
    schedules,
    scheduler,
    triggers,
    triggerIntake,
    triggerCallbacks,
    users,
    teams,
    spendReports,
    oidc,
    teamsOf,
    loops,
  };
}
export type Edges = ReturnType<typeof buildEdges>;
