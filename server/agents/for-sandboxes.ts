/**
 * The agents module's port to the sandboxes (server/sandboxes/ports.ts AgentSandboxSettingsPort): what
 * a sandbox takes from its agent's row (harness, plain env, egress, vault keys, team, idle timeout), the
 * definition a harness is set up with, names for the Sandboxes page, and who made the agent (its MCP
 * servers are those its creator may use). Reads only; wired in
 * server/app/core.ts (docs/development.md "Layers": `agents` is this module's table).
 */
import type { TeamRole } from "../../schema";
import type { Database } from "../db/client";
import type { AgentDefinition } from "../runtimes/adapter";

export function agentsForSandboxes(database: Pick<Database, "query">) {
  return {
    async sandboxSettings(agentId: string) {
      const [a] = await database.query<{
        harness: string;
        environment: Record<string, string> | null;
        status: string;
        egress_allow_hosts: string[] | null;
        vault_keys: string[] | null;
        team_id: string;
      }>(`select harness, environment, status, egress_allow_hosts, vault_keys, team_id from agents where id = $1`, [agentId]);
      if (!a) return null;
      return {
        harness: a.harness,
        environment: a.environment ?? {},
        active: a.status === "active",
        egressAllowHosts: a.egress_allow_hosts ?? [],
        vaultKeys: a.vault_keys ?? [],
        teamId: a.team_id,
      };
    },
    async teamsOf(agentIds: string[]) {
      if (!agentIds.length) return new Map<string, string>();
      const rows = await database.query<{ id: string; team_id: string }>("select id, team_id from agents where id = any($1::text[])", [
        agentIds,
      ]);
      return new Map(rows.map((r) => [r.id, r.team_id]));
    },
    async idleTimeoutsMinutes() {
      const rows = await database.query<{ id: string; idle_timeout_minutes: number }>(`select id, idle_timeout_minutes from agents`);
      return new Map(rows.map((r) => [r.id, Number(r.idle_timeout_minutes)]));
    },
    async summaries(agentIds: string[]) {
      if (!agentIds.length) return new Map<string, { name: string; harness: string }>();
      const rows = await database.query<{ id: string; name: string; harness: string }>(
        "select id, name, harness from agents where id = any($1::text[])",
        [agentIds],
      );
      return new Map(rows.map((r) => [r.id, { name: r.name, harness: r.harness }]));
    },
    /**
     * Who made the agent: its team, the key it was made with (kind, label, whether it still works, its
     * team) and the user (role, whether still enabled, and, for an enabled non-admin, its teams); null:
     * no such agent.
     */
    async ownerOf(agentId: string) {
      const [o] = await database.query<{
        team_id: string;
        key_id: string | null;
        kind: string | null;
        label: string | null;
        active: boolean | null;
        key_team: string | null;
        user_id: string | null;
        user_role: string | null;
        user_ok: boolean | null;
      }>(
        `select a.team_id, k.id as key_id, k.kind, k.label, (k.revoked_at is null and (k.expires_at is null or k.expires_at > now())) as active, k.team_id as key_team,
                a.owner_user_id as user_id, u.role as user_role, (u.id is not null and u.disabled_at is null) as user_ok
           from agents a left join api_keys k on k.id = a.owner_key_id left join users u on u.id = a.owner_user_id where a.id = $1`,
        [agentId],
      );
      if (!o) return null;
      const userOk = Boolean(o.user_ok);
      // A user's teams matter only for an enabled member (an admin may use every server, a disabled user none).
      const teams =
        o.user_id && userOk && o.user_role !== "admin"
          ? await database.query<{ team_id: string; role: TeamRole }>("select team_id, role from team_members where user_id = $1", [
              o.user_id,
            ])
          : [];
      return {
        teamId: o.team_id,
        key: o.key_id ? { id: o.key_id, kind: o.kind, label: o.label, active: Boolean(o.active), teamId: o.key_team } : null,
        user: o.user_id
          ? { id: o.user_id, role: o.user_role, ok: userOk, teams: Object.fromEntries(teams.map((r) => [r.team_id, r.role])) }
          : null,
      };
    },
    /** An agent's definition from its row, as sessions give it to the runtime; null: no such agent. */
    async definition(agentId: string): Promise<AgentDefinition | null> {
      // biome-ignore lint/suspicious/noExplicitAny: the agents row, mapped field by field below
      const [a] = await database.query<any>(`select * from agents where id = $1`, [agentId]);
      if (!a) return null;
      return {
        id: a.id,
        name: a.name,
        description: a.description,
        model: a.model,
        systemPrompt: a.system_prompt,
        tools: a.tools ?? [],
        approvalRequiredTools: a.approval_required_tools ?? [],
        mcpServers: a.mcp_servers ?? [],
        environment: a.environment ?? {},
        repoUrl: a.repo_url,
        repoBranch: a.repo_branch,
        platformTools: a.platform_tools ?? true,
      };
    },
  };
}
