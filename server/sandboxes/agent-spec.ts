/**
 * What a sandbox gets from its agent's row: the spec it starts with, the token a private repository's
 * clone uses, and the team a running sandbox belongs to. The agent's row is read through the agents
 * module's port (ports.ts AgentSandboxSettingsPort; docs/development.md "Layers").
 */
import type { Database } from "../db/client";
import { type EgressPolicies, hostMatches } from "./egress/policy";
import type { AgentSandboxSettingsPort, VaultPort } from "./ports";
import { SandboxError } from "./provider";
import { type AgentForSandbox, sandboxSpecFor } from "./runtime/spec";

export interface AgentSpecDeps {
  database: Database;
  /** The agents module's port (ports.ts): the agent's sandbox settings and team. */
  agents: Pick<AgentSandboxSettingsPort, "sandboxSettings" | "teamsOf">;
  /** LAP's CONTAINER_ENV_* as every sandbox sees it (settings.ts SandboxHostEnv). */
  containerEnv: Record<string, string>;
  policies: EgressPolicies;
  vault?: VaultPort;
}

export class AgentSandboxSpecs {
  constructor(private deps: AgentSpecDeps) {}

  /**
   * The spec a sandbox for this agent gets now: its harness, plain environment, egress allow-list,
   * and its vault keys as stubs (real values registered for its egress proxy). Null: no such agent.
   * A vault key with no secret throws, naming it (the session shows it as its error).
   */
  async specForAgent(agentId: string, override: Partial<AgentForSandbox> = {}) {
    const a = await this.deps.agents.sandboxSettings(agentId);
    if (!a) return null;
    // The agent's team's secrets and org-wide ones only: a name another team also uses is never theirs.
    const secrets = a.vaultKeys.length ? await this.vaultPort().resolve(a.vaultKeys, a.teamId) : [];
    const agent: AgentForSandbox = {
      id: agentId,
      harness: a.harness,
      environment: a.environment,
      egressAllowHosts: a.egressAllowHosts,
      ...override,
    };
    return {
      ...sandboxSpecFor(agent, this.deps.containerEnv, { secrets, policies: this.deps.policies }),
      active: a.active,
    };
  }

  /** The value of the agent's first vault secret bound to `host` (a private repository's clone), or null. */
  async repoToken(agentId: string, host: string): Promise<string | null> {
    const a = await this.deps.agents.sandboxSettings(agentId);
    if (!a?.vaultKeys.length || !this.deps.vault) return null;
    // The agent's team's secrets and org-wide ones only, as for its sandbox.
    const secrets = await this.deps.vault.resolve(a.vaultKeys, a.teamId);
    return secrets.find((s) => s.hosts.some((h) => hostMatches(host, h)))?.value ?? null;
  }

  /** The team of the agent a sandbox (by row id or provider id) runs for, or null. */
  async teamOfSandbox(sandboxId: string): Promise<string | null> {
    const [row] = await this.deps.database.query<{ agent_id: string | null }>(
      `select agent_id from sandboxes where (id = $1 or sandbox_id = $1) and agent_id is not null limit 1`,
      [sandboxId],
    );
    if (!row?.agent_id) return null;
    return (await this.deps.agents.teamsOf([row.agent_id])).get(row.agent_id) ?? null;
  }

  private vaultPort(): VaultPort {
    if (!this.deps.vault) throw new SandboxError("unavailable", "this agent has vault keys but LAP was built without the vault");
    return this.deps.vault;
  }
}
