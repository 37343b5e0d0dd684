import { randomToken } from "../server/lib/crypto";
import { BOT_SCOPES } from "./manifest";
import type { SlackStore } from "./store";
import type { SlackClients } from "./web";
import { slackErrorCode } from "./web";

export const OAUTH_STATE_TTL_MS = 10 * 60_000;

export interface OAuthDeps {
  store: SlackStore;
  clients: SlackClients;
  /** LAP's public URL, read per request. */
  baseUrl: () => string;
  authorizeUrl: string;
  clientId?: string;
  clientSecret?: string;
}

export const redirectUri = (baseUrl: string) => `${baseUrl}/slack/oauth_redirect`;

/**
 * Multi-workspace install. /slack/install is behind the auth guard (a dashboard session cookie or
 * key): it mints a one-time state in Postgres, which /slack/oauth_redirect (public) must consume.
 */
export async function installUrl(deps: OAuthDeps, createdBy: string): Promise<string> {
  if (!deps.clientId || !deps.clientSecret) throw new Error("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are not set");
  const state = randomToken("slack_", 24);
  await deps.store.createOauthState(state, createdBy, OAUTH_STATE_TTL_MS);
  const url = new URL(deps.authorizeUrl);
  url.searchParams.set("client_id", deps.clientId);
  url.searchParams.set("scope", BOT_SCOPES.join(","));
  url.searchParams.set("redirect_uri", redirectUri(deps.baseUrl()));
  url.searchParams.set("state", state);
  return url.toString();
}

export type OAuthResult = { ok: true; teamId: string; teamName: string } | { ok: false; status: 400 | 401 | 502; reason: string };

export async function completeInstall(deps: OAuthDeps, query: { code?: string; state?: string; error?: string }): Promise<OAuthResult> {
  if (!query.state || !(await deps.store.consumeOauthState(query.state)))
    return { ok: false, status: 401, reason: "invalid or expired state" };
  if (query.error) return { ok: false, status: 400, reason: query.error };
  if (!query.code) return { ok: false, status: 400, reason: "missing code" };
  try {
    const res = await (await deps.clients.anonymous()).oauth.v2.access({
      client_id: deps.clientId!,
      client_secret: deps.clientSecret!,
      code: query.code,
      redirect_uri: redirectUri(deps.baseUrl()),
    });
    if (!res.access_token || !res.team?.id || !res.bot_user_id) return { ok: false, status: 502, reason: "Slack returned no bot token" };
    await deps.store.saveInstallation({
      teamId: res.team.id,
      teamName: res.team.name ?? "",
      appId: res.app_id ?? null,
      botUserId: res.bot_user_id,
      botToken: res.access_token,
      scopes: res.scope ?? "",
      installedBy: res.authed_user?.id,
    });
    return { ok: true, teamId: res.team.id, teamName: res.team.name ?? "" };
  } catch (err) {
    return { ok: false, status: 502, reason: slackErrorCode(err) };
  }
}
