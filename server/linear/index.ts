import { Elysia, type AnyElysia } from "elysia";
import type { Clock } from "../automation/clock";
import type { TurnDispatcher } from "../automation/dispatch";
import type { AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { requireAdmin, type AuthGuard } from "../http/auth-guard";
import { createSecretBox } from "../lib/crypto";
import { ApiError, notFound } from "../lib/errors";
import type { Logger } from "../lib/logger";
import type { SessionsPort } from "../sessions/port";
import { LinearActivities } from "./activities";
import { LinearApi } from "./client";
import { callbackQuery, linearBindingBody, linearEventsQuery, organizationParams, type LinearEventView, type LinearStatus } from "./model";
import { CALLBACK_PATH, completeInstall, installUrl, WEBHOOK_PATH, type LinearOAuthDeps } from "./oauth";
import { type LinearEnv, linearSettings } from "./settings";
import { LinearStore } from "./store";
import { LinearWebhook } from "./webhook";

export const INSTALL_PATH = "/api/integrations/linear/install";

export interface LinearDeps {
  settings: LinearEnv;
  /** OAuth tokens of installed workspaces at rest (createSecretBox). */
  encryptionKey: Buffer;
  /** LAP's public URL, read when used: without BASE_URL it is known only once the server listens. */
  baseUrl: () => string;
  database: Database;
  guard: AuthGuard;
  logger: Logger;
  sessions: SessionsPort;
  dispatcher: TurnDispatcher;
  clock: Clock;
  /** Records admin changes (bindings, installations) in their transaction (docs/operations.md, "Audit trail"). */
  audit?: AuditPort;
  /** Test knob: how long one turn is followed. */
  turnTimeoutMs?: number;
}

/**
 * Linear (docs/linear.md): agent session webhooks start and continue LAP sessions, whose progress
 * and answer go back as agent activities. The management routes always exist (the Integrations page
 * says what is missing); the install, OAuth callback and webhook routes only with all three
 * LINEAR_* variables set, so otherwise they answer 404 like any unknown path.
 */
export function createLinear(deps: LinearDeps) {
  const log = deps.logger.child({ module: "linear" });
  const store = new LinearStore({ database: deps.database, secretBox: createSecretBox(deps.encryptionKey), audit: deps.audit });
  const state = linearSettings(deps.settings);
  const urls = () => {
    const base = deps.baseUrl();
    return { callback: `${base}${CALLBACK_PATH}`, webhook: `${base}${WEBHOOK_PATH}`, install: `${base}${INSTALL_PATH}` };
  };
  const settings = state.configured ? state.settings : null;
  const api = new LinearApi(settings ?? { apiUrl: deps.settings.LAP_LINEAR_API_URL, clientId: "", clientSecret: "" });
  const activities = new LinearActivities({
    api,
    store,
    sessions: deps.sessions,
    baseUrl: deps.baseUrl,
    log,
    turnTimeoutMs: deps.turnTimeoutMs,
  });

  const admin = new Elysia({ prefix: "/api/integrations/linear", detail: { tags: ["Linear"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get(
      "/status",
      async (): Promise<LinearStatus> => {
        const agents = new Map((await deps.sessions.listAgents()).map((a) => [a.id, a.name]));
        return {
          configured: state.configured,
          missing: state.configured ? [] : state.missing,
          urls: urls(),
          installations: (await store.listInstallations()).map((i) => ({
            organization_id: i.organizationId,
            organization_name: i.organizationName,
            url_key: i.urlKey,
            app_user_id: i.appUserId,
            scopes: i.scopes,
            installed_at: new Date(i.createdAt).toISOString(),
          })),
          bindings: (await store.listBindings()).map((b) => ({
            organization_id: b.organizationId,
            agent_id: b.agentId,
            agent_name: agents.get(b.agentId) ?? null,
            lap_team_id: b.lapTeamId,
          })),
        };
      },
      {
        detail: { summary: "Linear: configured or which variable is missing, its URLs, installed workspaces and bindings (never tokens)" },
      },
    )
    .put(
      "/bindings",
      async ({ body, principal }) => {
        const agent = await deps.sessions.findAgent(body.agent_id);
        if (!agent)
          throw new ApiError(400, "invalid_request", "No such agent", [{ field: "agent_id", message: "no agent with this id or name" }]);
        await store.upsertBinding(body.organization_id, agent.id, principal);
        return { organization_id: body.organization_id, agent_id: agent.id, agent_name: agent.name };
      },
      {
        body: linearBindingBody,
        detail: { summary: "Bind the agent that works for a Linear workspace (organization_id * = every workspace)" },
      },
    )
    .delete(
      "/bindings/:organization_id",
      async ({ params, principal }) => {
        if (!(await store.deleteBinding(params.organization_id, principal))) throw notFound("Binding");
        return { ok: true };
      },
      { params: organizationParams, detail: { summary: "Remove a workspace's binding" } },
    )
    .delete(
      "/installations/:organization_id",
      async ({ params, principal }) => {
        if (!(await store.deleteInstallation(params.organization_id, principal))) throw notFound("Installation");
        return { ok: true };
      },
      { params: organizationParams, detail: { summary: "Forget a workspace installation (its tokens are deleted)" } },
    )
    .get(
      "/events",
      async ({ query }) => ({
        data: (await store.recentEvents(query.limit)).map(
          (e): LinearEventView => ({
            id: e.id,
            organization_id: e.organizationId,
            agent_session_id: e.agentSessionId,
            action: e.action,
            status: e.status,
            session_id: e.sessionId,
            turn_id: e.turnId,
            error: e.error,
            created_at: new Date(e.createdAt).toISOString(),
          }),
        ),
      }),
      { query: linearEventsQuery, detail: { summary: "Recent Linear agent session events and what LAP did with each" } },
    );

  let routes: AnyElysia = new Elysia({ name: "linear" }).use(admin);
  if (settings) {
    const oauth: LinearOAuthDeps = { store, api, settings, baseUrl: deps.baseUrl };
    const webhook = new LinearWebhook({
      database: deps.database,
      store,
      dispatcher: deps.dispatcher,
      sessions: deps.sessions,
      activities,
      webhookSecret: settings.webhookSecret,
      clock: deps.clock,
      log,
    });
    const live = new Elysia({ detail: { tags: ["Linear"] } })
      .use(deps.guard)
      .get(
        INSTALL_PATH,
        async ({ principal }) => {
          requireAdmin({ principal });
          return new Response(null, { status: 302, headers: { location: await installUrl(oauth, principal.label) } });
        },
        { detail: { summary: "Start a Linear workspace install: redirects to Linear with a one-time state (admin)" } },
      )
      .get(
        CALLBACK_PATH,
        async ({ query }) => {
          const result = await completeInstall(oauth, query);
          if (!result.ok && result.status === 401)
            throw new ApiError(
              401,
              "unauthorized",
              "This install link is invalid, used or expired; start again from the Integrations page",
            );
          const target = result.ok
            ? `/integrations?linear_installed=${encodeURIComponent(result.organizationName || result.organizationId)}`
            : `/integrations?linear_error=${encodeURIComponent(result.reason)}`;
          if (!result.ok) log.warn({ reason: result.reason }, "linear install failed");
          return new Response(null, { status: 302, headers: { location: target } });
        },
        {
          query: callbackQuery,
          detail: { summary: "Linear OAuth callback: consumes the state, exchanges the code, stores the token sealed" },
        },
      )
      .post(WEBHOOK_PATH, async ({ request }) => webhook.receive(request), {
        parse: "none",
        detail: { summary: "Linear webhook (Linear-Signature HMAC of the body, webhookTimestamp within 60 s): agent session events" },
      });
    routes = routes.use(live);
  }
  let sweeper: ReturnType<typeof setInterval> | undefined;
  return {
    routes,
    store,
    activities,
    api,
    configured: state.configured,
    /** Prunes old webhook rows hourly; started by a listening LAP (server/app/lifecycle.ts), not in tests. */
    start() {
      sweeper ??= setInterval(() => void store.prune(30).catch(() => {}), 60 * 60_000);
      sweeper.unref?.();
    },
    stop() {
      clearInterval(sweeper);
      sweeper = undefined;
    },
  };
}
