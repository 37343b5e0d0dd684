/**
 * Stands for Linear's API at https://api.linear.app, which tests cannot reach: the OAuth token
 * endpoint (POST /oauth/token, form-encoded, grant_type authorization_code or refresh_token, client
 * credentials in the body) and GraphQL (POST /graphql, `Authorization: Bearer <token>`, answers
 * `{ data }` or `{ errors }`). It implements what LAP calls: `viewer` / `organization` and the
 * `agentActivityCreate` mutation, whose activities it keeps per agent session so tests read them
 * as a person would in Linear. `GET /oauth/authorize` plays Linear's consent page: it approves at
 * once for `approveAs` and redirects the browser to `redirect_uri` with a code and the state. It also signs webhooks as Linear does (`Linear-Signature`: hex
 * HMAC-SHA256 of the raw body; `webhookTimestamp` in the body, unix milliseconds).
 */
import { createHmac, randomUUID } from "node:crypto";

export interface FakeLinearWorkspace {
  organizationId: string;
  name: string;
  urlKey: string;
  appUserId: string;
}

export interface FakeActivity {
  agentSessionId: string;
  content: { type: string; body?: string; action?: string; parameter?: string; result?: string };
  ephemeral: boolean;
  token: string;
}

export class FakeLinear {
  private server?: ReturnType<typeof Bun.serve>;
  readonly clientId = "lin-client-id";
  readonly clientSecret = "lin-client-secret-0123456789";
  readonly webhookSecret = "lin_wh_secret_0123456789abcdef";
  /** Every request's path and, for GraphQL, its operation (bodies with tokens are not kept). */
  readonly calls: Array<{ path: string; operation?: string; status: number }> = [];
  readonly activities: FakeActivity[] = [];
  private readonly codes = new Map<string, FakeLinearWorkspace>();
  private readonly tokens = new Map<string, FakeLinearWorkspace>();
  private readonly refreshTokens = new Map<string, FakeLinearWorkspace>();
  /** The workspace the consent page (GET /oauth/authorize) approves for. */
  approveAs?: FakeLinearWorkspace;
  /** Seconds an access token lives (Linear's default is a day). */
  expiresIn = 86_400;

  start() {
    this.server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => this.handle(req) });
    return this;
  }

  get url() {
    return `http://127.0.0.1:${this.server!.port}`;
  }

  async stop() {
    await this.server?.stop(true);
  }

  /** What Linear's authorize page would hand back to the redirect URI after a person approves. */
  issueCode(workspace: FakeLinearWorkspace): string {
    const code = `code_${randomUUID()}`;
    this.codes.set(code, workspace);
    return code;
  }

  /** An access token for a workspace, as an install would have stored. */
  issueToken(workspace: FakeLinearWorkspace): string {
    const token = `lin_oauth_${randomUUID().replaceAll("-", "")}`;
    this.tokens.set(token, workspace);
    return token;
  }

  revokeAll() {
    this.tokens.clear();
  }

  activitiesOf(agentSessionId: string) {
    return this.activities.filter((a) => a.agentSessionId === agentSessionId);
  }

  /** A signed webhook request as Linear sends it. */
  webhook(
    base: string,
    body: Record<string, unknown>,
    o: { at?: number; secret?: string; signature?: string; delivery?: string } = {},
  ): Request {
    const raw = JSON.stringify({ ...body, webhookTimestamp: o.at ?? Date.now() });
    const signature =
      o.signature ??
      createHmac("sha256", o.secret ?? this.webhookSecret)
        .update(raw)
        .digest("hex");
    return new Request(`${base}/api/integrations/webhooks/linear`, {
      method: "POST",
      headers: {
        "content-type": "application/json; charset=utf-8",
        "linear-signature": signature,
        "linear-event": String(body.type ?? ""),
        "linear-delivery": o.delivery ?? randomUUID(),
        "user-agent": "Linear-Webhook",
      },
      body: raw,
    });
  }

  private record(path: string, status: number, operation?: string) {
    this.calls.push({ path, status, operation });
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    if (req.method === "GET" && path === "/oauth/authorize") return this.authorize(url);
    if (req.method === "POST" && path === "/oauth/token") return this.token(req);
    if (req.method === "POST" && path === "/graphql") return this.graphql(req);
    this.record(path, 404);
    return Response.json({ error: "not found" }, { status: 404 });
  }

  private authorize(url: URL): Response {
    const redirect = url.searchParams.get("redirect_uri");
    if (
      url.searchParams.get("client_id") !== this.clientId ||
      !redirect ||
      url.searchParams.get("response_type") !== "code" ||
      !this.approveAs
    ) {
      this.record("/oauth/authorize", 400);
      return new Response("Invalid authorization request", { status: 400 });
    }
    const back = new URL(redirect);
    back.searchParams.set("code", this.issueCode(this.approveAs));
    back.searchParams.set("state", url.searchParams.get("state") ?? "");
    this.record("/oauth/authorize", 302);
    return new Response(null, { status: 302, headers: { location: back.toString() } });
  }

  private async token(req: Request): Promise<Response> {
    const form = new URLSearchParams(await req.text());
    const fail = (error: string, status = 400) => {
      this.record("/oauth/token", status);
      return Response.json({ error }, { status });
    };
    if (form.get("client_id") !== this.clientId || form.get("client_secret") !== this.clientSecret) return fail("invalid_client", 401);
    let workspace: FakeLinearWorkspace | undefined;
    if (form.get("grant_type") === "authorization_code") {
      workspace = this.codes.get(form.get("code") ?? "");
      this.codes.delete(form.get("code") ?? "");
      if (!form.get("redirect_uri")) return fail("invalid_request");
    } else if (form.get("grant_type") === "refresh_token") {
      workspace = this.refreshTokens.get(form.get("refresh_token") ?? "");
    } else return fail("unsupported_grant_type");
    if (!workspace) return fail("invalid_grant");
    const access = this.issueToken(workspace);
    const refresh = `lin_refresh_${randomUUID().replaceAll("-", "")}`;
    this.refreshTokens.set(refresh, workspace);
    this.record("/oauth/token", 200);
    return Response.json({
      access_token: access,
      token_type: "Bearer",
      expires_in: this.expiresIn,
      scope: "read,write,app:assignable,app:mentionable",
      refresh_token: refresh,
    });
  }

  private async graphql(req: Request): Promise<Response> {
    const token = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    const workspace = this.tokens.get(token);
    const body = (await req.json().catch(() => null)) as { query?: string; variables?: Record<string, any> } | null;
    const operation = /(query|mutation)\s+(\w+)/.exec(body?.query ?? "")?.[2];
    if (!workspace) {
      this.record("/graphql", 400, operation);
      return Response.json(
        { errors: [{ message: "Authentication required, not authenticated", extensions: { code: "AUTHENTICATION_ERROR" } }] },
        { status: 400 },
      );
    }
    const q = body?.query ?? "";
    if (q.includes("agentActivityCreate")) {
      const input = body?.variables?.input ?? {};
      if (typeof input.agentSessionId !== "string" || !input.content?.type) {
        this.record("/graphql", 400, operation);
        return Response.json(
          { errors: [{ message: "Argument Validation Error", extensions: { code: "INVALID_INPUT" } }] },
          { status: 400 },
        );
      }
      this.activities.push({ agentSessionId: input.agentSessionId, content: input.content, ephemeral: input.ephemeral === true, token });
      this.record("/graphql", 200, operation);
      return Response.json({ data: { agentActivityCreate: { success: true, agentActivity: { id: randomUUID() } } } });
    }
    if (q.includes("viewer")) {
      this.record("/graphql", 200, operation);
      return Response.json({
        data: {
          viewer: { id: workspace.appUserId },
          organization: { id: workspace.organizationId, name: workspace.name, urlKey: workspace.urlKey },
        },
      });
    }
    this.record("/graphql", 400, operation);
    return Response.json({ errors: [{ message: "Unknown operation" }] }, { status: 400 });
  }
}
