import { and, desc, eq, ilike, inArray, or, sql } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { agents, runtimes, type AgentRow } from "../../schema";
import type { Principal } from "../auth/model";
import { assertMay, creatorOf, scopeOf, scopeWhere, SYSTEM, teamForNew, visible } from "../auth/policy";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { badRequest, notFound } from "../lib/errors";
import { withConstraintConflicts } from "../lib/pg-errors";
import { DestinationGuard } from "../net/destinations";
import { hostPatternErrors, repoUrlProblem } from "../net/user-destinations";
import type { AgentDefinition } from "../runtimes/adapter";
import { assertMcpServers, assertVaultKeys } from "./team-refs";
import { assertAttachable } from "../skills/context";
import { createAgentBody, updateAgentBody, type AgentView, type CreateAgentInput, type UpdateAgentInput } from "./model";

/**
 * Whether LAP's gateway can route a model name: the models it knows when it cannot, or null when it
 * cannot tell (its configuration failed to load).
 */
export type GatewayModelCheck = (model: string) => Promise<{ known: true } | { known: false; models: string[] } | null>;

export interface AgentServiceDeps {
  database: Database;
  /**
   * Agents on a sandbox runtime call their model through LAP's gateway: one whose model the gateway
   * does not know is refused (its first message could only fail). Unset: not checked.
   */
  gatewayModel?: GatewayModelCheck;
  /** Called before an agent row is deleted: stops its sessions and their sandboxes. */
  beforeDelete?: (agentId: string) => Promise<void>;
  /** Refuses egress hosts and repo_url that name non-public addresses (docs/security.md); default: no exceptions. */
  destinations?: DestinationGuard;
  /** The audit trail (server/audit): each change is recorded in its own transaction. */
  audit?: AuditPort;
}

/**
 * Agents. Every method takes the caller (`actor`, default: LAP itself) and asks server/auth/policy.ts:
 * another team's agent is 404; members create agents in their team and change their own, team admins
 * any of the team's. Vault secrets are attached only by admins, or a team admin its own team's secrets
 * (docs/security.md "Users, teams and roles").
 */
export class AgentService {
  constructor(private readonly deps: AgentServiceDeps) {}

  private get db() {
    return this.deps.database.db;
  }

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  async create(input: CreateAgentInput, actor: Principal = SYSTEM): Promise<AgentView> {
    const p = createAgentBody.parse(input);
    this.assertDestinations(p);
    const teamId = teamForNew(actor, p.team_id);
    await assertVaultKeys(this.deps.database, actor, teamId, p.vault_keys, []);
    await assertMcpServers(this.deps.database, teamId, p.mcp_servers);
    await assertAttachable(this.deps.database, teamId, p);
    await this.assertSubagents(p.subagent_ids, teamId, null);
    const protocol = await this.assertRuntime(p.runtime_id, teamId);
    await this.assertGatewayModel(p.model, protocol);
    const [row] = await withConstraintConflicts(
      () =>
        audited(
          this.db,
          this.audit,
          (tx) =>
            tx
              .insert(agents)
              .values({ ...this.columns(p), ...creatorOf(actor), teamId, id: `agt_${randomUUID().replaceAll("-", "").slice(0, 20)}` })
              .returning(),
          ([r]) => ({ actor, action: "agent.create", objectType: "agent", objectId: r!.id, teamId, after: r }),
        ),
      { unique: `An agent named ${p.name} already exists` },
    );
    return agentView(row!);
  }

  async update(id: string, input: UpdateAgentInput, actor: Principal = SYSTEM): Promise<AgentView> {
    const p = updateAgentBody.parse(input);
    this.assertDestinations(p);
    const current = await this.row(id, actor);
    assertMay(actor, "act", owned(current), "this agent");
    if (p.vault_keys !== undefined) await assertVaultKeys(this.deps.database, actor, current.teamId, p.vault_keys, current.vaultKeys);
    await assertMcpServers(this.deps.database, current.teamId, p.mcp_servers, current.mcpServers);
    await assertAttachable(this.deps.database, current.teamId, p);
    if (p.subagent_ids !== undefined) await this.assertSubagents(p.subagent_ids, current.teamId, id);
    const protocol =
      p.runtime_id !== undefined ? await this.assertRuntime(p.runtime_id, current.teamId) : await this.protocolOf(current.runtimeId);
    // Only a change can make the model unknown: editing other fields of an agent whose model was
    // removed since stays possible (its sessions fail with a session.error naming the model).
    if ((p.model !== undefined && p.model !== current.model) || (p.runtime_id !== undefined && p.runtime_id !== current.runtimeId)) {
      await this.assertGatewayModel(p.model ?? current.model, protocol);
    }
    const [row] = await withConstraintConflicts(
      () =>
        audited(
          this.db,
          this.audit,
          (tx) =>
            tx
              .update(agents)
              .set({ ...this.columns(p), updatedAt: new Date() })
              .where(eq(agents.id, id))
              .returning(),
          ([r]) => ({
            actor,
            action: "agent.update",
            objectType: "agent",
            objectId: id,
            teamId: current.teamId,
            before: current,
            after: r,
          }),
        ),
      { unique: `An agent named ${p.name} already exists` },
    );
    return agentView(row!);
  }

  async setStatus(id: string, status: "active" | "paused", actor: Principal = SYSTEM): Promise<AgentView> {
    const current = await this.row(id, actor);
    assertMay(actor, "act", owned(current), "this agent");
    const [row] = await audited(
      this.db,
      this.audit,
      (tx) => tx.update(agents).set({ status, updatedAt: new Date() }).where(eq(agents.id, id)).returning(),
      ([r]) => ({
        actor,
        action: status === "paused" ? "agent.pause" : "agent.resume",
        objectType: "agent",
        objectId: id,
        teamId: current.teamId,
        before: current,
        after: r,
      }),
    );
    if (!row) throw notFound("Agent");
    return agentView(row);
  }

  async list(
    opts: { q?: string; model?: string; runtime_id?: string; limit: number },
    actor: Principal = SYSTEM,
  ): Promise<Array<AgentView & { spend: number }>> {
    const q = opts.q?.trim();
    const search = q
      ? or(ilike(agents.name, `%${q.replace(/[%_\\]/g, "\\$&")}%`), ilike(agents.description, `%${q.replace(/[%_\\]/g, "\\$&")}%`))
      : undefined;
    const byModel = opts.model ? eq(agents.model, opts.model) : undefined;
    const byRuntime = opts.runtime_id ? eq(agents.runtimeId, opts.runtime_id) : undefined;
    const rows = await this.db
      .select({
        agent: agents,
        spend: sql<number>`(select coalesce(sum(l.spend), 0)::float8 from gateway_spend_logs l where l.agent_id = ${agents.id})`,
      })
      .from(agents)
      .where(and(search, byModel, byRuntime, scopeWhere(scopeOf(actor), agents.teamId)))
      .orderBy(desc(agents.createdAt))
      .limit(opts.limit);
    return rows.map((r) => ({ ...agentView(r.agent), spend: Number(r.spend) }));
  }

  /** The agent if the caller may see it (another team's: 404). */
  async row(id: string, actor: Principal = SYSTEM): Promise<AgentRow> {
    const [row] = await this.db.select().from(agents).where(eq(agents.id, id));
    if (!row || !visible(actor, owned(row))) throw notFound("Agent");
    return row;
  }

  async get(id: string, actor: Principal = SYSTEM): Promise<AgentView> {
    return agentView(await this.row(id, actor));
  }

  async remove(id: string, actor: Principal = SYSTEM): Promise<AgentView> {
    const row = await this.row(id, actor);
    assertMay(actor, "act", owned(row), "this agent");
    await this.deps.beforeDelete?.(id);
    await audited(
      this.db,
      this.audit,
      (tx) => tx.delete(agents).where(eq(agents.id, id)).returning({ id: agents.id }),
      (gone) =>
        gone.length
          ? { actor, action: "agent.delete", objectType: "agent", objectId: id, teamId: row.teamId, before: row, after: null }
          : null,
    );
    return agentView(row);
  }

  /** Destinations the user names must not be visibly non-public (resolved ones are checked at each connection). */
  private assertDestinations(p: { egress_allow_hosts?: string[]; repo_url?: string | null }) {
    const destinations = this.deps.destinations ?? new DestinationGuard();
    const fields = hostPatternErrors("egress_allow_hosts", p.egress_allow_hosts, destinations);
    const repo = p.repo_url ? repoUrlProblem(p.repo_url, destinations) : null;
    if (repo) fields.push({ field: "repo_url", message: repo });
    if (fields.length) throw badRequest(`Invalid body: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`, fields);
  }

  /** Sub-agents are agents of the same team, never the agent itself: else a 400 naming subagent_ids. */
  private async assertSubagents(ids: string[], teamId: string, self: string | null) {
    if (!ids.length) return;
    const rows = await this.db.select({ id: agents.id, teamId: agents.teamId }).from(agents).where(inArray(agents.id, ids));
    const bad = ids.filter((i) => i === self || !rows.some((r) => r.id === i && r.teamId === teamId));
    if (!bad.length) return;
    const message = `no agent of this agent's team with id ${bad.slice(0, 5).join(", ")}${bad.includes(self ?? "") ? " (an agent cannot be its own sub-agent)" : ""}`;
    throw badRequest(`subagent_ids: ${message}`, [{ field: "subagent_ids", message }]);
  }

  /** The runtime's protocol; it must be org-wide or the agent's team's (another team's is "no runtime": 400 naming runtime_id). */
  private async assertRuntime(runtimeId: string | null | undefined, teamId: string): Promise<string | null> {
    if (!runtimeId) return null;
    const [rt] = await this.db
      .select({ protocol: runtimes.protocol, teamId: runtimes.teamId })
      .from(runtimes)
      .where(eq(runtimes.id, runtimeId));
    if (!rt || (rt.teamId !== null && rt.teamId !== teamId))
      throw badRequest(`runtime_id: no runtime ${runtimeId}`, [{ field: "runtime_id", message: `no runtime with id ${runtimeId}` }]);
    return rt.protocol;
  }

  private async protocolOf(runtimeId: string | null): Promise<string | null> {
    if (!runtimeId) return null;
    const [rt] = await this.db.select({ protocol: runtimes.protocol }).from(runtimes).where(eq(runtimes.id, runtimeId));
    return rt?.protocol ?? null;
  }

  /**
   * On a sandbox runtime every model call goes through LAP's gateway, so a model it cannot route is a
   * 400 naming `model` and the models it has (a remote Managed Agents runtime names its own models).
   */
  private async assertGatewayModel(model: string, protocol: string | null) {
    if (protocol !== "sandbox" || !this.deps.gatewayModel) return;
    const answer = await this.deps.gatewayModel(model);
    if (!answer || answer.known) return;
    const have = answer.models.length
      ? `it has ${answer.models.slice(0, 10).join(", ")}${answer.models.length > 10 ? ", …" : ""}`
      : "it has no models yet";
    const message = `no model named ${model} on this gateway (${have}); add it under Models & providers or POST /model/new`;
    throw badRequest(`model: ${message}`, [{ field: "model", message }]);
  }

  private columns(p: Partial<ReturnType<typeof createAgentBody.parse>>) {
    const out: Partial<typeof agents.$inferInsert> = {};
    if (p.name !== undefined) out.name = p.name;
    if (p.description !== undefined) out.description = p.description;
    if (p.model !== undefined) out.model = p.model;
    if (p.system_prompt !== undefined) out.systemPrompt = p.system_prompt;
    if (p.runtime_id !== undefined) out.runtimeId = p.runtime_id;
    if (p.harness !== undefined) out.harness = p.harness;
    if (p.tools !== undefined) out.tools = p.tools;
    if (p.approval_required_tools !== undefined) out.approvalRequiredTools = p.approval_required_tools;
    if (p.mcp_servers !== undefined) out.mcpServers = p.mcp_servers;
    if (p.skill_ids !== undefined) out.skillIds = [...new Set(p.skill_ids)];
    if (p.rule_ids !== undefined) out.ruleIds = [...new Set(p.rule_ids)];
    if (p.subagent_ids !== undefined) out.subagentIds = p.subagent_ids;
    if (p.platform_tools !== undefined) out.platformTools = p.platform_tools;
    if (p.vault_keys !== undefined) out.vaultKeys = [...new Set(p.vault_keys)];
    if (p.egress_allow_hosts !== undefined) out.egressAllowHosts = [...new Set(p.egress_allow_hosts)];
    if (p.environment !== undefined) out.environment = p.environment;
    if (p.repo_url !== undefined) out.repoUrl = p.repo_url;
    if (p.repo_branch !== undefined) out.repoBranch = p.repo_branch;
    if (p.max_runtime_minutes !== undefined) out.maxRuntimeMinutes = p.max_runtime_minutes;
    if (p.idle_timeout_minutes !== undefined) out.idleTimeoutMinutes = p.idle_timeout_minutes;
    if (p.generate_titles !== undefined) out.generateTitles = p.generate_titles;
    return out as typeof agents.$inferInsert;
  }
}

/** What the policy needs to know of an agent. */
export const owned = (r: AgentRow) => ({ teamId: r.teamId, ownerUserId: r.ownerUserId, ownerKeyId: r.ownerKeyId });

export function agentView(r: AgentRow): AgentView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    model: r.model,
    system_prompt: r.systemPrompt,
    runtime_id: r.runtimeId,
    harness: r.harness,
    tools: r.tools,
    approval_required_tools: r.approvalRequiredTools,
    mcp_servers: r.mcpServers,
    skill_ids: r.skillIds,
    rule_ids: r.ruleIds,
    subagent_ids: r.subagentIds,
    platform_tools: r.platformTools,
    vault_keys: r.vaultKeys,
    egress_allow_hosts: r.egressAllowHosts,
    environment: r.environment,
    repo_url: r.repoUrl,
    repo_branch: r.repoBranch,
    max_runtime_minutes: r.maxRuntimeMinutes,
    idle_timeout_minutes: r.idleTimeoutMinutes,
    generate_titles: r.generateTitles,
    status: r.status,
    team_id: r.teamId,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** What a runtime adapter needs from an agent row. */
export function agentDefinition(r: AgentRow): AgentDefinition {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    model: r.model,
    systemPrompt: r.systemPrompt,
    tools: r.tools,
    approvalRequiredTools: r.approvalRequiredTools,
    mcpServers: r.mcpServers,
    environment: r.environment,
    repoUrl: r.repoUrl,
    repoBranch: r.repoBranch,
    skillIds: r.skillIds,
    ruleIds: r.ruleIds,
    vaultKeys: r.vaultKeys,
    platformTools: r.platformTools,
  };
}
