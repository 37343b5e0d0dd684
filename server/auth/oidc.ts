import { eq, lt } from "drizzle-orm";
import * as oidc from "openid-client";
import { oidcFlows } from "../../schema";
import type { Database } from "../db/client";
import { ApiError } from "../lib/errors";

export const OIDC_CALLBACK_PATH = "/api/auth/oidc/callback";
const FLOW_TTL_MS = 10 * 60 * 1000;

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: string;
  /** BASE_URL: the redirect URI is BASE_URL + OIDC_CALLBACK_PATH (registered at the issuer). */
  baseUrl: () => string;
}

export interface OidcClaims {
  issuer: string;
  subject: string;
  email?: string;
  emailVerified: boolean;
  name?: string;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/**
 * Dashboard sign-in with OpenID Connect through `openid-client` (discovery, authorization code with
 * PKCE S256, state and nonce, ID token validation). Each flow's state, nonce and verifier are stored
 * server-side for 10 minutes and used once, so any replica can finish it. The issuer is operator
 * config (OIDC_ISSUER_URL), so it is not put through the private-address check; plain http is accepted
 * only for a loopback issuer (a local test provider), https otherwise.
 */
export class OidcLogin {
  private config: Promise<oidc.Configuration> | undefined;

  constructor(private readonly deps: { database: Database; settings: OidcSettings; now?: () => number }) {
    const url = new URL(deps.settings.issuer);
    if (url.protocol !== "https:" && !LOOPBACK.has(url.hostname))
      throw new Error("OIDC_ISSUER_URL must be https (http only for a loopback issuer)");
  }

  private get redirectUri() {
    return `${this.deps.settings.baseUrl()}${OIDC_CALLBACK_PATH}`;
  }

  private discover(): Promise<oidc.Configuration> {
    const s = this.deps.settings;
    const url = new URL(s.issuer);
    this.config ??= oidc
      .discovery(
        url,
        s.clientId,
        s.clientSecret ? { client_secret: s.clientSecret } : undefined,
        s.clientSecret ? undefined : oidc.None(),
        {
          execute: url.protocol === "http:" ? [oidc.allowInsecureRequests] : [],
          timeout: 10,
        },
      )
      .catch((err) => {
        this.config = undefined;
        throw new ApiError(502, "oidc_unavailable", `The SSO provider could not be reached: ${(err as Error).message}`);
      });
    return this.config;
  }

  /** Where to send the browser to sign in; `returnTo` is a path on this LAP. */
  async start(returnTo: string): Promise<string> {
    const config = await this.discover();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const now = (this.deps.now ?? Date.now)();
    await this.deps.database.db.delete(oidcFlows).where(lt(oidcFlows.expiresAt, new Date(now)));
    await this.deps.database.db
      .insert(oidcFlows)
      .values({ state, nonce, codeVerifier, returnTo: safeReturnTo(returnTo), expiresAt: new Date(now + FLOW_TTL_MS) });
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.deps.settings.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
    }).href;
  }

  /**
   * Finishes a sign-in from the callback URL: the state must be one LAP issued (consumed here, once),
   * the code is exchanged with the PKCE verifier, and the ID token's signature, issuer, audience and
   * nonce are checked by openid-client. Throws ApiError 400 for anything else.
   */
  async finish(callbackUrl: URL): Promise<{ claims: OidcClaims; returnTo: string }> {
    const state = callbackUrl.searchParams.get("state");
    if (!state) throw new ApiError(400, "oidc_failed", "The sign-in came back without a state");
    const [flow] = await this.deps.database.db.delete(oidcFlows).where(eq(oidcFlows.state, state)).returning();
    if (!flow || flow.expiresAt.getTime() <= (this.deps.now ?? Date.now)())
      throw new ApiError(400, "oidc_failed", "This sign-in expired or was already used; start again");
    const config = await this.discover();
    // The URL the provider redirected to, as the provider saw it (BASE_URL, not a proxy's internal address).
    const current = new URL(`${this.redirectUri}${callbackUrl.search}`);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new ApiError(400, "oidc_failed", `The SSO provider's answer was refused: ${(err as Error).message}`);
    }
    const c = tokens.claims();
    if (!c) throw new ApiError(400, "oidc_failed", "The SSO provider sent no ID token");
    // Providers may keep scope claims (email) out of the ID token and serve them at userinfo
    // (OIDC Core 5.4); openid-client checks that answer is about the same subject.
    let profile: Record<string, unknown> = c;
    if (typeof c.email !== "string" && config.serverMetadata().userinfo_endpoint) {
      try {
        profile = { ...(await oidc.fetchUserInfo(config, tokens.access_token, c.sub)), ...c };
      } catch (err) {
        throw new ApiError(400, "oidc_failed", `The SSO provider's userinfo was refused: ${(err as Error).message}`);
      }
    }
    return {
      claims: {
        issuer: c.iss,
        subject: c.sub,
        email: typeof profile.email === "string" ? profile.email : undefined,
        emailVerified: profile.email_verified === true,
        name: typeof profile.name === "string" ? profile.name : undefined,
      },
      returnTo: flow.returnTo,
    };
  }
}

/** Only a path on this LAP ("/sessions"), never another origin ("//evil", "https://…"). */
export function safeReturnTo(v: string | undefined): string {
  return v && /^\/(?![/\\])[\x21-\x7e]*$/.test(v) ? v.slice(0, 500) : "/";
}
