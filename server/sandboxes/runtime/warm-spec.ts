/**
 * What the warm pool starts for an agent (../warm-pool.ts): its sandbox spec, and, once the sandbox
 * runtime is in use (it holds what a harness setup needs: MCP servers, rules and skills, memory), the
 * harness setup to pre-start, for the owner of the agent's latest session (whose always-on memory a
 * next session most likely gets). The slot's hash covers both, as a session's claim does
 * (./sandbox-runtime.ts), so a slot set up for something else is never claimed, and is recycled.
 */
import type { Database } from "../../db/client";
import type { SandboxSessionsPort } from "../ports";
import type { AgentSandboxSpec } from "../warm-pool";
import { harnessSetup, loadAgentDefinition, slotHash } from "./harness-setup";
import type { SandboxRuntimeDeps } from "./runtime-deps";

export type SetupDeps = Pick<SandboxRuntimeDeps, "mcpServersFor" | "contextFor" | "sessionContext" | "gatewayBaseUrl">;

export async function warmSpecFor(
  database: Pick<Database, "query">,
  sessions: Pick<SandboxSessionsPort, "latestSessionOf">,
  agentId: string,
  base: { spec: AgentSandboxSpec["spec"]; hash: string },
  setupDeps: SetupDeps | null,
): Promise<AgentSandboxSpec | null> {
  if (!setupDeps) return base;
  const agent = await loadAgentDefinition(database, agentId);
  if (!agent) return null;
  const setup = await harnessSetup(setupDeps, agent, await sessions.latestSessionOf(agentId));
  return {
    spec: base.spec,
    hash: slotHash(base.hash, setup.hash),
    prepare: { preparation: setup.preparation, gatewayBaseUrl: setupDeps.gatewayBaseUrl },
  };
}
