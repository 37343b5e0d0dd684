/**
 * Pods outlive LAP: after a restart, or on a replica that did not bind them, LAP's pod egress proxy
 * does not know a pod's credentials or policy, and would answer its traffic 407. Both come back from
 * the claim (sealed token, allow-list, the env holding the vault stubs the pod was given) and the
 * vault (the real values, by the stubs' variable names), so the same stubs keep working. Sandboxes
 * whose claims are gone (ended through another replica) are dropped. The whole list is restored at
 * start and on every reconcile pass; one pod on demand when its credentials reach the proxy first.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../../lib/logger";
import type { EgressPolicies, VaultSecret } from "../egress/policy";
import type { KubernetesSandboxProvider, SealedEgress } from "./provider";
import type { PodEgressProxy } from "./pod-egress";

/** `mintStubs` (../egress/policy.ts) makes every stub look like this. */
const isStub = (value: string) => value.startsWith("stub_");

export interface RestoreEgressDeps {
  provider: Pick<KubernetesSandboxProvider, "sealedEgress" | "sealedEgressOf">;
  proxy: Pick<PodEgressProxy, "knows" | "register" | "unregister" | "registeredBefore">;
  policies: EgressPolicies;
  /** Real values by name; a name the vault no longer has is left a stub (never swapped). */
  resolve?: (names: string[], sandboxId: string) => Promise<VaultSecret[]>;
  logger: Logger;
}

export async function restorePodEgress(deps: RestoreEgressDeps): Promise<string[]> {
  const restored: string[] = [];
  const listedAt = Date.now();
  const live = await deps.provider.sealedEgress();
  // A claim deleted through another replica: its pod is gone, so is its egress here.
  const liveIds = new Set(live.map((p) => p.id));
  for (const id of deps.proxy.registeredBefore(listedAt)) if (!liveIds.has(id)) deps.proxy.unregister(id);
  for (const pod of live) if (await registerFromClaim(deps, pod)) restored.push(pod.id);
  if (restored.length) deps.logger.info({ sandboxes: restored }, "egress of running sandbox pods restored from their claims");
  return restored;
}

/**
 * One sandbox the proxy was just asked about and does not know: its claim (one GET), then the same
 * restore as above. False when it has no live claim of this installation (the caller caches the miss).
 */
export async function restoreOnePodEgress(deps: RestoreEgressDeps, id: string): Promise<boolean> {
  const pod = await deps.provider.sealedEgressOf(id);
  if (!pod) return false;
  if (await registerFromClaim(deps, pod))
    deps.logger.info({ sandbox_id: id }, "egress of a sandbox pod bound elsewhere restored on its first request here");
  return true;
}

/** Registers one pod's egress from its claim unless the proxy already knows it; true when it did. */
async function registerFromClaim(deps: RestoreEgressDeps, pod: SealedEgress): Promise<boolean> {
  if (deps.proxy.knows(pod.id)) return false;
  const stubNames = Object.keys(pod.env).filter((name) => isStub(pod.env[name]!));
  const secrets: VaultSecret[] = [];
  for (const name of stubNames) {
    const found = await deps.resolve?.([name], pod.id).catch(() => []);
    if (found?.[0]) secrets.push(found[0]);
    else deps.logger.warn({ sandbox_id: pod.id, secret: name }, "vault secret of a running pod is gone; its stub stays a stub");
  }
  // The pass and an on-demand lookup may both reach here for one pod while the vault answered: first one wins.
  if (deps.proxy.knows(pod.id)) return false;
  const policyId = `egp_${randomBytes(6).toString("hex")}`;
  deps.policies.set(policyId, {
    allowHosts: pod.allowHosts,
    stubs: secrets.map((s) => ({ stub: pod.env[s.name]!, name: s.name, real: s.value, hosts: s.hosts })),
  });
  deps.proxy.register(pod.id, { token: pod.token, policyId, allowHosts: pod.allowHosts });
  return true;
}
