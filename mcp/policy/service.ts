import { and, asc, eq, inArray, or } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { mcpGrants, mcpServers, type McpServerRow } from "../../schema";
import type { Principal } from "../../server/auth/model";
import { assertShared, isAdmin, scopeOf, covers, SYSTEM } from "../../server/auth/policy";
import { audited, NO_AUDIT, type AuditPort } from "../../server/audit/record";
import type { Database } from "../../server/db/client";
import { badRequest, conflict, notFound } from "../../server/lib/errors";
import type { GrantView } from "../model";

/**
 * Who is calling the gateway. Users, agents and sessions are not first-class yet: they come from the
 * API key's metadata (`user_id`, `agent_id`, `session_id`), which is how a sandbox's session key says
 * which session it belongs to.
 */
export interface McpCaller {
  keyId?: string;
  label: string;
  admin: boolean;
  userId?: string;
  /** The teams the caller is in: their own servers, and grants to the team (docs/security.md "Users, teams and roles"). */
  teams?: string[];
  agentId?: string;
  /** The team of the key's agent (session keys): its servers and org-wide ones only, the team's first. */
  agentTeam?: string | null;
  sessionId?: string;
  /**
   * A session key's MCP servers (key metadata `mcp_servers`): the names of its agent's registered
   * servers. Such a key may use exactly these, admin or not.
   */
  scope?: string[];
}

/** Tools granted on one server: `"all"` or the listed names. */
export type ToolGrant = "all" | Set<string>;

const GRANT_TTL_MS = 2_000;

/**
 * Access policy. Default (documented in docs/mcp.md): admin keys and the master key may use every
 * enabled server; any other key sees only servers and tools granted to its key id, its user or its
 * agent. A session key (scope from its agent's `mcp_servers`) sees exactly its agent's servers.
 * The server's own allowed/disabled tool lists apply to everyone, admins included.
 */
export class McpPolicy {
  private cache = new Map<string, { at: number; grants: Promise<Map<string, ToolGrant>> }>();

  constructor(private readonly deps: { database: Database; now?: () => number; audit?: AuditPort }) {}

  static callerOf(principal: Principal, metadata: Record<string, unknown> = {}, agentTeam?: string | null): McpCaller {
    const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
    return {
      keyId: principal.keyId,
      label: principal.label,
      admin: principal.role === "admin",
      userId: principal.userId ?? str(metadata.user_id),
      teams: principal.teams ? Object.keys(principal.teams) : undefined,
      agentId: str(metadata.agent_id),
      agentTeam,
      sessionId: str(metadata.session_id),
      scope: Array.isArray(metadata.mcp_servers) ? metadata.mcp_servers.filter((n): n is string => typeof n === "string") : undefined,
    };
  }

  /** The tools this caller may call on a server, or null when it may not use the server at all. */
  async toolsFor(caller: McpCaller, server: McpServerRow): Promise<ToolGrant | null> {
    if (!server.enabled) return null;
    if (caller.scope) {
      // Listing a server on the agent grants its sessions that server; a grant to the agent (or
      // key, or user) on it narrows the tools. Nothing outside the list, whatever else is granted.
      if (!caller.scope.includes(server.name)) return null;
      // Another team's server of the same name is never the agent's (docs/security.md "Users, teams and roles").
      if (server.teamId !== null && server.teamId !== caller.agentTeam) return null;
      return (await this.grantsOf(caller)).get(server.id) ?? "all";
    }
    if (caller.admin) return "all";
    // A team's own server is there for its members.
    if (server.teamId && caller.teams?.includes(server.teamId)) return "all";
    return (await this.grantsOf(caller)).get(server.id) ?? null;
  }

  /** Server-level filter (allowed/disabled lists) plus the caller's grant. */
  static mayCall(server: McpServerRow, grant: ToolGrant | null, tool: string): boolean {
    if (!grant) return false;
    if (server.allowedTools && !server.allowedTools.includes(tool)) return false;
    if (server.disabledTools.includes(tool)) return false;
    return grant === "all" || grant.has(tool);
  }

  /**
   * A grant on a server the caller manages: admins any; a team's admins on the team's servers, to
   * subjects of the team only (its agents, members, keys, or the team itself).
   */
  async createGrant(
    input: { server_id: string; subject_type: "key" | "user" | "agent" | "team"; subject_id: string; tools: string[] | null },
    actor?: Principal,
  ): Promise<GrantView> {
    const [server] = await this.deps.database.db.select().from(mcpServers).where(eq(mcpServers.id, input.server_id));
    if (!server) throw notFound("MCP server");
    if (actor) {
      assertShared(actor, server.teamId, "manage", `MCP server ${server.name}`, () => notFound("MCP server"));
      if (!isAdmin(actor) && !(await this.inTeam(input.subject_type, input.subject_id, server.teamId!))) {
        throw badRequest(`subject_id: no ${input.subject_type} ${input.subject_id} in team ${server.teamId}`, [
          { field: "subject_id", message: `a ${input.subject_type} of the server's team` },
        ]);
      }
    }
    const existing = await this.deps.database.db
      .select()
      .from(mcpGrants)
      .where(
        and(
          eq(mcpGrants.serverId, input.server_id),
          eq(mcpGrants.subjectType, input.subject_type),
          eq(mcpGrants.subjectId, input.subject_id),
        ),
      );
    if (existing.length) throw conflict(`${input.subject_type} ${input.subject_id} already has a grant on ${server.name}; delete it first`);
    const [row] = await audited(
      this.deps.database.db,
      this.deps.audit ?? NO_AUDIT,
      (tx) =>
        tx
          .insert(mcpGrants)
          .values({
            id: randomUUID(),
            serverId: input.server_id,
            subjectType: input.subject_type,
            subjectId: input.subject_id,
            tools: input.tools,
          })
          .returning(),
      ([r]) =>
        actor
          ? {
              actor,
              action: "mcp_grant.create",
              objectType: "mcp_grant",
              objectId: r!.id,
              teamId: server.teamId ?? null,
              after: r,
              detail: { server: server.name },
            }
          : null,
    );
    this.cache.clear();
    return view(row!, server.name);
  }

  /** Grants on servers the caller sees (for users: its teams' servers, and org-wide ones' grants to its teams). */
  async listGrants(serverId?: string, actor: Principal = SYSTEM): Promise<GrantView[]> {
    const scope = scopeOf(actor);
    const rows = await this.deps.database.db
      .select({ grant: mcpGrants, serverName: mcpServers.name, teamId: mcpServers.teamId })
      .from(mcpGrants)
      .innerJoin(mcpServers, eq(mcpServers.id, mcpGrants.serverId))
      .where(serverId ? eq(mcpGrants.serverId, serverId) : undefined)
      .orderBy(asc(mcpServers.name), asc(mcpGrants.createdAt));
    const shown = rows.filter((r) =>
      r.teamId === null ? scope.all || (r.grant.subjectType === "team" && covers(scope, r.grant.subjectId)) : covers(scope, r.teamId),
    );
    return shown.map((r) => view(r.grant, r.serverName));
  }

  async deleteGrant(id: string, actor?: Principal): Promise<void> {
    const [g] = await this.deps.database.db
      .select({ teamId: mcpServers.teamId, name: mcpServers.name })
      .from(mcpGrants)
      .innerJoin(mcpServers, eq(mcpServers.id, mcpGrants.serverId))
      .where(eq(mcpGrants.id, id));
    if (!g) throw notFound("Grant");
    if (actor) assertShared(actor, g.teamId, "manage", `a grant on MCP server ${g.name}`, () => notFound("Grant"));
    const deleted = await audited(
      this.deps.database.db,
      this.deps.audit ?? NO_AUDIT,
      (tx) => tx.delete(mcpGrants).where(eq(mcpGrants.id, id)).returning(),
      ([r]) =>
        r && actor
          ? { actor, action: "mcp_grant.delete", objectType: "mcp_grant", objectId: id, teamId: g.teamId, before: r, after: null }
          : null,
    );
    if (!deleted.length) throw notFound("Grant");
    this.cache.clear();
  }

  invalidate() {
    this.cache.clear();
  }

  /** Whether a grant's subject belongs to the team (a key: the team's, or its user's while a member). */
  private async inTeam(type: "key" | "user" | "agent" | "team", id: string, teamId: string): Promise<boolean> {
    if (type === "team") return id === teamId;
    const sql = {
      user: "select 1 from team_members where user_id = $1 and team_id = $2",
      agent: "select 1 from agents where id = $1 and team_id = $2",
      key: "select 1 from api_keys k where k.id = $1 and (k.team_id = $2 or (k.team_id is null and exists (select 1 from team_members m where m.user_id = k.user_id and m.team_id = $2)))",
    }[type];
    return (await this.deps.database.query(sql, [id, teamId])).length > 0;
  }

  /** Union of the grants to the caller's key, user and agent, cached briefly (checked on every call). */
  private grantsOf(caller: McpCaller): Promise<Map<string, ToolGrant>> {
    const cacheKey = `${caller.keyId}|${caller.userId}|${caller.agentId}|${caller.teams?.join(",") ?? ""}`;
    const now = (this.deps.now ?? Date.now)();
    const hit = this.cache.get(cacheKey);
    if (hit && now - hit.at < GRANT_TTL_MS) return hit.grants;
    const grants = this.loadGrants(caller);
    this.cache.set(cacheKey, { at: now, grants });
    grants.catch(() => this.cache.delete(cacheKey));
    return grants;
  }

  private async loadGrants(caller: McpCaller): Promise<Map<string, ToolGrant>> {
    const subjects = [
      caller.keyId && and(eq(mcpGrants.subjectType, "key"), eq(mcpGrants.subjectId, caller.keyId)),
      caller.userId && and(eq(mcpGrants.subjectType, "user"), eq(mcpGrants.subjectId, caller.userId)),
      caller.agentId && and(eq(mcpGrants.subjectType, "agent"), eq(mcpGrants.subjectId, caller.agentId)),
      caller.teams?.length && and(eq(mcpGrants.subjectType, "team"), inArray(mcpGrants.subjectId, caller.teams)),
    ].filter((c): c is NonNullable<typeof c> & object => Boolean(c));
    const out = new Map<string, ToolGrant>();
    if (!subjects.length) return out;
    const rows = await this.deps.database.db
      .select()
      .from(mcpGrants)
      .where(or(...subjects));
    for (const r of rows) {
      const prev = out.get(r.serverId);
      if (prev === "all" || r.tools === null) out.set(r.serverId, "all");
      else out.set(r.serverId, new Set([...(prev ?? []), ...r.tools]));
    }
    return out;
  }
}

function view(row: typeof mcpGrants.$inferSelect, serverName: string): GrantView {
  return {
    id: row.id,
    server_id: row.serverId,
    server_name: serverName,
    subject_type: row.subjectType,
    subject_id: row.subjectId,
    tools: row.tools ?? null,
    created_at: row.createdAt.toISOString(),
  };
}
