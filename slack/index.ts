import { Elysia } from "elysia";
import type { SlackMetricsSink } from "../server/metrics/recorders";
import type { Env } from "../server/config/schema";
import type { AuditPort } from "../server/audit/record";
import type { Database } from "../server/db/client";
import { requireAdmin, type AuthGuard } from "../server/http/auth-guard";
import { createSecretBox } from "../server/lib/crypto";
import { ApiError, notFound } from "../server/lib/errors";
import type { Logger } from "../server/lib/logger";
import type { createBoltApp } from "./bolt-app";
import { normalizeUserId } from "./events";
import { slackManifest } from "./manifest";
import {
  allowlistBody,
  allowlistListView,
  allowlistView,
  bindingBody,
  bindingListView,
  bindingParams,
  bindingView,
  eventsQuery,
  teamParams,
  type SlackEventView,
  type SlackStatus,
} from "./model";
import { completeInstall, installUrl, type OAuthDeps } from "./oauth";
import type { SessionsPort } from "../server/sessions/port";
import { SlackService } from "./service";
import { SlackStore } from "./store";
import { SlackClients } from "./web";
import { WorkspaceAuthResolver } from "./workspace-auth";

/** The settings the Slack bot reads (server/config/schema.ts). */
export type SlackSettings = Pick<
  Env,
  | "SLACK_SIGNING_SECRET"
  | "SLACK_BOT_TOKEN"
  | "SLACK_CLIENT_ID"
  | "SLACK_CLIENT_SECRET"
  | "SLACK_API_URL"
  | "SLACK_OAUTH_AUTHORIZE_URL"
  | "LAP_MAX_BODY_BYTES"
  | "LAP_MAX_JSON_DEPTH"
>;

export interface SlackDeps {
  settings: SlackSettings;
  /** Bot tokens at rest (createSecretBox). */
  encryptionKey: Buffer;
  /** LAP's public URL, read when used: without BASE_URL it is known only once the server listens. */
  baseUrl: () => string;
  database: Database;
  guard: AuthGuard;
  logger: Logger;
  sessions: SessionsPort;
  /** Test knobs. */
  minEditIntervalMs?: number;
  turnTimeoutMs?: number;
  /** Messages received, deduplicated and failed (server/metrics). */
  metrics?: SlackMetricsSink;
  /** The audit trail (server/audit): bindings, the DM allow-list, installations removed. */
  audit?: AuditPort;
}

const notConfigured = () =>
  new ApiError(
    404,
    "not_found",
    "The Slack bot is not configured: set SLACK_SIGNING_SECRET (and SLACK_BOT_TOKEN or SLACK_CLIENT_ID/SECRET)",
  );

/**
 * Builds the Slack bot (store, service, Bolt app) and its routes (the module contract, docs/development.md
 * "Layers"); `start()` loads Bolt when Slack is configured and starts the inbox sweep, `stop()` ends it.
 */
export function createSlack(deps: SlackDeps) {
  const env = deps.settings;
  const log = deps.logger.child({ module: "slack" });
  const store = new SlackStore({ database: deps.database, secretBox: createSecretBox(deps.encryptionKey), audit: deps.audit });
  const clients = new SlackClients({ apiUrl: env.SLACK_API_URL, log });
  const auth = new WorkspaceAuthResolver({ store, clients, singleBotToken: env.SLACK_BOT_TOKEN });
  const service = new SlackService({
    store,
    sessions: deps.sessions,
    clients,
    auth,
    baseUrl: deps.baseUrl,
    log,
    minEditIntervalMs: deps.minEditIntervalMs,
    turnTimeoutMs: deps.turnTimeoutMs,
    metrics: deps.metrics,
    apiUrl: env.SLACK_API_URL,
  });
  // Bolt (and @slack/web-api under it) is imported on first use, or right after listen when Slack is
  // configured: ~120 ms and ~12 MB that a LAP without Slack never spends (bench/startup).
  const signingSecret = env.SLACK_SIGNING_SECRET;
  let bolt: Promise<ReturnType<typeof createBoltApp>> | undefined;
  const loadBolt = () =>
    (bolt ??= import("./bolt-app").then(({ createBoltApp }) =>
      createBoltApp({
        signingSecret: signingSecret!,
        apiUrl: env.SLACK_API_URL,
        service,
        auth,
        commands: { service },
        log,
        limits: { maxBytes: env.LAP_MAX_BODY_BYTES, maxDepth: env.LAP_MAX_JSON_DEPTH },
      }),
    ));
  const oauth: OAuthDeps = {
    store,
    clients,
    baseUrl: deps.baseUrl,
    authorizeUrl: env.SLACK_OAUTH_AUTHORIZE_URL,
    clientId: env.SLACK_CLIENT_ID,
    clientSecret: env.SLACK_CLIENT_SECRET,
  };
  const oauthAvailable = !!(env.SLACK_CLIENT_ID && env.SLACK_CLIENT_SECRET);
  const receive = async ({ request }: { request: Request }) => {
    if (!signingSecret) throw notConfigured();
    return (await loadBolt()).receiver.handle(request);
  };
  let sweeper: ReturnType<typeof setInterval> | undefined;

  // Slack's webhooks: public, each request verified by its Slack signature.
  const webhooks = new Elysia({ prefix: "/slack", detail: { tags: ["Slack"] } })
    .use(deps.guard)
    .post("/events", receive, { parse: "none", detail: { summary: "Slack Events API request URL (signature-verified)" } })
    .post("/interactivity", receive, { parse: "none", detail: { summary: "Slack interactivity request URL (signature-verified)" } })
    .post("/commands", receive, { parse: "none", detail: { summary: "Slack slash command request URL (signature-verified)" } })
    .get(
      "/install",
      async ({ principal }) => {
        requireAdmin({ principal });
        if (!oauthAvailable) throw notConfigured();
        return new Response(null, { status: 302, headers: { location: await installUrl(oauth, principal.label) } });
      },
      {
        detail: { summary: "Start a workspace install: redirects to Slack with a one-time state (needs a dashboard session or admin key)" },
      },
    )
    .get(
      "/oauth_redirect",
      async ({ query }) => {
        const q = query as Record<string, string | undefined>;
        const result = await completeInstall(oauth, { code: q.code, state: q.state, error: q.error });
        if (!result.ok && result.status === 401)
          throw new ApiError(401, "unauthorized", "This install link is invalid, used or expired; start again from the Slack page");
        const target = result.ok
          ? `/integrations/slack?installed=${encodeURIComponent(result.teamId)}`
          : `/integrations/slack?install_error=${encodeURIComponent(result.reason)}`;
        return new Response(null, { status: 302, headers: { location: target } });
      },
      { detail: { summary: "Slack OAuth redirect: consumes the state, exchanges the code, stores the bot token encrypted" } },
    );

  const admin = new Elysia({ prefix: "/api/slack", detail: { tags: ["Slack"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get(
      "/status",
      async (): Promise<SlackStatus> => {
        const base = deps.baseUrl();
        const single = !!env.SLACK_BOT_TOKEN;
        return {
          enabled: !!signingSecret && (single || oauthAvailable),
          mode: !signingSecret
            ? "disabled"
            : single && oauthAvailable
              ? "single_workspace+oauth"
              : single
                ? "single_workspace"
                : oauthAvailable
                  ? "oauth"
                  : "disabled",
          oauth_available: oauthAvailable,
          request_urls: {
            events: `${base}/slack/events`,
            interactivity: `${base}/slack/interactivity`,
            commands: `${base}/slack/commands`,
            oauth_redirect: `${base}/slack/oauth_redirect`,
            install: `${base}/slack/install`,
          },
          installations: (await store.listInstallations()).map((i) => ({
            team_id: i.teamId,
            team_name: i.teamName,
            bot_user_id: i.botUserId,
            scopes: i.scopes,
            installed_at: new Date(i.createdAt).toISOString(),
          })),
        };
      },
      { detail: { summary: "Slack bot mode, request URLs and installed workspaces (never tokens)" } },
    )
    .get("/manifest", () => slackManifest(deps.baseUrl(), { oauth: oauthAvailable || !env.SLACK_BOT_TOKEN }), {
      detail: { summary: "Slack app manifest built from BASE_URL, to paste into api.slack.com/apps" },
    })
    .delete(
      "/installations/:team_id",
      async ({ params, principal }) => {
        if (!(await store.deleteInstallation(params.team_id, principal))) throw notFound("Installation");
        return { ok: true };
      },
      { params: teamParams, detail: { summary: "Forget a workspace installation (its token is deleted)" } },
    )
    .get(
      "/bindings",
      async () => ({
        data: (await store.listBindings()).map((b) => ({
          id: b.id,
          team_id: b.teamId,
          channel_id: b.channelId,
          agent_id: b.agentId,
          lap_team_id: b.lapTeamId,
        })),
      }),
      {
        response: bindingListView,
        detail: { summary: "Which agent answers in which workspace and channel (* = default)" },
      },
    )
    .put(
      "/bindings",
      async ({ body, principal }) => {
        const agent = await deps.sessions.findAgent(body.agent_id);
        if (!agent)
          throw new ApiError(400, "invalid_request", "No such agent", [{ field: "agent_id", message: "no agent with this id or name" }]);
        const id = await store.upsertBinding(body.team_id, body.channel_id, agent.id, principal);
        return { id, team_id: body.team_id, channel_id: body.channel_id, agent_id: agent.id };
      },
      {
        body: bindingBody,
        response: bindingView,
        detail: { summary: "Bind an agent to a channel, a workspace (channel *) or everywhere (both *)" },
      },
    )
    .delete(
      "/bindings/:id",
      async ({ params, principal }) => {
        if (!(await store.deleteBinding(params.id, principal))) throw notFound("Binding");
        return { ok: true };
      },
      { params: bindingParams, detail: { summary: "Remove a binding" } },
    )
    .get("/dm-allowlist", async () => ({ data: (await store.dmAllowlist()).map((e) => ({ team_id: e.teamId, user_id: e.userId })) }), {
      response: allowlistListView,
      detail: { summary: "Slack users allowed to DM the bot (empty for a workspace: everyone there may)" },
    })
    .put(
      "/dm-allowlist",
      async ({ body, principal }) => {
        const ids = [...new Set(body.user_ids.map((u) => normalizeUserId(u)!))];
        await store.replaceDmAllowlist(body.team_id, ids, principal);
        return { team_id: body.team_id, user_ids: ids };
      },
      { body: allowlistBody, response: allowlistView, detail: { summary: "Replace one workspace's DM allow-list" } },
    )
    .get(
      "/events",
      async ({ query }) => ({
        data: (await store.recentEvents(query.limit)).map(
          (e): SlackEventView => ({
            id: e.id,
            event_id: e.eventId,
            team_id: e.teamId,
            channel_id: e.channelId,
            thread_ts: e.threadTs,
            user_id: e.userId,
            kind: e.kind,
            status: e.status,
            agent_id: e.agentId,
            session_id: e.sessionId,
            error: e.error,
            attempts: e.attempts,
            duplicates: e.duplicates,
            created_at: new Date(e.createdAt).toISOString(),
          }),
        ),
      }),
      { query: eventsQuery, detail: { summary: "Recent Slack messages and what happened to each" } },
    );

  const routes = new Elysia({ name: "slack" }).use(webhooks).use(admin);
  return {
    routes,
    service,
    store,
    loadBolt,
    /** Re-runs inbox rows a crash or a failure left behind; started by a listening LAP (server/app/lifecycle.ts), not in tests. */
    start() {
      if (sweeper) return;
      if (signingSecret) void loadBolt().catch((err) => log.error({ err: String(err) }, "could not load the Slack bot"));
      sweeper = setInterval(() => {
        void service.resumeStuck().catch((err) => log.warn({ err: String(err) }, "slack sweep failed"));
        void store.pruneEvents(30).catch(() => {});
        void store.pruneSeenRequests().catch(() => {});
      }, 30_000);
      sweeper.unref?.();
    },
    stop() {
      clearInterval(sweeper);
      sweeper = undefined;
    },
  };
}
