/**
 * What the sandboxes ask of the modules that drive them: the sessions module owns `sessions` (and reads
 * `agents` for it), so the warm pool and the reconcile passes read them through this port, wired in
 * server/app.ts (docs/development.md "Layers").
 */
import type { VaultSecret } from "./egress/policy";
import type { SecretUse } from "./egress/records";

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
}

/** The vault (server/vault): real values of an agent's vault keys, and when they were used. */
export interface VaultPort {
  /** Every name must exist for the agent's team (its own, else org-wide), else it throws naming the missing ones. */
  resolve(names: string[], teamId: string | null): Promise<VaultSecret[]>;
  secretsUsed(uses: SecretUse[]): Promise<void>;
}
