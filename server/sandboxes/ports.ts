/**
 * What the sandboxes ask of the modules that drive them: the sessions module owns `sessions` (and reads
 * `agents` for it), so the warm pool and the reconcile passes read them through this port, wired in
 * server/app.ts (docs/development.md "Layers").
 */
import type { TeamRole } from "../../schema";
import type { SqlTx } from "../db/client";
import type { AgentDefinition } from "../runtimes/adapter";
import type { VaultSecret } from "./egress/policy";

export interface SandboxSessionsPort {
  /**
   * Active agents with a session created after `since`, most recently used first, with how many sessions
   * each created after `window`; at most `limit`.
   */
  agentDemand(since: Date, window: Date, limit: number): Promise<Array<{ agentId: string; recent: number }>>;
  /** The agent's newest session, or null. */
  latestSessionOf(agentId: string): Promise<string | null>;
  /** Of these sessions, those that exist and have not ended (stopped or error). */
  live(sessionIds: string[]): Promise<Set<string>>;
  /**
   * Each of these sessions' team (a sandbox's team is its session's: audit rows for team admins), read in
   * `tx` when given, so an audit row written in a transaction sees the same rows.
   */
  teamsOf(sessionIds: string[], tx?: Pick<SqlTx, "query">): Promise<Map<string, string>>;
}

/** What the sandboxes' audit rows need of the sessions port. */
export type SessionTeamsPort = Pick<SandboxSessionsPort, "teamsOf">;

/**
 * What the sandboxes ask of the agents module, the owner of `agents` (server/agents/for-sandboxes.ts),
 * wired in server/app/core.ts.
 */
export interface AgentSandboxSettingsPort {
  /** The sandbox-relevant settings of an agent; null: no such agent. */
  sandboxSettings(agentId: string): Promise<{
    harness: string;
    environment: Record<string, string>;
    active: boolean;
    egressAllowHosts: string[];
    vaultKeys: string[];
    teamId: string;
  } | null>;
  /** Each of these agents' team. */
  teamsOf(agentIds: string[]): Promise<Map<string, string>>;
  /** Every agent's `idle_timeout_minutes`, by agent id. */
  idleTimeoutsMinutes(): Promise<Map<string, number>>;
  /** Name and harness of these agents (the Sandboxes page). */
  summaries(agentIds: string[]): Promise<Map<string, { name: string; harness: string }>>;
  /** The definition a harness is set up with; null: no such agent. */
  definition(agentId: string): Promise<AgentDefinition | null>;
  /** Who made the agent (its MCP servers are those its creator may use); null: no such agent. */
  ownerOf(agentId: string): Promise<AgentOwner | null>;
}

/** An agent's creator: its key and user as they are now (AgentSandboxSettingsPort.ownerOf). */
export interface AgentOwner {
  teamId: string;
  key: { id: string; kind: string | null; label: string | null; active: boolean; teamId: string | null } | null;
  /** `teams`: the user's teams and roles, read only for an enabled user who is not an admin. */
  user: { id: string; role: string | null; ok: boolean; teams: Record<string, TeamRole> } | null;
}

/** A vault secret swapped into a sandbox's requests, at its latest use (egress/records.ts). */
export interface SecretUse {
  name: string;
  sandboxId: string;
  at: Date;
}

/** The vault (server/vault): real values of an agent's vault keys, and when they were used. */
export interface VaultPort {
  /** Every name must exist for the agent's team (its own, else org-wide), else it throws naming the missing ones. */
  resolve(names: string[], teamId: string | null): Promise<VaultSecret[]>;
  secretsUsed(uses: SecretUse[]): Promise<void>;
  /** Every secret of these names, of any team (id, name, team; no values), read in `tx` when given. */
  secretsNamed(names: string[], tx?: Pick<SqlTx, "query">): Promise<Array<{ id: string; name: string; teamId: string | null }>>;
}
