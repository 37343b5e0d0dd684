/**
 * The two steps between getting a sandbox and using it (./sandbox-runtime.ts): the workspace (the
 * agent's repository cloned on the host, and for a new session the agent's files, docs/files.md), and
 * the late bind that gives the harness its identity, session key, prompt, tools and context.
 */
import { AgentFilePlacementError, placeAgentFiles } from "../../../harness/files/place";
import { placeAgentFilesRemote } from "../../files/place-remote";
import { DestinationGuard } from "../../net/destinations";
import { type AgentDefinition, RuntimeError } from "../../runtimes/adapter";
import { type HarnessSetup, harnessSetup } from "./harness-setup";
import { cloneInto } from "./repo";
import type { Live, SandboxRuntimeDeps } from "./runtime-deps";

/** Clones the agent's repository (kept if the workspace has it), then places the agent's files in a new session's workspace. */
export async function prepareWorkspace(deps: SandboxRuntimeDeps, agent: AgentDefinition, ws: string, newSession: boolean): Promise<void> {
  const repo = agent.repoUrl ?? deps.preinstalledRepo;
  if (repo && deps.workspacePath) {
    const cloned = await cloneInto(deps.workspacePath(ws), repo, agent.repoBranch, {
      destinations: deps.destinations ?? new DestinationGuard(),
      trusted: !agent.repoUrl,
      logger: deps.logger,
      extraCaFile: deps.upstreamCaFile,
      token: agent.repoUrl ? await repoToken(deps, agent.id, agent.repoUrl) : undefined,
    });
    // A clone made on the host belongs to LAP's user: hand it to the sandbox's uid.
    if (cloned === "cloned") await deps.handOverWorkspace?.(ws);
  }
  // A new session's workspace gets the agent's files (docs/files.md); a recovered one keeps what the agent left.
  if (newSession && deps.workspacePath && deps.agentFiles) {
    const files = await deps.agentFiles(agent.id);
    try {
      if (placeAgentFiles(deps.workspacePath(ws), files)) await deps.handOverWorkspace?.(ws);
    } catch (err) {
      if (err instanceof AgentFilePlacementError) throw new RuntimeError(err.message);
      throw err;
    }
  }
}

/**
 * A pod's workspace (kubernetes: no `workspacePath` on LAP's disk) gets a new session's agent files
 * through its supervisor, after the bind that gave the supervisor its token (docs/files.md "Kubernetes").
 */
export async function placeFilesInSandbox(deps: SandboxRuntimeDeps, sandboxId: string, agent: AgentDefinition): Promise<void> {
  const request = deps.provider.workspaceRequest?.bind(deps.provider);
  if (deps.workspacePath || !request || !deps.agentFiles) return;
  const files = await deps.agentFiles(agent.id);
  if (!files.length) return;
  try {
    await placeAgentFilesRemote(
      (body) =>
        request(sandboxId, "/lap/files", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(120_000),
        }),
      files,
    );
  } catch (err) {
    if (err instanceof AgentFilePlacementError) throw new RuntimeError(err.message);
    throw new RuntimeError(`could not place the agent's files in the pod's workspace: ${(err as Error).message}`);
  }
}

/** The agent's vault secret bound to the repository's host (a private repository, docs/github.md). */
async function repoToken(deps: SandboxRuntimeDeps, agentId: string, repoUrl: string) {
  const host = URL.canParse(repoUrl) ? new URL(repoUrl).hostname.replace(/^\[(.*)\]$/, "$1") : null;
  return (host && (await deps.repoToken?.(agentId, host))) || undefined;
}

/**
 * Binds the sandbox to the session: a session key for the agent's model and MCP servers, the system
 * prompt with always-on memory (docs/memory.md), LAP's platform tools, and the rules and skills
 * (docs/skills.md). Returns what the harness was given, for `session.context`.
 */
export async function bindHarness(
  deps: SandboxRuntimeDeps,
  sandboxId: string,
  sessionId: string,
  agent: AgentDefinition,
  setup?: HarnessSetup,
): Promise<Live["given"]> {
  // The same fields a warm sandbox was prepared with (./harness-setup.ts), plus the session and its key.
  const s = setup ?? (await harnessSetup(deps, agent, sessionId));
  const gatewayKey = await deps.mintSessionKey({ sessionId, agentId: agent.id, model: agent.model, mcpServers: s.keyServers });
  const bound = await deps.provider.bind(sandboxId, { ...s.preparation, sessionId, gatewayKey, gatewayBaseUrl: deps.gatewayBaseUrl });
  // A warm hit whose pre-started harness the supervisor restarted at the bind started its CLI cold:
  // the pool counts it apart (./pool-stats.ts), not as a hit.
  if (bound?.harnessKept === false)
    await deps.database.query(
      `update sandboxes set start_kind = 'warm_restarted', updated_at = now() where sandbox_id = $1 and session_id = $2 and start_kind = 'warm'`,
      [sandboxId, sessionId],
    );
  return s.given;
}
