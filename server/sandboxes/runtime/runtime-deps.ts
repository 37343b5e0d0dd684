/**
 * What the sandbox runtime (./sandbox-runtime.ts) is handed, and what it keeps per live session.
 */
import type { Tracer } from "@opentelemetry/api";
import type { HarnessContext } from "../../../harness/protocol";
import type { AuditPort } from "../../audit/record";
import type { Database } from "../../db/client";
import type { Logger } from "../../lib/logger";
import type { SandboxMetricsSink } from "../../metrics/recorders";
import type { DestinationGuard } from "../../net/destinations";
import type { AgentDefinition } from "../../runtimes/adapter";
import type { ContentPart } from "../../../schema/session-events";
import type { AgentSandboxSettingsPort, SessionTeamsPort } from "../ports";
import type { SandboxProvider, SandboxSpec } from "../provider";
import type { SupervisorClient } from "../supervisor-client";
import type { WarmPool } from "../warm-pool";

export interface SandboxRuntimeDeps {
  /** Sandbox starts, their latency and failures, warm-pool hits (server/metrics). */
  metrics?: SandboxMetricsSink;
  /** Spans of sandbox starts (server/tracing). */
  tracer?: Tracer;
  database: Database;
  /** The sessions' teams, for the audit rows of sandbox starts and stops (../ports.ts). */
  sessions: SessionTeamsPort;
  /** The agents module's port (../ports.ts): an agent's definition and idle timeout. */
  agents: Pick<AgentSandboxSettingsPort, "definition" | "idleTimeoutsMinutes">;
  provider: SandboxProvider;
  pool?: WarmPool | null;
  logger: Logger;
  /** LAP's gateway as LAP hands it out (the provider rewrites it for inside the sandbox). */
  gatewayBaseUrl: string;
  /** A gateway key scoped to this session: its agent's model, a budget, expiring with the session. */
  mintSessionKey(input: { sessionId: string; agentId: string; model: string; mcpServers: string[] }): Promise<string>;
  /**
   * The agent's MCP servers that LAP's gateway proxies (registered by name). The session key may use
   * exactly these, and the harness reaches them at LAP's /mcp/<name> with that key.
   */
  mcpServersFor?(agent: AgentDefinition): Promise<string[]>;
  /**
   * What a session adds to its agent at bind time (docs/memory.md): always-on memory for its system
   * prompt, and whether it gets LAP's platform MCP server `lap`. Unset: neither.
   */
  sessionContext?(sessionId: string, agent: AgentDefinition): Promise<{ memoryPrompt: string; platform: boolean }>;
  /** The stored conversation of a session, oldest first (session_events), for replay. */
  history(sessionId: string): Promise<Array<{ type: string; [k: string]: unknown }>>;
  /** Ends the session's gateway key when the session ends (gateway module). */
  revokeSessionKey?(sessionId: string): Promise<void>;
  /** LAP's CONTAINER_ENV_* as every sandbox sees it (settings.ts SandboxHostEnv). */
  containerEnv: Record<string, string>;
  /** EGRESS_UPSTREAM_CA_FILE: extra CAs for cloning a repository on the host. */
  upstreamCaFile?: string;
  preinstalledRepo?: string;
  /** Checks repo_url's host after resolution (docs/security.md); default: public addresses only. */
  destinations?: DestinationGuard;
  /**
   * The agent's sandbox spec from its row (harness, egress allow-list, vault stubs; see
   * SandboxService.specForAgent). Default: the built-in harness, the definition's env, no egress.
   */
  specFor?(agent: AgentDefinition): Promise<{ spec: SandboxSpec; hash: string }>;
  workspacePath?(workspaceId: string): string;
  /** The agent's vault secret bound to a repository's host, for cloning a private repository (docs/github.md). */
  repoToken?(agentId: string, host: string): Promise<string | null>;
  /** After a clone on the host: the workspace's files go to the sandbox's (non-root) user (host/sandbox-user.ts). */
  handOverWorkspace?(workspaceId: string): Promise<void>;
  /** The audit trail (server/audit): sandbox starts and stops, by LAP, with their session. */
  audit?: AuditPort;
  /** The agent's files (server/files), placed in a new session's workspace after the clone. */
  agentFiles?(agentId: string): Promise<Array<{ path: string; content: Uint8Array }>>;
  /** The agent's rules and skills at their current versions (server/skills/context.ts), given to the harness at bind. */
  contextFor?(agentId: string): Promise<HarnessContext>;
}

export interface Live {
  rowId: string;
  sandboxId: string;
  workspaceId: string;
  client: SupervisorClient;
  agent: AgentDefinition;
  /** Set when the sandbox died: the next stream starts with session.recovered. */
  recovered?: string;
  inFlight?: ContentPart[];
  /**
   * Why the turn that was running when the sandbox died is lost: its stream ends it `interrupted`
   * (TurnLostError). It is not sent again: a turn's tools may have changed the workspace already.
   */
  lost?: string;
  /** The sandbox that ran the lost turn died after kills at its memory limit (of `limitMb`): its stream ends in memory_limit_exceeded. */
  lostAtMemoryLimit?: { limitMb?: number };
  /** The sandbox's count of processes killed at its memory limit when the turn began (null: not counted here). */
  oomKillsAtTurnStart?: number | null;
  lastActivity: number;
  /** What the harness was given at bind (names and versions): the next stream says so in `session.context`. */
  given?: { rules: Array<{ name: string; version: number }>; skills: Array<{ name: string; version: number }> };
}
