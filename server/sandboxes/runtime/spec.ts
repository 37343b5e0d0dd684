/**
 * What a sandbox for an agent looks like, and its hash: a warm sandbox is only handed to a session
 * while the hash matches (harness, image, plain env, egress hosts), else it is recycled.
 */
import { createHash } from "node:crypto";
import { randomBytes } from "node:crypto";
import { type EgressPolicies, mintStubs, type VaultSecret } from "../egress/policy";
import type { SandboxSpec } from "../provider";

export interface AgentForSandbox {
  id: string;
  harness: string;
  environment: Record<string, string>;
  egressAllowHosts?: string[];
  image?: string;
}

/**
 * `containerEnv` is LAP's CONTAINER_ENV_* as sandboxes see them (settings.ts SandboxHostEnv).
 * Vault secrets become per-sandbox stubs in the env; their real values stay in `policies` (LAP's
 * memory) for the egress proxy. The hash covers secret names and hosts, not the random stubs.
 */
export function sandboxSpecFor(
  agent: AgentForSandbox,
  containerEnv: Record<string, string>,
  vault?: { secrets: VaultSecret[]; policies: EgressPolicies },
): { spec: SandboxSpec; hash: string } {
  const harness = agent.harness === "default" ? "builtin" : agent.harness;
  const allowHosts = [...new Set([...(agent.egressAllowHosts ?? []), ...(vault?.secrets.flatMap((s) => s.hosts) ?? [])])];
  // CONTAINER_ENV_* is the lowest layer; the agent's own plain environment overrides it; stubs win.
  const env = { ...containerEnv, ...agent.environment };
  const labels: Record<string, string> = { agent_id: agent.id };
  if (vault) {
    const { env: stubEnv, rules } = mintStubs(vault.secrets);
    Object.assign(env, stubEnv, gitCredentialEnv(vault.secrets, env));
    labels.egress_policy = `egp_${randomBytes(6).toString("hex")}`;
    vault.policies.set(labels.egress_policy, { allowHosts, stubs: rules });
  }
  const spec: SandboxSpec = { harness, image: agent.image, env, workspaceId: "", egressAllowHosts: allowHosts, labels };
  const plainEnv = Object.entries(env)
    .filter(([k]) => !vault?.secrets.some((s) => s.name === k))
    .sort();
  const secretShape = (vault?.secrets ?? [])
    .map((s) => [s.name, [...s.hosts].sort(), createHash("sha256").update(s.value).digest("hex").slice(0, 8)])
    .sort();
  const hash = createHash("sha256")
    .update(JSON.stringify([harness, agent.image ?? null, plainEnv, allowHosts.sort(), secretShape]))
    .digest("hex")
    .slice(0, 16);
  return { spec, hash };
}

/**
 * git in the sandbox answers a host's credential request with the stub of the first vault secret bound
 * to that host (docs/github.md), set through GIT_CONFIG_* variables (no file to write): git hands the
 * helper `host=<name[:port]>`, the helper matches the name against the secrets' host patterns (shell
 * `case` globs, so `*.example.com` works) and prints `x-access-token:<stub>`; the egress proxy swaps
 * the stub for the real token toward those hosts only.
 */
export function gitCredentialEnv(secrets: VaultSecret[], env: Record<string, string>): Record<string, string> {
  const arms: string[] = [];
  const seen = new Set<string>();
  for (const s of secrets) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.name)) continue;
    const hosts = s.hosts.map((h) => h.replace(/:\d+$/, "").toLowerCase()).filter((h) => /^[a-z0-9*.-]+$/.test(h) && !seen.has(h));
    for (const h of hosts) seen.add(h);
    if (hosts.length) arms.push(`${hosts.join("|")}) v="$${s.name}";;`);
  }
  if (!arms.length) return {};
  const n = Number(env.GIT_CONFIG_COUNT) || 0;
  const helper = `!f() { test "$1" = get || return 0; h=$(sed -n 's/^host=//p' | sed 's/:[0-9]*$//' | tr A-Z a-z); case "$h" in ${arms.join(" ")} *) return 0;; esac; printf 'username=x-access-token\\npassword=%s\\n' "$v"; }; f`;
  return { GIT_CONFIG_COUNT: String(n + 1), [`GIT_CONFIG_KEY_${n}`]: "credential.helper", [`GIT_CONFIG_VALUE_${n}`]: helper };
}
