import type { AgentSandboxSettingsPort, SandboxSessionsPort } from "../ports";
import type { AgentSandboxSpec } from "../warm-pool";
import { harnessSetup, slotHash } from "./harness-setup";
import type { SandboxRuntimeDeps } from "./runtime-deps";

export type SetupDeps = Pick<SandboxRuntimeDeps, "mcpServersFor" | "contextFor" | "sessionContext" | "gatewayBaseUrl">;

export async function warmSpecFor(
  agents: Pick<AgentSandboxSettingsPort, "definition">,
  sessions: Pick<SandboxSessionsPort, "latestSessionOf">,
  agentId: string,
  base: { spec: AgentSandboxSpec["spec"]; hash: string },
  setupDeps: SetupDeps | null,
): Promise<AgentSandboxSpec | null> {
  if (!setupDeps) return base;
  const agent = await agents.definition(agentId);
  if (!agent) return null;
  const setup = await harnessSetup(setupDeps, agent, await sessions.latestSessionOf(agentId));
  return {
    spec: base.spec,
    hash: slotHash(base.hash, setup.hash),
    prepare: { preparation: setup.preparation, gatewayBaseUrl: setupDeps.gatewayBaseUrl },
  };
}
