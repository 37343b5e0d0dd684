/**
 * What a sandbox gets from its agent's row: the spec it starts with, the token a private repository's
 * clone uses, and the team a running sandbox belongs to. Kept apart from SandboxService (service.ts) so
 * the one reader of `agents` in this module's wiring is one small file (docs/development.md "Layers").
 */
import type { Database } from "../db/client";
import { type EgressPolicies, hostMatches } from "./egress/policy";
import type { VaultPort } from "./ports";
import { SandboxError } from "./provider";
import { type AgentForSandbox, sandboxSpecFor } from "./runtime/spec";

/** The sandbox-relevant columns of an agent. */
interface AgentSandboxRow {
  harness: string;
  environment: Record<string, string> | null;
  status: string;
  egress_allow_hosts: string[] | null;
  vault_keys: string[] | null;
  team_id: string;
}

export interface AgentSpecDeps {
  database: Database;
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
    const [a] = await this.deps.database.query<AgentSandboxRow>(
      `select harness, environment, status, egress_allow_hosts, vault_keys, team_id from agents where id = $1`,
      [agentId],
    );
    if (!a) return null;
    // The agent's team's secrets and org-wide ones only: a name another team also uses is never theirs.
    const secrets = a.vault_keys?.length ? await this.vaultPort().resolve(a.vault_keys, a.team_id) : [];
    const agent: AgentForSandbox = {
      id: agentId,
      harness: a.harness,
      environment: a.environment ?? {},
      egressAllowHosts: a.egress_allow_hosts ?? [],
      ...override,
    };
    return {
      ...sandboxSpecFor(agent, this.deps.containerEnv, { secrets, policies: this.deps.policies }),
      active: a.status === "active",
    };
  }

  /** The value of the agent's first vault secret bound to `host` (a private repository's clone), or null. */
  async repoToken(agentId: string, host: string): Promise<string | null> {
    const [a] = await this.deps.database.query<{ vault_keys: string[] | null; team_id: string | null }>(
      "select vault_keys, team_id from agents where id = $1",
      [agentId],
    );
    if (!a?.vault_keys?.length || !this.deps.vault) return null;
    // The agent's team's secrets and org-wide ones only, as for its sandbox.
    const secrets = await this.deps.vault.resolve(a.vault_keys, a.team_id);
    return secrets.find((s) => s.hosts.some((h) => hostMatches(host, h)))?.value ?? null;
  }

  /** The team of the agent a sandbox (by row id or provider id) runs for, or null. */
  async teamOfSandbox(sandboxId: string): Promise<string | null> {
    const [row] = await this.deps.database.query<{ team_id: string }>(
      `select a.team_id from sandboxes s join agents a on a.id = s.agent_id where s.id = $1 or s.sandbox_id = $1 limit 1`,
      [sandboxId],
    );
    return row?.team_id ?? null;
  }

  private vaultPort(): VaultPort {
    if (!this.deps.vault) throw new SandboxError("unavailable", "this agent has vault keys but LAP was built without the vault");
    return this.deps.vault;
  }
}
