/** The Slack bot (unset SLACK_SIGNING_SECRET: off). */
import { z } from "zod";
import { describedIn, optionalString } from "./fields";

const { plain, secret } = describedIn("Slack");

export const slackEnv = {
  SLACK_SIGNING_SECRET: optionalString.meta(
    secret("Slack app signing secret; verifies /slack/events, /slack/interactivity and /slack/commands. Unset disables the Slack bot."),
  ),
  SLACK_BOT_TOKEN: optionalString.meta(
    secret("Bot token (xoxb-) for a single workspace. Leave unset and set SLACK_CLIENT_ID/SECRET for multi-workspace OAuth installs."),
  ),
  SLACK_CLIENT_ID: optionalString.meta(plain("Slack app client id, for OAuth installs at /slack/install.")),
  SLACK_CLIENT_SECRET: optionalString.meta(secret("Slack app client secret, for OAuth installs.")),
  SLACK_API_URL: z.string().default("https://slack.com/api/").meta(plain("Slack Web API base URL (a proxy, or a local fake in tests).")),
  SLACK_OAUTH_AUTHORIZE_URL: z
    .string()
    .default("https://slack.com/oauth/v2/authorize")
    .meta(plain("Where /slack/install sends the browser.")),
};
