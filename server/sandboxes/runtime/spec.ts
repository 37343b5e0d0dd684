/**
 * What a sandbox for an agent looks like, and its hash: a warm sandbox is only handed to a session
 * while the hash matches (harness, image, plain env, egress hosts), else it is recycled.
 */
import { createHash } from "node:crypto";
import type { SandboxSpec } from "../provider";
import { containerEnv } from "../secrets/container-env";

export interface AgentForSandbox {
  id: string;
  harness: string;
  environment: Record<string, string>;
  egressAllowHosts?: string[];
  image?: string;
}

export function sandboxSpecFor(agent: AgentForSandbox, lapEnv: Record<string, string | undefined>): { spec: SandboxSpec; hash: string } {
  const harness = agent.harness === "default" ? "builtin" : agent.harness;
  // CONTAINER_ENV_* is the lowest layer; the agent's own plain environment overrides it.
  const env = { ...containerEnv(lapEnv), ...agent.environment };
  const spec: SandboxSpec = { harness, image: agent.image, env, workspaceId: "", egressAllowHosts: agent.egressAllowHosts ?? [], labels: { agent_id: agent.id } };
  const hash = createHash("sha256")
    .update(JSON.stringify([harness, agent.image ?? null, Object.entries(env).sort(), [...(agent.egressAllowHosts ?? [])].sort()]))
    .digest("hex")
    .slice(0, 16);
  return { spec, hash };
}
