import { and, eq } from "drizzle-orm";
import { mcpUserCredentials, type McpServerRow } from "../schema";
import type { Principal } from "../server/auth/model";
import type { AuthService } from "../server/auth/service";
import { audited, NO_AUDIT, type AuditPort } from "../server/audit/record";
import type { Database } from "../server/db/client";
import { sha256Hex, type SecretBox } from "../server/lib/crypto";
import type { Logger } from "../server/lib/logger";
import type { DestinationGuard } from "../server/net/destinations";
import type { McpMetricsSink } from "../server/metrics/recorders";
import type { Tracer } from "@opentelemetry/api";
import { ToolCallLog } from "./calls/log";
import { McpPolicy, type McpCaller, type ToolGrant } from "./policy/service";
import { McpRegistry, type ServerConfig } from "./registry/service";
import { checkUserValues, seal, substitute, substituteArgs, substituteUrl, unseal, type UserSecrets } from "./registry/secrets";
import type { UpstreamConnection, UpstreamSpec } from "./upstream/connection";
import { UpstreamPool } from "./upstream/pool";
import type { StdioLauncher } from "./upstream/launcher";

export interface GatewayDeps {
  database: Database;
  box: SecretBox;
  auth: AuthService;
  launcher: StdioLauncher;
  logger?: Logger;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Checks destinations an upstream leads LAP to (redirects, OAuth metadata); default: public only. */
  destinations?: DestinationGuard;
  /** Hook for OAuth: returns a fresh access token for a user (refreshing it when needed). */
  oauthToken?: (server: McpServerRow, userId: string, secrets: UserSecrets) => Promise<string | undefined>;
  /** Tool calls by server, tool and outcome, with latency (server/metrics). */
  metrics?: McpMetricsSink;
  /** Spans of tool calls (server/tracing). */
  tracer?: Tracer;
  /** The audit trail (server/audit): registry, grants and a user's own credentials. */
  audit?: AuditPort;
}

const CACHE_TTL_MS = 2_000;

/** A server the caller may use, with the tools granted on it. */
export interface VisibleServer {
  row: McpServerRow;
  grant: ToolGrant;
}

/**
 * The gateway's core: which servers a caller sees, and the pooled upstream connection for a caller.
 * Server rows, key metadata and user credentials are cached for a couple of seconds because they are
 * consulted on every proxied request; registry changes made here invalidate at once.
 */
export class McpGateway {
  readonly registry: McpRegistry;
  readonly policy: McpPolicy;
  readonly pool: UpstreamPool;
  readonly calls: ToolCallLog;
  private rows: { at: number; rows: Promise<McpServerRow[]> } | undefined;
  private metadata = new Map<
    string,
    { at: number; value: Promise<{ metadata: Record<string, unknown>; agentTeam: string | null | undefined }> }
  >();
  private specs = new Map<string, UpstreamSpec>();
  private userSecretsCache = new Map<string, { at: number; value: Promise<{ secrets: UserSecrets; version: string } | null> }>();

  constructor(readonly deps: GatewayDeps) {
    this.pool = new UpstreamPool(deps.launcher, { destinations: deps.destinations });
    this.registry = new McpRegistry({
      database: deps.database,
      box: deps.box,
      onChange: (id, removed) => this.changed(id, removed),
      audit: deps.audit,
      destinations: deps.destinations,
    });
    this.policy = new McpPolicy({ database: deps.database, audit: deps.audit });
    this.calls = new ToolCallLog({ database: deps.database, logger: deps.logger, metrics: deps.metrics, tracer: deps.tracer });
  }

  async callerOf(principal: Principal): Promise<McpCaller> {
    if (!principal.keyId) return McpPolicy.callerOf(principal);
    const now = Date.now();
    let hit = this.metadata.get(principal.keyId);
    if (!hit || now - hit.at > CACHE_TTL_MS) {
      hit = { at: now, value: this.keyContext(principal.keyId) };
      this.metadata.set(principal.keyId, hit);
    }
    const { metadata, agentTeam } = await hit.value;
    return McpPolicy.callerOf(principal, metadata, agentTeam);
  }

  /** A key's metadata and, for a key of an agent (session keys), the agent's team (null: the agent is gone). */
  private async keyContext(keyId: string) {
    const metadata = (await this.deps.auth.activeKeyById(keyId))?.metadata ?? {};
    if (typeof metadata.agent_id !== "string") return { metadata, agentTeam: undefined };
    const [a] = await this.deps.database.query<{ team_id: string }>("select team_id from agents where id = $1", [metadata.agent_id]);
    return { metadata, agentTeam: a?.team_id ?? null };
  }

  async servers(): Promise<McpServerRow[]> {
    const now = Date.now();
    if (!this.rows || now - this.rows.at > CACHE_TTL_MS) {
      const rows = this.registry.list();
      this.rows = { at: now, rows };
      rows.catch(() => (this.rows = undefined));
    }
    return this.rows.rows;
  }

  /**
   * Servers the caller may use, one per name; `only` limits it to one server by name (`/mcp/:server`).
   * Names repeat across teams: the agent's team's server wins, then the caller's teams', then the
   * org-wide one, then (admins) another team's (docs/security.md "Users, teams and roles").
   */
  async visible(caller: McpCaller, only?: string): Promise<VisibleServer[]> {
    const rank = (r: McpServerRow) =>
      r.teamId !== null && r.teamId === caller.agentTeam
        ? 0
        : r.teamId !== null && caller.teams?.includes(r.teamId)
          ? 1
          : r.teamId === null
            ? 2
            : 3;
    const byName = new Map<string, VisibleServer>();
    for (const v of await this.visibleAll(caller, only)) {
      const seen = byName.get(v.row.name);
      if (!seen || rank(v.row) < rank(seen.row)) byName.set(v.row.name, v);
    }
    return [...byName.values()].sort((a, b) => (a.row.name < b.row.name ? -1 : a.row.name > b.row.name ? 1 : 0));
  }

  /** Every server the caller may use, names repeating when teams chose the same one. */
  async visibleAll(caller: McpCaller, only?: string): Promise<VisibleServer[]> {
    const rows = (await this.servers()).filter((r) => !only || r.name === only);
    const out: VisibleServer[] = [];
    for (const row of rows) {
      const grant = await this.policy.toolsFor(caller, row);
      if (grant) out.push({ row, grant });
    }
    return out;
  }

  /** The pooled upstream connection for this caller (per user when the server's credentials are). */
  async upstream(row: McpServerRow, caller: McpCaller): Promise<UpstreamConnection> {
    return this.pool.get(await this.specFor(row, caller));
  }

  userIdOf(caller: McpCaller): string {
    return caller.userId ?? (caller.keyId ? `key:${caller.keyId}` : "master");
  }

  /**
   * The resolved upstream for a caller. Cached per server version and user-credential version, so the
   * hot path does not decrypt secrets on every call (OAuth specs are not cached: tokens expire).
   */
  async specFor(row: McpServerRow, caller: McpCaller): Promise<UpstreamSpec> {
    const userId = this.userIdOf(caller);
    const user = await this.userSecrets(row.id, userId);
    const cacheKey = `${row.id}|${row.updatedAt.getTime()}|${userId}|${user?.version ?? ""}`;
    const hit = row.authType === "oauth" ? undefined : this.specs.get(cacheKey);
    if (hit) return hit;
    const built = await this.buildSpec(row, userId, user);
    // The connection is replaced only when what it connects with changes (not on tool toggles).
    const spec = { ...built, fingerprint: sha256Hex(JSON.stringify(built)) } as UpstreamSpec;
    if (row.authType !== "oauth") {
      if (this.specs.size > 5_000) this.specs.clear();
      this.specs.set(cacheKey, spec);
    }
    return spec;
  }

  private async buildSpec(
    row: McpServerRow,
    userId: string,
    user: { secrets: UserSecrets; version: string } | null,
  ): Promise<UpstreamSpec> {
    const secrets = this.registry.secretsOf(row);
    const c = row.config as ServerConfig;
    const perUserNeeded = row.authType === "oauth" || row.variables.some((v) => v.scope === "user");
    const perUser = perUserNeeded || Boolean(user?.secrets.credential);
    const vars: Record<string, string> = { ...secrets.variables };
    for (const v of row.variables)
      if (v.scope === "user" && user?.secrets.variables?.[v.name] !== undefined) vars[v.name] = user.secrets.variables[v.name]!;
    const userNames = new Set(row.variables.filter((v) => v.scope === "user").map((v) => v.name));
    // Also values stored before the credentials route refused them (docs/mcp.md, "Variables in stdio servers").
    checkUserValues(vars, userNames);
    const base = {
      key: perUser ? `${row.id}|${userId}` : row.id,
      fingerprint: "",
      serverId: row.id,
      serverName: row.name,
      timeoutMs: row.timeoutMs ?? this.deps.timeoutMs,
      connectTimeoutMs: this.deps.connectTimeoutMs,
    };
    if (row.transport === "stdio") {
      const env = Object.fromEntries(Object.entries(secrets.env ?? {}).map(([k, v]) => [k, substitute(v, vars)]));
      return {
        ...base,
        transport: "stdio",
        stdio: {
          name: row.name,
          command: c.command!,
          args: substituteArgs(c.args ?? [], vars, userNames),
          env,
          bindPaths: c.bindPaths ?? [],
          network: c.network ?? false,
        },
      };
    }
    const headers: Record<string, string> = {};
    const credential = user?.secrets.credential;
    const auth = row.authConfig as { header?: string };
    if (row.authType === "bearer") headers.authorization = `Bearer ${credential ?? secrets.token}`;
    if (row.authType === "api_key") headers[auth.header ?? "x-api-key"] = credential ?? secrets.key ?? "";
    if (row.authType === "basic") {
      headers.authorization = `Basic ${Buffer.from(credential ?? `${secrets.username}:${secrets.password}`).toString("base64")}`;
    }
    if (row.authType === "oauth") {
      const token = user && this.deps.oauthToken ? await this.deps.oauthToken(row, userId, user.secrets) : undefined;
      if (!token) throw new NotConnectedError(row.name);
      headers.authorization = `Bearer ${token}`;
    }
    // Static headers win over computed auth, as configured by the admin.
    for (const [k, v] of Object.entries(secrets.headers ?? {})) headers[k.toLowerCase()] = substitute(v, vars);
    return { ...base, transport: row.transport, url: substituteUrl(c.url!, vars, userNames), headers };
  }

  async userSecrets(serverId: string, userId: string): Promise<{ secrets: UserSecrets; version: string } | null> {
    const key = `${serverId}|${userId}`;
    const now = Date.now();
    let hit = this.userSecretsCache.get(key);
    if (!hit || now - hit.at > CACHE_TTL_MS) {
      const value = this.deps.database.db
        .select()
        .from(mcpUserCredentials)
        .where(and(eq(mcpUserCredentials.serverId, serverId), eq(mcpUserCredentials.userId, userId)))
        .then(([r]) => (r ? { secrets: unseal<UserSecrets>(this.deps.box, r.sealed), version: String(r.updatedAt.getTime()) } : null));
      hit = { at: now, value };
      this.userSecretsCache.set(key, hit);
    }
    return hit.value;
  }

  /** Stores (merging) a user's own credentials for a server. */
  async saveUserSecrets(serverId: string, userId: string, change: Partial<UserSecrets>, actor?: Principal): Promise<void> {
    const current = (await this.userSecrets(serverId, userId))?.secrets ?? {};
    const next: UserSecrets = { ...current, ...change, variables: { ...current.variables, ...change.variables } };
    const sealed = seal(this.deps.box, next);
    await audited(
      this.deps.database.db,
      this.deps.audit ?? NO_AUDIT,
      (tx) =>
        tx
          .insert(mcpUserCredentials)
          .values({ serverId, userId, sealed, updatedAt: new Date() })
          .onConflictDoUpdate({ target: [mcpUserCredentials.serverId, mcpUserCredentials.userId], set: { sealed, updatedAt: new Date() } }),
      // Which variables were set, never their values (docs/security.md "Audit trail").
      () =>
        actor
          ? {
              actor,
              action: "mcp_credentials.set",
              objectType: "mcp_server",
              objectId: serverId,
              detail: { user_id: userId, credential: Boolean(change.credential), variables: Object.keys(change.variables ?? {}) },
            }
          : null,
    );
    this.userSecretsCache.delete(`${serverId}|${userId}`);
  }

  async deleteUserSecrets(serverId: string, userId: string, actor?: Principal): Promise<boolean> {
    const deleted = await audited(
      this.deps.database.db,
      this.deps.audit ?? NO_AUDIT,
      (tx) =>
        tx
          .delete(mcpUserCredentials)
          .where(and(eq(mcpUserCredentials.serverId, serverId), eq(mcpUserCredentials.userId, userId)))
          .returning({ serverId: mcpUserCredentials.serverId }),
      (gone) =>
        actor && gone.length
          ? { actor, action: "mcp_credentials.delete", objectType: "mcp_server", objectId: serverId, detail: { user_id: userId } }
          : null,
    );
    this.userSecretsCache.delete(`${serverId}|${userId}`);
    return deleted.length > 0;
  }

  /** Forget cached registry rows and grants (a row changed outside this service, such as its team). */
  invalidate() {
    this.rows = undefined;
    this.policy.invalidate();
  }

  async close() {
    await this.calls.flush();
    await this.pool.closeAll();
  }

  private changed(serverId: string, removed: boolean) {
    this.rows = undefined;
    this.policy.invalidate();
    // A removed server's connections close now; an edited one's are replaced on next use if their
    // settings changed. Either way open sessions are told to list tools again.
    if (removed) this.pool.invalidate(serverId);
    else this.pool.notifyChanged(serverId);
  }
}

/** OAuth server the user has not connected yet. */
export class NotConnectedError extends Error {
  constructor(readonly serverName: string) {
    super(`MCP server ${serverName} needs you to connect your account first (POST /api/mcp/servers/:id/oauth/start)`);
  }
}
