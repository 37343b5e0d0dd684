import { and, asc, eq, isNull } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { mcpServers, type McpServerRow } from "../../schema";
import { audited, NO_AUDIT, type AuditPort } from "../../server/audit/record";
import type { Principal } from "../../server/auth/model";
import { isAdmin, teamForShared } from "../../server/auth/policy";
import type { DestinationGuard } from "../../server/net/destinations";
import { defaultPort } from "../../server/net/pinned-fetch";
import type { Database } from "../../server/db/client";
import type { SecretBox } from "../../server/lib/crypto";
import { badRequest, conflict, forbidden, notFound } from "../../server/lib/errors";
import { withConstraintConflicts } from "../../server/lib/pg-errors";
import type { CreateServer, ServerView, UpdateServer } from "../model";
import { createServerBody } from "../model";
import { seal, unseal, type ServerSecrets } from "./secrets";

interface StdioConfig {
  command?: string;
  args?: string[];
  envNames?: string[];
  bindPaths?: Array<{ path: string; writable: boolean }>;
  network?: boolean;
}
interface HttpConfig {
  url?: string;
  headerNames?: string[];
}
export type ServerConfig = StdioConfig & HttpConfig;

export interface RegistryDeps {
  database: Database;
  box: SecretBox;
  /** Called after a server changes so pooled upstream connections are rebuilt with the new settings. */
  onChange?: (serverId: string, removed: boolean) => void;
  /** The audit trail (server/audit). */
  audit?: AuditPort;
  /** A team admin's server URL must not name a non-public address (docs/security.md). */
  destinations?: DestinationGuard;
}

/** The registry of MCP servers: CRUD with secrets sealed at rest and never returned. */
export class McpRegistry {
  constructor(private readonly deps: RegistryDeps) {}

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  /** Org-wide (admins; no `team_id`) or a team's (its admins and owners: http servers only, see `assertTeamAdminMay`). */
  async create(input: CreateServer, actor?: Principal): Promise<ServerView> {
    const teamId = actor ? teamForShared(actor, input.team_id) : (input.team_id ?? null);
    if (actor) this.assertTeamAdminMay(actor, input);
    if (await this.byName(input.name, teamId))
      throw conflict(`An MCP server named ${input.name} already exists ${teamId ? `in team ${teamId}` : "org-wide"}`);
    const row = { ...this.toRow(input, {}), teamId };
    // The check above gives the common case a clear answer; the constraint settles a race.
    const [saved] = await withConstraintConflicts(
      () =>
        audited(
          this.deps.database.db,
          this.audit,
          (tx) =>
            tx
              .insert(mcpServers)
              .values({ id: randomUUID(), ...row })
              .returning(),
          ([r]) =>
            actor
              ? { actor, action: "mcp_server.create", objectType: "mcp_server", objectId: r!.id, teamId: r!.teamId ?? null, after: r }
              : null,
        ),
      {
        unique: `An MCP server named ${input.name} already exists ${teamId ? `in team ${teamId}` : "org-wide"}`,
        foreignKey: `team_id: no team ${input.team_id}`,
      },
    );
    this.deps.onChange?.(saved!.id, false);
    return this.view(saved!);
  }

  /** Merges the change into the stored server, re-validates the whole result, then saves it. */
  async update(id: string, change: UpdateServer, actor?: Principal): Promise<ServerView> {
    const current = await this.get(id);
    const secrets = this.secretsOf(current);
    if (change.name && change.name !== current.name && (await this.byName(change.name, current.teamId))) {
      throw conflict(`An MCP server named ${change.name} already exists`);
    }
    const parsed = createServerBody.safeParse({ ...this.inputOf(current, secrets), ...stripUndefined(change) });
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
      throw badRequest(`Invalid body: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`, fields);
    }
    const merged = parsed.data;
    if (actor) this.assertTeamAdminMay(actor, merged);
    const row = this.toRow(merged, secrets, change);
    const [saved] = await withConstraintConflicts(
      () =>
        audited(
          this.deps.database.db,
          this.audit,
          (tx) =>
            tx
              .update(mcpServers)
              .set({ ...row, updatedAt: new Date() })
              .where(eq(mcpServers.id, id))
              .returning(),
          ([r]) =>
            actor
              ? {
                  actor,
                  action: "mcp_server.update",
                  objectType: "mcp_server",
                  objectId: id,
                  teamId: r!.teamId ?? null,
                  before: current,
                  after: r,
                }
              : null,
        ),
      { unique: `An MCP server named ${merged.name} already exists` },
    );
    this.deps.onChange?.(id, false);
    return this.view(saved!);
  }

  async remove(id: string, actor?: Principal): Promise<void> {
    const deleted = await audited(
      this.deps.database.db,
      this.audit,
      (tx) => tx.delete(mcpServers).where(eq(mcpServers.id, id)).returning(),
      ([r]) =>
        r && actor
          ? { actor, action: "mcp_server.delete", objectType: "mcp_server", objectId: id, teamId: r.teamId ?? null, before: r, after: null }
          : null,
    );
    if (deleted.length === 0) throw notFound("MCP server");
    this.deps.onChange?.(id, true);
  }

  async list(): Promise<McpServerRow[]> {
    return this.deps.database.db.select().from(mcpServers).orderBy(asc(mcpServers.name));
  }

  async get(id: string): Promise<McpServerRow> {
    const [row] = await this.deps.database.db.select().from(mcpServers).where(eq(mcpServers.id, id));
    if (!row) throw notFound("MCP server");
    return row;
  }

  /** The server of this name in a team (null: the org-wide one). */
  async byName(name: string, teamId: string | null): Promise<McpServerRow | undefined> {
    const [row] = await this.deps.database.db
      .select()
      .from(mcpServers)
      .where(and(eq(mcpServers.name, name), teamId ? eq(mcpServers.teamId, teamId) : isNull(mcpServers.teamId)));
    return row;
  }

  /**
   * What only an org admin may register (docs/security.md "Users, teams and roles"): a stdio server is
   * a command on LAP's host (with host paths bound), and a URL naming a non-public address would
   * let a team reach LAP's own network.
   */
  private assertTeamAdminMay(actor: Principal, input: CreateServer) {
    if (isAdmin(actor)) return;
    if (input.transport === "stdio")
      throw forbidden(
        "transport: a stdio server runs a command on LAP's host; only an org admin registers one (a team registers streamable-http or sse servers)",
      );
    if (!input.url) return;
    const origin = /^[a-z]+:\/\/[^/?#]*/i.exec(input.url)?.[0] ?? input.url;
    if (origin.includes("${"))
      throw badRequest("url: a team's server may not take variables in its host or port", [
        { field: "url", message: "no variables in the host or port" },
      ]);
    if (!this.deps.destinations) return;
    const url = new URL(input.url);
    const problem = this.deps.destinations.literalProblem(url.hostname.replace(/^\[(.*)\]$/, "$1"), defaultPort(url));
    if (problem) throw badRequest(`url: ${problem}`, [{ field: "url", message: problem }]);
  }

  secretsOf(row: McpServerRow): ServerSecrets {
    return unseal<ServerSecrets>(this.deps.box, row.secretsSealed);
  }

  view(row: McpServerRow): ServerView {
    const c = row.config as ServerConfig;
    const a = row.authConfig as { header?: string; scopes?: string[]; client_id?: string };
    const s = this.secretsOf(row);
    const hasCredentials = row.authType === "oauth" ? Boolean(a.client_id || s.clientSecret) : Boolean(s.token || s.key || s.username);
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      transport: row.transport,
      command: c.command ?? null,
      args: c.args ?? [],
      env_names: c.envNames ?? [],
      bind_paths: c.bindPaths ?? [],
      network: c.network ?? false,
      url: c.url ?? null,
      header_names: c.headerNames ?? [],
      auth: {
        type: row.authType,
        ...(a.header ? { header: a.header } : {}),
        ...(row.authType === "oauth" ? { scopes: a.scopes ?? [], ...(a.client_id ? { client_id: a.client_id } : {}) } : {}),
        has_credentials: hasCredentials,
      },
      variables: row.variables.map((v) => ({ ...v, has_value: v.scope === "instance" && s.variables?.[v.name] !== undefined })),
      allowed_tools: row.allowedTools ?? null,
      disabled_tools: row.disabledTools,
      enabled: row.enabled,
      timeout_ms: row.timeoutMs,
      log_payloads: row.logPayloads,
      proxy_path: `/mcp/${row.name}`,
      team_id: row.teamId,
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
    };
  }

  /** Rebuilds a full input from a row (secrets included) so an update can be validated as a whole. */
  private inputOf(row: McpServerRow, s: ServerSecrets): CreateServer {
    const c = row.config as ServerConfig;
    const a = row.authConfig as { header?: string; scopes?: string[]; client_id?: string };
    const auth: CreateServer["auth"] =
      row.authType === "bearer"
        ? { type: "bearer", token: s.token ?? "" }
        : row.authType === "api_key"
          ? { type: "api_key", header: a.header ?? "x-api-key", key: s.key ?? "" }
          : row.authType === "basic"
            ? { type: "basic", username: s.username ?? "", password: s.password ?? "" }
            : row.authType === "oauth"
              ? { type: "oauth", scopes: a.scopes ?? [], client_id: a.client_id, client_secret: s.clientSecret }
              : { type: "none" };
    return {
      name: row.name,
      description: row.description,
      transport: row.transport,
      command: c.command,
      args: c.args ?? [],
      env: s.env,
      bind_paths: c.bindPaths ?? [],
      network: c.network ?? false,
      url: c.url,
      headers: s.headers,
      auth,
      variables: row.variables.map((v) => ({ ...v, value: s.variables?.[v.name] })),
      allowed_tools: row.allowedTools ?? null,
      disabled_tools: row.disabledTools,
      enabled: row.enabled,
      timeout_ms: row.timeoutMs,
      log_payloads: row.logPayloads,
    };
  }

  private toRow(input: CreateServer, previous: ServerSecrets, change?: UpdateServer) {
    const stdio = input.transport === "stdio";
    const secrets: ServerSecrets = {};
    if (stdio && input.env) secrets.env = input.env;
    if (!stdio && input.headers) secrets.headers = input.headers;
    const auth = input.auth;
    if (auth.type === "bearer") secrets.token = auth.token;
    if (auth.type === "api_key") secrets.key = auth.key;
    if (auth.type === "basic") Object.assign(secrets, { username: auth.username, password: auth.password });
    if (auth.type === "oauth" && auth.client_secret) secrets.clientSecret = auth.client_secret;
    const vars: Record<string, string> = {};
    for (const v of input.variables) {
      // A variable re-sent without a value keeps its stored value unless the update replaced the list with one.
      const value = v.value ?? (change?.variables ? undefined : previous.variables?.[v.name]);
      if (v.scope === "instance" && value !== undefined) vars[v.name] = value;
    }
    if (Object.keys(vars).length) secrets.variables = vars;
    const config: ServerConfig = stdio
      ? {
          command: input.command,
          args: input.args,
          envNames: Object.keys(input.env ?? {}),
          bindPaths: input.bind_paths.map((b) => ({ path: b.path, writable: b.writable })),
          network: input.network,
        }
      : { url: input.url, headerNames: Object.keys(input.headers ?? {}) };
    const authConfig =
      auth.type === "api_key"
        ? { header: auth.header }
        : auth.type === "oauth"
          ? { scopes: auth.scopes, ...(auth.client_id ? { client_id: auth.client_id } : {}) }
          : {};
    return {
      name: input.name,
      description: input.description,
      transport: input.transport,
      config: config as Record<string, unknown>,
      authType: auth.type,
      authConfig,
      secretsSealed: Object.keys(secrets).length ? seal(this.deps.box, secrets) : null,
      variables: input.variables.map((v) => ({ name: v.name, scope: v.scope })),
      allowedTools: input.allowed_tools,
      disabledTools: input.disabled_tools,
      enabled: input.enabled,
      timeoutMs: input.timeout_ms,
      logPayloads: input.log_payloads,
    };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
