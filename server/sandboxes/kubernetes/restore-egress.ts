/**
 * Pods outlive LAP: after a restart, or on a replica that did not bind them, LAP's pod egress proxy
 * does not know a pod's credentials or policy, and would answer its traffic 407. Both come back from
 * the claim (sealed token, allow-list, the env holding the vault stubs the pod was given) and the
 * vault (the real values, by the stubs' variable names), so the same stubs keep working. Sandboxes
 * whose claims are gone (ended through another replica) are dropped.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../../lib/logger";
import type { EgressPolicies, VaultSecret } from "../egress/policy";
import type { KubernetesSandboxProvider } from "./provider";
import type { PodEgressProxy } from "./pod-egress";

/** `mintStubs` (../egress/policy.ts) makes every stub look like this. */
const isStub = (value: string) => value.startsWith("stub_");

export async function restorePodEgress(deps: {
  provider: Pick<KubernetesSandboxProvider, "sealedEgress">;
  proxy: Pick<PodEgressProxy, "knows" | "register" | "unregister" | "registeredBefore">;
  policies: EgressPolicies;
  /** Real values by name; a name the vault no longer has is left a stub (never swapped). */
  resolve?: (names: string[]) => Promise<VaultSecret[]>;
  logger: Logger;
}): Promise<string[]> {
  const restored: string[] = [];
  const listedAt = Date.now();
  const live = await deps.provider.sealedEgress();
  // A claim deleted through another replica: its pod is gone, so is its egress here.
  const liveIds = new Set(live.map((p) => p.id));
  for (const id of deps.proxy.registeredBefore(listedAt)) if (!liveIds.has(id)) deps.proxy.unregister(id);
  for (const pod of live) {
    if (deps.proxy.knows(pod.id)) continue;
    const stubNames = Object.keys(pod.env).filter((name) => isStub(pod.env[name]!));
    const secrets: VaultSecret[] = [];
    for (const name of stubNames) {
      const found = await deps.resolve?.([name]).catch(() => []);
      if (found?.[0]) secrets.push(found[0]);
      else deps.logger.warn({ sandbox_id: pod.id, secret: name }, "vault secret of a running pod is gone; its stub stays a stub");
    }
    const policyId = `egp_${randomBytes(6).toString("hex")}`;
    deps.policies.set(policyId, {
      allowHosts: pod.allowHosts,
      stubs: secrets.map((s) => ({ stub: pod.env[s.name]!, name: s.name, real: s.value, hosts: s.hosts })),
    });
    deps.proxy.register(pod.id, { token: pod.token, policyId, allowHosts: pod.allowHosts });
    restored.push(pod.id);
  }
  if (restored.length) deps.logger.info({ sandboxes: restored }, "egress of running sandbox pods restored from their claims");
  return restored;
}
