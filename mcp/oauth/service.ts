import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { eq, lt } from "drizzle-orm";
import { randomBytes } from "node:crypto";
import { mcpOauthFlows, type McpServerRow } from "../../schema";
import type { Database } from "../../server/db/client";
import type { SecretBox } from "../../server/lib/crypto";
import { ApiError, badRequest } from "../../server/lib/errors";
import type { Logger } from "../../server/lib/logger";
import { seal, substitute, unseal, type UserSecrets } from "../registry/secrets";
import type { ServerConfig } from "../registry/service";
import type { McpGateway } from "../service";
import { LapOAuthProvider } from "./provider";
import { DestinationGuard } from "../../server/net/destinations";
import { originBoundFetch } from "../../server/net/pinned-fetch";

const FLOW_TTL_MS = 10 * 60_000;
/** Refresh a little before expiry so a call never starts with a token about to lapse. */
const REFRESH_MARGIN_MS = 60_000;

/**
 * OAuth 2.1 authorization code + PKCE for MCP servers, per user, as the MCP authorization spec
 * describes (protected resource metadata, AS metadata, dynamic client registration), all done by the
 * SDK's `auth()`. Flows live in the database so any replica can finish one; tokens are sealed in the
 * user's credentials and refreshed when they near expiry.
 */
export class McpOAuth {
  private refreshing = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly deps: {
      database: Database;
      box: SecretBox;
      gateway: McpGateway;
      baseUrl: () => string;
      logger?: Logger;
      destinations?: DestinationGuard;
    },
  ) {}

  get redirectUri() {
    return `${this.deps.baseUrl()}/api/mcp/oauth/callback`;
  }

  /** Starts a flow for this user: discovery, client registration when needed, the authorization URL. */
  async start(row: McpServerRow, userId: string): Promise<{ authorization_url: string; redirect_uri: string }> {
    if (row.authType !== "oauth") throw badRequest(`MCP server ${row.name} does not use OAuth (auth type ${row.authType})`);
    const state = randomBytes(24).toString("base64url");
    const current = (await this.deps.gateway.userSecrets(row.id, userId))?.secrets.oauth ?? {};
    // A new authorization replaces old tokens but keeps the registered client.
    const provider = this.provider(row, { client: current.client }, state);
    let result: string;
    try {
      result = await auth(provider, {
        serverUrl: this.serverUrl(row),
        scope: this.scopes(row).join(" ") || undefined,
        fetchFn: this.fetchFor(row),
      });
    } catch (err) {
      throw new ApiError(502, "oauth_failed", `Could not start OAuth with ${row.name}: ${(err as Error).message}`);
    }
    if (result !== "REDIRECT" || !provider.authorizationUrl || !provider.verifier) {
      throw new ApiError(502, "oauth_failed", `The authorization server of ${row.name} did not ask for user consent`);
    }
    if (provider.changed) await this.deps.gateway.saveUserSecrets(row.id, userId, { oauth: provider.stored });
    await this.deps.database.db.delete(mcpOauthFlows).where(lt(mcpOauthFlows.createdAt, new Date(Date.now() - FLOW_TTL_MS)));
    await this.deps.database.db
      .insert(mcpOauthFlows)
      .values({ state, serverId: row.id, userId, sealed: seal(this.deps.box, { verifier: provider.verifier }) });
    return { authorization_url: provider.authorizationUrl.toString(), redirect_uri: this.redirectUri };
  }

  /** The browser came back: the state must be one we issued (single use, 10 minutes), then exchange the code. */
  async finish(state: string, code: string): Promise<McpServerRow> {
    const [flow] = await this.deps.database.db.delete(mcpOauthFlows).where(eq(mcpOauthFlows.state, state)).returning();
    if (!flow || flow.createdAt.getTime() < Date.now() - FLOW_TTL_MS)
      throw badRequest("Unknown or expired OAuth state: start the connection again");
    const row = await this.deps.gateway.registry.get(flow.serverId);
    const { verifier } = unseal<{ verifier: string }>(this.deps.box, flow.sealed);
    const current = (await this.deps.gateway.userSecrets(row.id, flow.userId))?.secrets.oauth ?? {};
    const provider = this.provider(row, { client: current.client }, state, verifier);
    try {
      await auth(provider, { serverUrl: this.serverUrl(row), authorizationCode: code, fetchFn: this.fetchFor(row) });
    } catch (err) {
      throw new ApiError(502, "oauth_failed", `Token exchange with ${row.name} failed: ${(err as Error).message}`);
    }
    await this.deps.gateway.saveUserSecrets(row.id, flow.userId, { oauth: provider.stored });
    return row;
  }

  /** The user's access token, refreshed first when it is (nearly) expired; undefined when not connected. */
  async token(row: McpServerRow, userId: string, secrets: UserSecrets): Promise<string | undefined> {
    const o = secrets.oauth;
    if (!o?.tokens?.access_token) return undefined;
    if (!o.expiresAt || o.expiresAt - REFRESH_MARGIN_MS > Date.now()) return o.tokens.access_token;
    if (!o.tokens.refresh_token) return undefined;
    const key = `${row.id}|${userId}`;
    let pending = this.refreshing.get(key);
    if (!pending) {
      pending = this.refresh(row, userId, o).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, pending);
    }
    return pending;
  }

  private async refresh(row: McpServerRow, userId: string, stored: NonNullable<UserSecrets["oauth"]>): Promise<string | undefined> {
    const provider = this.provider(row, structuredClone(stored));
    try {
      const result = await auth(provider, { serverUrl: this.serverUrl(row), fetchFn: this.fetchFor(row) });
      if (result !== "AUTHORIZED" || !provider.stored.tokens?.access_token) return undefined;
    } catch (err) {
      this.deps.logger?.warn({ server: row.name, err: (err as Error).message }, "MCP OAuth refresh failed");
      return undefined;
    }
    await this.deps.gateway.saveUserSecrets(row.id, userId, { oauth: provider.stored });
    return provider.stored.tokens.access_token;
  }

  private provider(row: McpServerRow, stored: NonNullable<UserSecrets["oauth"]>, state?: string, codeVerifier?: string) {
    const a = row.authConfig as { client_id?: string };
    const secret = this.deps.gateway.registry.secretsOf(row).clientSecret;
    return new LapOAuthProvider({
      redirectUrl: this.redirectUri,
      scopes: this.scopes(row),
      preRegistered: a.client_id ? { client_id: a.client_id, ...(secret ? { client_secret: secret } : {}) } : undefined,
      stored,
      state,
      codeVerifier,
    });
  }

  /**
   * The SDK's fetch for this server's OAuth: the server's own origin as registered (the admin named
   * it); metadata, authorization and token endpoints it advertises elsewhere are attacker-influenced,
   * so they must resolve to public addresses (or ones LAP_ALLOW_PRIVATE_HOSTS names), checked per hop.
   */
  private fetchFor(row: McpServerRow) {
    return originBoundFetch(this.deps.destinations ?? new DestinationGuard(), new URL(this.serverUrl(row)).origin);
  }

  private scopes(row: McpServerRow): string[] {
    return ((row.authConfig as { scopes?: string[] }).scopes ?? []) as string[];
  }

  private serverUrl(row: McpServerRow): string {
    const c = row.config as ServerConfig;
    const vars = this.deps.gateway.registry.secretsOf(row).variables ?? {};
    return substitute(c.url!, vars);
  }
}
