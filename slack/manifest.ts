/** The Slack app manifest a user pastes into api.slack.com/apps ("From a manifest"), built from BASE_URL. */
export const BOT_SCOPES = [
  "app_mentions:read",
  "channels:history",
  "groups:history",
  "im:history",
  "im:read",
  "im:write",
  "mpim:history",
  "chat:write",
  "chat:write.customize",
  "commands",
  "reactions:write",
  "users:read",
  // Files shared in a thread become attachments of the message (slack/files.ts).
  "files:read",
] as const;

export const BOT_EVENTS = ["app_mention", "message.channels", "message.groups", "message.im"] as const;

export function slackManifest(baseUrl: string, opts: { name?: string; oauth?: boolean } = {}) {
  const base = baseUrl.replace(/\/$/, "");
  const name = (opts.name ?? "LAP").slice(0, 35);
  return {
    display_information: {
      name,
      description: "Talk to LAP agents in Slack threads.",
      long_description:
        "Mention the bot or DM it: each thread becomes a LAP agent session and the answer streams into the thread. Answers are written by AI agents and can be wrong; check anything important.",
      background_color: "#1d1c1d",
    },
    features: {
      app_home: { home_tab_enabled: false, messages_tab_enabled: true, messages_tab_read_only_enabled: false },
      bot_user: { display_name: name, always_online: true },
      slash_commands: [
        {
          command: "/lap",
          url: `${base}/slack/commands`,
          description: "Status, new session, choose agent",
          usage_hint: "status | new [prompt] | agent [name]",
          should_escape: false,
        },
      ],
    },
    oauth_config: {
      ...(opts.oauth === false ? {} : { redirect_urls: [`${base}/slack/oauth_redirect`] }),
      scopes: { bot: [...BOT_SCOPES] },
    },
    settings: {
      event_subscriptions: { request_url: `${base}/slack/events`, bot_events: [...BOT_EVENTS] },
      interactivity: { is_enabled: true, request_url: `${base}/slack/interactivity` },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    },
  };
}
