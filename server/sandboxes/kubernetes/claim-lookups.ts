/**
 * Reading a sandbox's objects from the API server for the kubernetes provider (./provider.ts): a claim
 * with its Sandbox and current pod, this installation's claims with theirs, and the egress credentials
 * sealed in its live claims.
 */
import type { SecretBox } from "../../lib/crypto";
import { pickPod, sandboxNameOf } from "./claim-handle";
import type { KubeClient } from "./client";
import { AS, type KubeObject, LAP, POD, SANDBOX, SANDBOX_CLAIM } from "./resources";
import { type SealedEgress, sealedEgressFrom } from "./sealed";

/** Where this installation's objects are: its namespace and the instance label scoping them in it. */
export interface ClaimScope {
  kube: KubeClient;
  namespace: string;
  instance: string;
}

export interface ClaimParts {
  claim: KubeObject | null;
  sandbox: KubeObject | null;
  pod: KubeObject | null;
}

const installationSelector = (scope: ClaimScope) => `${LAP.managed}=true,${LAP.instance}=${scope.instance}`;

/** Claim, its Sandbox and the current pod (a live one preferred over a terminating one). */
export async function claimParts(kube: KubeClient, ns: string, id: string): Promise<ClaimParts> {
  const claim = await kube.find<KubeObject>(SANDBOX_CLAIM, ns, id);
  if (!claim) return { claim: null, sandbox: null, pod: null };
  const sbName = sandboxNameOf(claim);
  const [sandbox, pods] = await Promise.all([
    sbName ? kube.find<KubeObject>(SANDBOX, ns, sbName) : Promise.resolve(null),
    kube.list(POD, ns, { labelSelector: `${LAP.sandboxId}=${id}` }),
  ]);
  let pod = pickPod(pods.items);
  if (!pod && sandbox) pod = await kube.find<KubeObject>(POD, ns, sandbox.metadata.annotations?.[AS.podName] ?? sandbox.metadata.name);
  return { claim, sandbox, pod };
}

/** Every claim of this installation with its Sandbox and pod, in three list calls. */
export async function installationClaims(scope: ClaimScope): Promise<(ClaimParts & { claim: KubeObject })[]> {
  const { kube, namespace: ns } = scope;
  const sel = installationSelector(scope);
  const [claims, sandboxes, pods] = await Promise.all([
    kube.list(SANDBOX_CLAIM, ns, { labelSelector: sel }),
    kube.list(SANDBOX, ns),
    kube.list(POD, ns, { labelSelector: sel }),
  ]);
  return claims.items.map((c) => {
    const sbName = sandboxNameOf(c);
    const sb = sandboxes.items.find((s) => s.metadata.name === sbName) ?? null;
    const pod = pickPod(pods.items.filter((p) => p.metadata.labels?.[LAP.sandboxId] === c.metadata.name));
    return { claim: c, sandbox: sb, pod };
  });
}

/**
 * The egress credentials sealed in this installation's live claims (token, allow-list, the env with
 * its vault stubs), so a LAP that did not bind a pod (after a restart, or another replica) can serve
 * its egress. Claims it cannot unseal are skipped (made with another ENCRYPTION_KEY).
 */
export async function installationSealedEgress(scope: ClaimScope, secretBox: SecretBox): Promise<SealedEgress[]> {
  const claims = await scope.kube.list(SANDBOX_CLAIM, scope.namespace, { labelSelector: installationSelector(scope) });
  return claims.items.flatMap((c) => sealedEgressFrom(secretBox, c) ?? []);
}

/**
 * The same for one sandbox (one GET): null when its claim does not exist, is being deleted, is not
 * this installation's, or cannot be unsealed. The pod egress proxy asks this on credentials it does not know.
 */
export async function claimSealedEgress(scope: ClaimScope, secretBox: SecretBox, id: string): Promise<SealedEgress | null> {
  const claim = await scope.kube.find<KubeObject>(SANDBOX_CLAIM, scope.namespace, id);
  const labels = claim?.metadata.labels;
  if (!claim || labels?.[LAP.managed] !== "true" || labels[LAP.instance] !== scope.instance) return null;
  return sealedEgressFrom(secretBox, claim);
}
