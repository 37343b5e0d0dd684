/**
 * Linear's API as LAP uses it (docs/linear.md): the OAuth token endpoint and GraphQL, both under
 * LAP_LINEAR_API_URL, an origin the operator configured (fetched with fetchWithinOrigin,
 * docs/security.md). Errors carry Linear's message and status, never a token or a secret.
 */
import { fetchWithinOrigin } from "../net/origin-fetch";
import type { LinearSettings } from "./settings";

export const LINEAR_SCOPES = ["read", "write", "app:assignable", "app:mentionable"];
const TIMEOUT_MS = 15_000;

export class LinearApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
  scope: string;
}

/** Content of an agent activity (Linear's AgentActivityCreateInput.content). */
export type ActivityContent =
  | { type: "thought"; body: string }
  | { type: "action"; action: string; parameter: string; result?: string }
  | { type: "response"; body: string }
  | { type: "elicitation"; body: string }
  | { type: "error"; body: string };

export class LinearApi {
  constructor(private readonly settings: Pick<LinearSettings, "apiUrl" | "clientId" | "clientSecret">) {}

  exchangeCode(code: string, redirectUri: string): Promise<TokenSet> {
    return this.token({ grant_type: "authorization_code", code, redirect_uri: redirectUri });
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.token({ grant_type: "refresh_token", refresh_token: refreshToken });
  }

  private async token(fields: Record<string, string>): Promise<TokenSet> {
    const body = new URLSearchParams({ ...fields, client_id: this.settings.clientId, client_secret: this.settings.clientSecret });
    const res = await fetchWithinOrigin(`${this.settings.apiUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const json = (await res.json().catch(() => null)) as {
      access_token?: unknown;
      refresh_token?: unknown;
      expires_in?: unknown;
      scope?: unknown;
      error?: unknown;
    } | null;
    if (!res.ok || !json || typeof json.access_token !== "string") {
      throw new LinearApiError(
        `Linear's token endpoint answered ${res.status}${typeof json?.error === "string" ? ` (${json.error})` : ""}`,
        res.status,
      );
    }
    return {
      accessToken: json.access_token,
      refreshToken: typeof json.refresh_token === "string" ? json.refresh_token : null,
      expiresAt: typeof json.expires_in === "number" ? new Date(Date.now() + json.expires_in * 1000) : null,
      scope: Array.isArray(json.scope) ? json.scope.join(",") : typeof json.scope === "string" ? json.scope : "",
    };
  }

  async graphql<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetchWithinOrigin(`${this.settings.apiUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const json = (await res.json().catch(() => null)) as { data?: T; errors?: Array<{ message?: string }> } | null;
    if (!res.ok || !json || json.errors?.length || !json.data) {
      const message =
        json?.errors
          ?.map((e) => e.message)
          .filter(Boolean)
          .join("; ") || `HTTP ${res.status}`;
      throw new LinearApiError(`Linear GraphQL: ${message.slice(0, 300)}`, res.status);
    }
    return json.data;
  }

  /** The workspace a token belongs to and the app's user in it. */
  async whoAmI(token: string) {
    const data = await this.graphql<{ viewer: { id: string }; organization: { id: string; name: string; urlKey: string } }>(
      token,
      "query LapWhoAmI { viewer { id } organization { id name urlKey } }",
    );
    return {
      appUserId: data.viewer.id,
      organizationId: data.organization.id,
      organizationName: data.organization.name,
      urlKey: data.organization.urlKey,
    };
  }

  async createActivity(token: string, agentSessionId: string, content: ActivityContent, ephemeral = false): Promise<void> {
    const data = await this.graphql<{ agentActivityCreate: { success: boolean } }>(
      token,
      "mutation LapActivity($input: AgentActivityCreateInput!) { agentActivityCreate(input: $input) { success agentActivity { id } } }",
      { input: { agentSessionId, content, ...(ephemeral ? { ephemeral: true } : {}) } },
    );
    if (!data.agentActivityCreate?.success) throw new LinearApiError("Linear did not accept the agent activity");
  }
}
