/**
 * Installing LAP's Linear app in a workspace (docs/linear.md "Install"). The install route is
 * admin-only: it mints a one-time state in Postgres (10 minutes), which the public callback must
 * consume before the code is exchanged. The token is sealed at rest (store.ts) and never shown.
 */
import { randomToken } from "../lib/crypto";
import { LINEAR_SCOPES, LinearApiError, type LinearApi } from "./client";
import type { LinearSettings } from "./settings";
import type { LinearStore } from "./store";

export const OAUTH_STATE_TTL_MS = 10 * 60_000;
export const CALLBACK_PATH = "/api/integrations/oauth/linear/callback";
export const WEBHOOK_PATH = "/api/integrations/webhooks/linear";

export const redirectUri = (baseUrl: string) => `${baseUrl}${CALLBACK_PATH}`;

export interface LinearOAuthDeps {
  store: LinearStore;
  api: LinearApi;
  settings: LinearSettings;
  /** LAP's public URL, read per request. */
  baseUrl: () => string;
}

export async function installUrl(deps: LinearOAuthDeps, createdBy: string): Promise<string> {
  const state = randomToken("lin_", 24);
  await deps.store.createOauthState(state, createdBy, OAUTH_STATE_TTL_MS);
  const url = new URL(deps.settings.authorizeUrl);
  url.searchParams.set("client_id", deps.settings.clientId);
  url.searchParams.set("redirect_uri", redirectUri(deps.baseUrl()));
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", LINEAR_SCOPES.join(","));
  url.searchParams.set("state", state);
  // The app acts as itself (an agent users can mention and delegate to), not as the installing person.
  url.searchParams.set("actor", "app");
  return url.toString();
}

export type LinearInstallResult =
  | { ok: true; organizationId: string; organizationName: string }
  | { ok: false; status: 400 | 401 | 502; reason: string };

export async function completeInstall(
  deps: LinearOAuthDeps,
  query: { code?: string; state?: string; error?: string },
): Promise<LinearInstallResult> {
  const state = query.state ? await deps.store.consumeOauthState(query.state) : null;
  if (!state) return { ok: false, status: 401, reason: "invalid or expired state" };
  if (query.error) return { ok: false, status: 400, reason: query.error.slice(0, 100) };
  if (!query.code) return { ok: false, status: 400, reason: "missing code" };
  try {
    const tokens = await deps.api.exchangeCode(query.code, redirectUri(deps.baseUrl()));
    const who = await deps.api.whoAmI(tokens.accessToken);
    await deps.store.saveInstallation({ ...who, tokens, installedBy: state.createdBy });
    return { ok: true, organizationId: who.organizationId, organizationName: who.organizationName };
  } catch (err) {
    return {
      ok: false,
      status: 502,
      reason: err instanceof LinearApiError ? err.message : `could not reach Linear: ${(err as Error).message}`,
    };
  }
}
