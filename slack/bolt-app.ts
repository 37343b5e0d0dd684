import { App, ErrorCode } from "@slack/bolt";
import type { JsonLimits } from "../server/http/json-body";
import type { Logger } from "../server/lib/logger";
import { handleLapCommand, type CommandDeps } from "./commands";
import { normalizeEvent, type SlackMessageEvent } from "./events";
import { DENY_VIEW } from "./deny-modal";
import { handleAction, handleDenySubmission } from "./interactivity";
import { FetchReceiver } from "./receiver";
import type { SlackService } from "./service";
import { clientOptions, slackLogger } from "./web";
import type { WorkspaceAuthResolver } from "./workspace-auth";

export interface BoltDeps {
  signingSecret: string;
  apiUrl: string;
  service: SlackService;
  auth: WorkspaceAuthResolver;
  commands: CommandDeps;
  log: Logger;
  limits: JsonLimits;
}

/** Bolt app with LAP's listeners, fed by a FetchReceiver that Elysia routes call. */
export function createBoltApp(deps: BoltDeps) {
  const receiver = new FetchReceiver(
    deps.signingSecret,
    (err) => deps.log.error({ err: String(err) }, "slack request failed"),
    (work) => deps.service.background(work),
    undefined,
    { limits: deps.limits, firstSeen: (signature) => deps.service.deps.store.firstSeen(signature) },
  );
  const app = new App({
    receiver,
    logger: slackLogger(deps.log),
    clientOptions: clientOptions(deps.apiUrl, deps.log),
    ignoreSelf: true,
    authorize: async (source) => {
      const auth = await deps.auth.forTeam(source.teamId ?? "");
      if (!auth) throw new Error(`no installation for team ${source.teamId}`);
      return { botToken: auth.botToken, botUserId: auth.botUserId, botId: auth.botId, teamId: auth.teamId };
    },
  });
  app.error(async (err) => {
    // A workspace we have no token for: retrying will not help, so Slack gets its 200.
    if (err.code === ErrorCode.AuthorizationError)
      return void deps.log.warn({ err: err.message }, "slack event from a workspace without an installation");
    // Anything else: rethrow so the receiver answers 500 and Slack retries (the inbox row was not written).
    throw err;
  });

  // biome-ignore lint/suspicious/noExplicitAny: Bolt's listener arguments differ per event type
  const onMessage = async ({ event, body, context }: { event: unknown; body: any; context: any }) => {
    const msg = normalizeEvent(event as SlackMessageEvent, {
      teamId: context.teamId ?? body.team_id,
      eventId: body.event_id,
      botUserId: context.botUserId,
    });
    if (!msg) return;
    await deps.service.accept(msg, { num: context.retryNum, reason: context.retryReason });
  };
  app.event("app_mention", onMessage as never);
  app.event("message", onMessage as never);

  app.action(/^lap_/, async ({ ack, body, action, client }) => {
    await ack();
    await handleAction({ service: deps.service, client, body: body as never, action: action as never, log: deps.log });
  });

  app.view({ callback_id: DENY_VIEW, type: "view_submission" }, async ({ ack, body, client }) => {
    await handleDenySubmission({ service: deps.service, client, body, ack: (r) => ack(r), log: deps.log });
  });
  // Slack sends this only for modals with notify_on_close; acknowledged so it never counts as a decision.
  app.view({ callback_id: DENY_VIEW, type: "view_closed" }, async ({ ack }) => {
    await ack();
  });

  app.command("/lap", async ({ ack, command, client }) => {
    await handleLapCommand(deps.commands, { command, client, ack: (r) => ack(r as never) });
  });

  return { app, receiver };
}
