import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { UserSecrets } from "../registry/secrets";

type OAuthState = NonNullable<UserSecrets["oauth"]>;

export interface ProviderOptions {
  redirectUrl: string;
  scopes: string[];
  /** A client the admin registered with the vendor; without it LAP registers itself (RFC 7591). */
  preRegistered?: { client_id: string; client_secret?: string };
  stored: OAuthState;
  state?: string;
  codeVerifier?: string;
}

/**
 * The SDK's `OAuthClientProvider` for one user and one server, over LAP's stored (sealed) state.
 * The SDK runs discovery, registration, PKCE and token exchange; this only keeps what it hands over.
 * Saves are collected in `stored`; the caller persists them once the SDK is done.
 */
export class LapOAuthProvider implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  verifier: string | undefined;
  changed = false;

  constructor(private readonly opts: ProviderOptions) {}

  get stored(): OAuthState {
    return this.opts.stored;
  }

  get redirectUrl() {
    return this.opts.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "LAP MCP gateway",
      redirect_uris: [this.opts.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      ...(this.opts.scopes.length ? { scope: this.opts.scopes.join(" ") } : {}),
    };
  }

  state() {
    return this.opts.state ?? "";
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return (this.opts.stored.client as OAuthClientInformationMixed | undefined) ?? this.opts.preRegistered;
  }

  saveClientInformation(info: OAuthClientInformationMixed) {
    this.opts.stored.client = info as unknown as Record<string, unknown>;
    this.changed = true;
  }

  tokens(): OAuthTokens | undefined {
    return this.opts.stored.tokens as OAuthTokens | undefined;
  }

  saveTokens(tokens: OAuthTokens) {
    this.opts.stored.tokens = tokens as OAuthState["tokens"];
    this.opts.stored.expiresAt = tokens.expires_in ? Date.now() + tokens.expires_in * 1000 : undefined;
    this.changed = true;
  }

  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }

  codeVerifier() {
    const v = this.opts.codeVerifier ?? this.verifier;
    if (!v) throw new Error("no PKCE code verifier for this authorization");
    return v;
  }
}
