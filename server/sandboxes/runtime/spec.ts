/**
 * What a sandbox for an agent looks like, and its hash: a warm sandbox is only handed to a session
 * while the hash matches (harness, image, plain env, egress hosts), else it is recycled.
 */
import { createHash } from "node:crypto";
import { randomBytes } from "node:crypto";
import { type EgressPolicies, mintStubs, type VaultSecret } from "../egress/policy";
import type { SandboxSpec } from "../provider";
import { containerEnv } from "../secrets/container-env";

export interface AgentForSandbox {
  id: string;
  harness: string;
  environment: Record<string, string>;
  egressAllowHosts?: string[];
  image?: string;
}

/**
 * Vault secrets become per-sandbox stubs in the env; their real values stay in `policies` (LAP's
 * memory) for the egress proxy. The hash covers secret names and hosts, not the random stubs.
 */
export function sandboxSpecFor(
  agent: AgentForSandbox,
  lapEnv: Record<string, string | undefined>,
  vault?: { secrets: VaultSecret[]; policies: EgressPolicies },
): { spec: SandboxSpec; hash: string } {
  const harness = agent.harness === "default" ? "builtin" : agent.harness;
  const allowHosts = [...new Set([...(agent.egressAllowHosts ?? []), ...(vault?.secrets.flatMap((s) => s.hosts) ?? [])])];
  // CONTAINER_ENV_* is the lowest layer; the agent's own plain environment overrides it; stubs win.
  const env = { ...containerEnv(lapEnv), ...agent.environment };
  const labels: Record<string, string> = { agent_id: agent.id };
  if (vault) {
    const { env: stubEnv, rules } = mintStubs(vault.secrets);
    Object.assign(env, stubEnv);
    labels.egress_policy = `egp_${randomBytes(6).toString("hex")}`;
    vault.policies.set(labels.egress_policy, { allowHosts, stubs: rules });
  }
  const spec: SandboxSpec = { harness, image: agent.image, env, workspaceId: "", egressAllowHosts: allowHosts, labels };
  const plainEnv = Object.entries(env).filter(([k]) => !vault?.secrets.some((s) => s.name === k)).sort();
  const secretShape = (vault?.secrets ?? []).map((s) => [s.name, [...s.hosts].sort(), createHash("sha256").update(s.value).digest("hex").slice(0, 8)]).sort();
  const hash = createHash("sha256")
    .update(JSON.stringify([harness, agent.image ?? null, plainEnv, allowHosts.sort(), secretShape]))
    .digest("hex")
    .slice(0, 16);
  return { spec, hash };
}
