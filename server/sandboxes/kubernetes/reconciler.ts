import type { Logger } from "../../lib/logger";
import type { SandboxHandle } from "../provider";
import type { KubeClient } from "./client";
import type { KubernetesSandboxProvider } from "./provider";
import { AS, LAP, SANDBOX, SANDBOX_CLAIM } from "./resources";
import type { KubernetesWarmPools } from "./warm-pool";

/**
 * After a LAP restart (and periodically): removes what no live session or agent owns, and tells the
 * caller which sandboxes it may re-attach. `isOwned(handle)` is the sessions layer's answer ("a
 * non-terminal session points at this sandbox id"). A sandbox whose claim or pod is terminating is
 * never offered for re-attachment: it is about to disappear, and a recovered session must wait for
 * a replacement pod rather than bind to one that is going away.
 */
export interface ReconcileResult {
  /** Owned and serving: the session can carry on with it (connect; the supervisor is still bound). */
  reattach: SandboxHandle[];
  /** Owned but not serving (pod lost or terminating, provisioning): recovery waits for it or replaces it. */
  recovering: SandboxHandle[];
  /** Claims deleted because nothing owns them. */
  deletedClaims: string[];
  /** LAP sandboxes with no claim at all (claim deleted while LAP was down, cascade not finished). */
  deletedSandboxes: string[];
  /** Warm sandboxes older than WARM_POOL_TTL_MINUTES, recycled. */
  recycledWarm: string[];
  /** Templates and pools of an older configuration with no claims left. */
  removedPools: string[];
}

export async function reconcileKubernetes(deps: {
  kube: KubeClient;
  namespace: string;
  instance: string;
  provider: KubernetesSandboxProvider;
  pools: KubernetesWarmPools;
  isOwned(handle: SandboxHandle): Promise<boolean> | boolean;
  warmTtlMs: number;
  logger?: Logger;
}): Promise<ReconcileResult> {
  const { kube, namespace, provider } = deps;
  const result: ReconcileResult = {
    reattach: [],
    recovering: [],
    deletedClaims: [],
    deletedSandboxes: [],
    recycledWarm: [],
    removedPools: [],
  };
  const handles = await provider.list();
  for (const h of handles) {
    if (h.state === "terminating") continue;
    if (!(await deps.isOwned(h))) {
      await provider.destroy(h.id);
      result.deletedClaims.push(h.id);
    } else if (h.state === "ready") result.reattach.push(h);
    else result.recovering.push(h);
  }
  const sel = `${LAP.managed}=true,${LAP.instance}=${deps.instance}`;
  // Sandboxes before claims: a claim is created before its sandbox, so every sandbox listed here has
  // its claim in the later list unless that claim is really gone. (Claims first would miss a session's
  // claim made between the two lists and delete its brand-new sandbox as an orphan.)
  const sandboxes = await kube.list(SANDBOX, namespace);
  const claims = await kube.list(SANDBOX_CLAIM, namespace, { labelSelector: sel });
  const claimUids = new Set(claims.items.map((c) => c.metadata.uid));
  // Cold sandboxes carry the claim as owner; warm pool members are the pool's business.
  for (const sb of sandboxes.items) {
    if (sb.metadata.labels?.[AS.warmPoolSandbox] || sb.metadata.deletionTimestamp) continue;
    const owner = sb.metadata.ownerReferences?.find((r) => r.kind === "SandboxClaim");
    const ours =
      sb.spec?.podTemplate?.metadata?.labels?.[LAP.instance] === deps.instance || sb.metadata.labels?.[LAP.instance] === deps.instance;
    if (ours && owner && !claimUids.has(owner.uid)) {
      await kube.delete(SANDBOX, namespace, sb.metadata.name);
      result.deletedSandboxes.push(sb.metadata.name);
    }
  }
  result.recycledWarm = await deps.pools.recycleExpired(deps.warmTtlMs);
  result.removedPools = await deps.pools.removeStale(claims.items.filter((c) => !result.deletedClaims.includes(c.metadata.name)));
  if (result.deletedClaims.length || result.deletedSandboxes.length || result.removedPools.length)
    deps.logger?.info(
      { ...result, reattach: result.reattach.length, recovering: result.recovering.length },
      "kubernetes reconcile removed orphans",
    );
  return result;
}
