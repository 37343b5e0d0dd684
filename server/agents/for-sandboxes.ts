/**
 * The agents module's port to the sandboxes (server/sandboxes/ports.ts AgentSandboxSettingsPort): what
 * a sandbox takes from its agent's row (harness, plain env, egress, vault keys, team, idle timeout), the
 * definition a harness is set up with, and names for the Sandboxes page. Reads only; wired in
 * server/app/core.ts (docs/development.md "Layers": `agents` is this module's table).
 */
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
