import type { Database } from "../../db/client";
import type { GatewayService } from "../../gateway/service";
import type { Principal } from "../../auth/model";
import type { McpServerRow } from "../../../schema";
import type { AgentSandboxSettingsPort } from "../ports";
import type { SandboxService } from "../service";
import type { SandboxRuntimeAdapter } from "./sandbox-runtime";
import { memoryPrompt, type MemoryService } from "../../memory/service";
import { contextForAgent } from "../../skills/context";

/**
 * What the sandbox runtime asks of LAP's MCP gateway (mcp/service.ts McpGateway, wired in server/app.ts):
 * the registered servers, and those a caller may use.
 */
export interface McpServersPort<Caller = unknown> {
  servers(): Promise<McpServerRow[]>;
  callerOf(principal: Principal): Promise<Caller>;
  visibleAll(caller: Caller): Promise<Array<{ row: McpServerRow }>>;
}

/**
 * What the sandbox runtime asks of the sessions module, the owner of sessions and their events
 * (server/sessions/history.ts, status.ts); server/app.ts hands it in.
 */
export interface SessionsForSandboxes {
  /** The session's events as a new sandbox's harness replays them. */
  history(sessionId: string): Promise<Array<{ type: string; [k: string]: unknown }>>;
  /** Marks an idle session `recovering`; its prior status, or null when it was busy (nothing changed). */
  recovering(sessionId: string): Promise<string | null>;
  /** Puts back the status `recovering` replaced. */
  recovered(sessionId: string, prior: string): Promise<void>;
  /** The user a session belongs to and its parent session (a sub-agent's); null: no such session. */
  ownerAndParent(sessionId: string): Promise<{ ownerUserId: string | null; parentSessionId: string | null } | null>;
}

/** How often idle sandboxes are looked for. */
const IDLE_SWEEP_MS = 60_000;

/**
 * The sandbox runtime as the sessions module uses it for agents on the built-in `local-sandbox`
 * runtime: session keys come from LAP's gateway (the agent's model only, revoked when the session
 * ends), the sandbox spec from the agent row (SandboxService.specForAgent: harness, egress
 * allow-list, vault stubs), and the history for replay from the event log.
 * Built on first use, so a LAP that never runs a sandboxed agent never starts the sandbox machinery.
 */
export function sandboxRuntimeForSessions(deps: {
  /** LAP's URL (known only after listen without BASE_URL). */
  baseUrl: () => string;
  database: Database;
  sessions: SessionsForSandboxes;
  /** The agents module's port (../ports.ts): who made an agent. */
  agents: Pick<AgentSandboxSettingsPort, "ownerOf">;
  gateway: GatewayService;
  sandboxes: SandboxService;
  mcp?: McpServersPort;
  memory?: MemoryService;
}) {
  let adapter: SandboxRuntimeAdapter | undefined;
  const get = (): SandboxRuntimeAdapter =>
    (adapter ??= deps.sandboxes.adapter({
      // Read at call time: with PORT=0 the base URL is known only after listen.
      get gatewayBaseUrl() {
        return `${deps.baseUrl()}/v1`;
      },
      mintSessionKey: async ({ sessionId, agentId, model, mcpServers }) =>
        (
          await deps.gateway.mintSessionKey({
            sessionId,
            agentId,
            models: [model],
            duration: "7d",
            mcpServers,
            maxBudget: await parentBudgetLeft(deps, sessionId),
          })
        ).key,
      // The agent's servers that are registered in LAP's MCP gateway (a sandbox has no other network),
      // and that the agent's owner may use itself: listing a server on one's agent grants nothing more.
      mcpServersFor: async (agent) => {
        if (!deps.mcp || !agent.mcpServers.length) return [];
        const usable = await ownerUsableServers(deps.agents, deps.mcp, agent.id);
        return agent.mcpServers.map((s) => s.name).filter((name) => usable.has(name));
      },
      // Always-on memory (the agent's, and its creator's own) and LAP's platform tools (docs/memory.md).
      sessionContext: async (sessionId, agent) => {
        if (!deps.memory) return { memoryPrompt: "", platform: false };
        const s = await deps.sessions.ownerAndParent(sessionId);
        return {
          memoryPrompt: memoryPrompt(await deps.memory.alwaysOn(agent.id, s?.ownerUserId ?? null)),
          platform: agent.platformTools !== false,
        };
      },
      revokeSessionKey: async (sessionId) => {
        await deps.gateway.revokeSessionKeys(sessionId);
      },
      history: (sessionId) => deps.sessions.history(sessionId),
      // The agent's rules and skills, current versions (docs/skills.md).
      contextFor: (agentId) => contextForAgent(deps.database, agentId),
    }));
  /**
   * A sandbox's pod was lost (the kubernetes pod monitor saw it deleted, terminating or failing). When
   * this LAP serves the session, it is `recovering` while a new sandbox is claimed and given the history,
   * then back to idle; a running turn recovers through its own stream instead. The next stream of the
   * session starts with `session.recovered`.
   */
  async function onSandboxLost(sandboxId: string, log?: { warn(obj: object, msg: string): void }) {
    const sessionId = adapter?.sessionOfSandbox(sandboxId);
    if (!adapter || !sessionId) return;
    // Idle or awaiting a decision: it goes back to what it was.
    const prior = await deps.sessions.recovering(sessionId);
    try {
      await adapter.recover(sessionId);
    } catch (err) {
      log?.warn({ err, session_id: sessionId, sandbox_id: sandboxId }, "recovering a lost sandbox failed; the next message tries again");
    } finally {
      if (prior) await deps.sessions.recovered(sessionId, prior);
    }
  }
  let idleSweep: ReturnType<typeof setInterval> | undefined;
  return {
    get,
    current: () => adapter,
    onSandboxLost,
    /** Idle sandboxes stop after their agent's idle timeout; the next message starts one on the same workspace. */
    start(log: { warn(obj: object, msg: string): void }) {
      idleSweep ??= setInterval(() => {
        adapter?.sweepIdle().catch((err) => log.warn({ err }, "sandbox idle sweep failed"));
      }, IDLE_SWEEP_MS);
    },
    stop() {
      clearInterval(idleSweep);
      idleSweep = undefined;
    },
  };
}

/**
 * A sub-agent's key may spend at most what its parent session's key has left (docs/memory.md "Who
 * pays"); undefined: no parent, or a parent without a budget.
 */
export async function parentBudgetLeft(
  deps: { sessions: Pick<SessionsForSandboxes, "ownerAndParent">; gateway: Pick<GatewayService, "sessionKey"> },
  sessionId: string,
): Promise<number | undefined> {
  const s = await deps.sessions.ownerAndParent(sessionId);
  if (!s?.parentSessionId) return undefined;
  const parent = await deps.gateway.sessionKey(s.parentSessionId);
  if (!parent || parent.max_budget === null) return undefined;
  return Math.max(0, parent.max_budget - parent.spend);
}

/**
 * Names of the MCP servers an agent's creator may use (docs/security.md "Users, teams and roles"),
 * among the agent's team's servers and the org-wide ones only (another team's server of the same
 * name is never the agent's): every such one for an agent an admin (or LAP) made; for a member's
 * agent, what that user may use (its team's servers and what is granted to it or its teams); for a
 * user key's, what that key may (none once it is revoked). A user who is gone or disabled may use none.
 * The session key gets these names, and LAP's MCP gateway resolves each in the agent's team first.
 */
export async function ownerUsableServers(
  agents: Pick<AgentSandboxSettingsPort, "ownerOf">,
  mcp: McpServersPort,
  agentId: string,
): Promise<Set<string>> {
  const owner = await agents.ownerOf(agentId);
  if (!owner) return new Set();
  const ofAgent = (r: McpServerRow) => r.teamId === null || r.teamId === owner.teamId;
  const names = (rows: McpServerRow[]) => new Set(rows.filter(ofAgent).map((r) => r.name));
  const all = async () => names(await mcp.servers());
  const usable = async (principal: Principal) => names((await mcp.visibleAll(await mcp.callerOf(principal))).map((v) => v.row));
  const { key, user } = owner;
  if (user) {
    if (!user.ok) return new Set();
    if (user.role === "admin") return all();
    return usable({ via: "session", role: "user", kind: "user", userId: user.id, label: "", teams: user.teams });
  }
  // Made by an admin: an admin's, even after that key is rotated out.
  if (!key || key.kind === "admin") return all();
  if (key.kind !== "user" || !key.active) return new Set();
  return usable({
    via: "api_key",
    role: "user",
    kind: "user",
    keyId: key.id,
    label: key.label ?? "",
    teams: key.teamId ? { [key.teamId]: "member" } : {},
  });
}
