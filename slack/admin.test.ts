import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { nextTs, slackHarness, type SlackHarness } from "../test/support/slack-harness";

let h: SlackHarness;
beforeAll(async () => {
  h = await slackHarness({ env: { SLACK_BOT_TOKEN: "" } }); // OAuth-only: every workspace must install
  await h.api("PUT", "/api/slack/bindings", { agent_id: "helper" });
}, 60_000);
afterAll(() => h?.close());

async function startInstall() {
  const res = await h.api("GET", "/slack/install");
  expect(res.status).toBe(302);
  const url = new URL(res.headers.get("location")!);
  return { url, state: url.searchParams.get("state")! };
}

describe("Slack install (OAuth)", () => {
  test("/slack/install needs a dashboard session or admin key, then redirects with a one-time state", async () => {
    expect((await h.api("GET", "/slack/install", undefined, null)).status).toBe(401);
    const { url, state } = await startInstall();
    expect(url.origin + url.pathname).toBe("https://slack.com/oauth/v2/authorize");
    expect(url.searchParams.get("client_id")).toBe("cid-123");
    expect(url.searchParams.get("redirect_uri")).toBe("http://lap.test/slack/oauth_redirect");
    expect(url.searchParams.get("scope")).toContain("app_mentions:read");
    expect(state).toMatch(/^slack_/);
  });

  test("the redirect refuses unknown or reused state and stores nothing", async () => {
    h.fake.addOauthCode("code-x", "xoxb-never", { teamId: "TX" });
    const bad = await h.api("GET", "/slack/oauth_redirect?code=code-x&state=slack_forged", undefined, null);
    expect(bad.status).toBe(401);
    expect((await h.database.query(`select * from slack_installations`)).length).toBe(0);
  });

  test("a completed install stores the bot token encrypted, and that workspace's events are answered with it", async () => {
    h.fake.addOauthCode("code-t2", "xoxb-team-two-secret", { teamId: "T2", teamName: "Beta" });
    const { state } = await startInstall();
    const done = await h.api("GET", `/slack/oauth_redirect?code=code-t2&state=${state}`, undefined, null);
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("/integrations/slack?installed=T2");
    const [row] = await h.database.query<Record<string, string>>(`select * from slack_installations`);
    expect(row!.team_id).toBe("T2");
    expect(row!.bot_token_sealed).not.toContain("xoxb-team-two-secret");
    expect(row!.bot_token_sealed).toMatch(/^v1\./);
    const status = await h.api("GET", "/api/slack/status");
    expect(status.body.mode).toBe("oauth");
    expect(status.body.installations).toEqual([expect.objectContaining({ team_id: "T2", team_name: "Beta", bot_user_id: "UBOTT2" })]);
    expect(JSON.stringify(status.body)).not.toContain("xoxb-");
    // The state is spent.
    expect((await h.api("GET", `/slack/oauth_redirect?code=code-t2&state=${state}`, undefined, null)).status).toBe(401);

    const ts = nextTs();
    expect((await h.event({ type: "app_mention", user: "U1", text: "<@UBOTT2> hi", ts, channel: "C9" }, { teamId: "T2" })).status).toBe(
      200,
    );
    await h.idle();
    expect(h.fake.thread("C9", ts).map((m) => m.text)).toEqual(["You said: hi"]);
  });

  test("events from a workspace that never installed are acknowledged and dropped", async () => {
    const ts = nextTs();
    const res = await h.event({ type: "app_mention", user: "U1", text: "<@UBOTT3> hi", ts, channel: "C3" }, { teamId: "T3" });
    expect(res.status).toBe(200);
    await h.idle();
    expect(h.fake.thread("C3", ts).length).toBe(0);
    expect((await h.rows()).some((r) => r.message_ts === ts)).toBe(false);
  });

  test("a user who cancels on Slack's screen is sent back with the reason", async () => {
    const { state } = await startInstall();
    const res = await h.api("GET", `/slack/oauth_redirect?error=access_denied&state=${state}`, undefined, null);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/integrations/slack?install_error=access_denied");
  });

  test("removing an installation deletes its token", async () => {
    expect((await h.api("DELETE", "/api/slack/installations/T2")).status).toBe(200);
    expect((await h.database.query(`select * from slack_installations`)).length).toBe(0);
    expect((await h.api("DELETE", "/api/slack/installations/T2")).status).toBe(404);
  });
});

describe("Slack admin API", () => {
  test("manifest uses BASE_URL for every request URL", async () => {
    const res = await h.api("GET", "/api/slack/manifest");
    expect(res.status).toBe(200);
    const m = res.body;
    expect(m.settings.event_subscriptions.request_url).toBe("http://lap.test/slack/events");
    expect(m.settings.interactivity.request_url).toBe("http://lap.test/slack/interactivity");
    expect(m.features.slash_commands[0]).toEqual(expect.objectContaining({ command: "/lap", url: "http://lap.test/slack/commands" }));
    expect(m.oauth_config.redirect_urls).toEqual(["http://lap.test/slack/oauth_redirect"]);
    expect(m.settings.event_subscriptions.bot_events).toEqual(expect.arrayContaining(["app_mention", "message.im"]));
    expect(m.oauth_config.scopes.bot).toEqual(expect.arrayContaining(["chat:write", "reactions:write", "commands"]));
  });

  test("bindings: bad input is a 400 naming the field and changes nothing", async () => {
    const before = (await h.api("GET", "/api/slack/bindings")).body.data;
    const badChannel = await h.api("PUT", "/api/slack/bindings", { channel_id: "not a channel", agent_id: "helper" });
    expect(badChannel.status).toBe(400);
    expect(badChannel.body.error.fields.map((f: any) => f.field)).toContain("channel_id");
    const noAgent = await h.api("PUT", "/api/slack/bindings", { channel_id: "C5" });
    expect(noAgent.status).toBe(400);
    expect(noAgent.body.error.fields.map((f: any) => f.field)).toContain("agent_id");
    const unknownAgent = await h.api("PUT", "/api/slack/bindings", { channel_id: "C5", agent_id: "ghost" });
    expect(unknownAgent.status).toBe(400);
    expect(unknownAgent.body.error.fields[0].field).toBe("agent_id");
    expect((await h.api("GET", "/api/slack/bindings")).body.data).toEqual(before);
  });

  test("bindings: the most specific one wins, by agent name or id", async () => {
    const put = await h.api("PUT", "/api/slack/bindings", { team_id: "T1", channel_id: "C5", agent_id: "coder" });
    expect(put.status).toBe(200);
    expect(put.body.agent_id).toBe("agent-coder");
    expect(await h.slack.store.resolveAgent("T1", "C5")).toBe("agent-coder");
    expect(await h.slack.store.resolveAgent("T1", "C6")).toBe("agent-helper");
    expect((await h.api("DELETE", `/api/slack/bindings/${put.body.id}`)).status).toBe(200);
    expect((await h.api("DELETE", `/api/slack/bindings/${put.body.id}`)).status).toBe(404);
    expect(await h.slack.store.resolveAgent("T1", "C5")).toBe("agent-helper");
  });

  test("recent events list each message with its outcome", async () => {
    const res = await h.api("GET", "/api/slack/events?limit=10");
    expect(res.status).toBe(200);
    expect(res.body.data[0]).toEqual(expect.objectContaining({ team_id: "T2", channel_id: "C9", kind: "mention", status: "answered" }));
    expect((await h.api("GET", "/api/slack/events?limit=0")).status).toBe(400);
  });

  test("inbox rows older than the retention are pruned; unfinished ones are kept", async () => {
    for (const ts of [nextTs(), nextTs()]) {
      const claim = await h.slack.store.claim({
        eventId: `EvOld${ts}`,
        teamId: "T9",
        channelId: "C9",
        messageTs: ts,
        threadTs: ts,
        userId: "U9",
        kind: "mention",
        text: "old",
      });
      if (claim.claimed) await h.slack.store.updateEvent(claim.row.id, { status: "answered" });
    }
    await h.slack.store.claim({
      eventId: "EvFresh",
      teamId: "T9",
      channelId: "C9",
      messageTs: nextTs(),
      threadTs: "1.0",
      userId: "U9",
      kind: "mention",
      text: "new",
    });
    await h.database.query(`update slack_events set created_at = now() - interval '40 days' where event_id <> 'EvFresh'`);
    await h.database.query(
      `update slack_events set status = 'pending' where id = (select id from slack_events where event_id <> 'EvFresh' limit 1)`,
    );
    const before = (await h.rows()).length;
    expect(before).toBeGreaterThan(1);
    expect(await h.slack.store.pruneEvents(30)).toBe(before - 2);
    expect((await h.rows()).length).toBe(2);
    expect((await h.rows()).every((r) => r.event_id === "EvFresh" || r.status === "pending")).toBe(true);
    await h.database.query(`delete from slack_events`);
  });

  test("admin routes need credentials", async () => {
    for (const path of [
      "/api/slack/status",
      "/api/slack/manifest",
      "/api/slack/bindings",
      "/api/slack/events",
      "/api/slack/dm-allowlist",
    ]) {
      expect((await h.api("GET", path, undefined, null)).status).toBe(401);
    }
  });
});

describe("Slack not configured", () => {
  test("webhooks answer a JSON 404 that says what to set", async () => {
    const off = await slackHarness({
      env: { SLACK_SIGNING_SECRET: "", SLACK_BOT_TOKEN: "", SLACK_CLIENT_ID: "", SLACK_CLIENT_SECRET: "" },
    });
    try {
      const res = await off.event({ type: "app_mention", user: "U1", text: "hi", ts: nextTs(), channel: "C1" });
      expect(res.status).toBe(404);
      expect((await res.json()).error.message).toContain("SLACK_SIGNING_SECRET");
      expect((await off.api("GET", "/api/slack/status")).body.mode).toBe("disabled");
    } finally {
      await off.close();
    }
  }, 60_000);
});
