/**
 * The SandboxClaim of a new kubernetes sandbox (./provider.ts), against the warm pool of its harness
 * image. The claim carries no env (that would force a cold start): the supervisor token, the spec's env
 * beyond CONTAINER_ENV_* and the pod's egress credentials are sealed in an annotation for the bind. The
 * claim name is the sandbox id, random per create unless the spec names it.
 */
import { randomBytes } from "node:crypto";
import type { SecretBox } from "../../lib/crypto";
import type { Logger } from "../../lib/logger";
import { SandboxError, type SandboxSpec } from "../provider";
import { labelSafe, labelValue } from "./claim-handle";
import { KubeApiError, type KubeClient } from "./client";
import { type KubeObject, LAP, SANDBOX_CLAIM } from "./resources";
import type { Sealed } from "./sealed";
import type { KubernetesWarmPools } from "./warm-pool";

/** The provider's settings a claim is made from (KubernetesProviderDeps in ./provider.ts). */
export interface ClaimCreationDeps {
  kube: KubeClient;
  namespace: string;
  pools: KubernetesWarmPools;
  secretBox: SecretBox;
  instance: string;
  containerEnv: Record<string, string>;
  logger?: Logger;
}

/** The sandbox id and its claim (made now, or an earlier create's under the same name: existingClaim). */
export async function createSandboxClaim(deps: ClaimCreationDeps, spec: SandboxSpec): Promise<{ id: string; claim: KubeObject }> {
  const image = deps.pools.imageFor(spec.harness, spec.image);
  const pool = await deps.pools.ensure(image);
  const id = spec.name ?? `lap-${randomBytes(6).toString("hex")}`;
  const extraEnv = Object.fromEntries(Object.entries(spec.env).filter(([k, v]) => deps.containerEnv[k] !== v));
  const sealed: Sealed = {
    token: randomBytes(24).toString("base64url"),
    env: extraEnv,
    egressToken: randomBytes(24).toString("base64url"),
    allowHosts: spec.egressAllowHosts ?? [],
  };
  const labels = {
    [LAP.managed]: "true",
    [LAP.instance]: deps.instance,
    [LAP.sandboxId]: id,
    [LAP.workspace]: labelSafe(spec.workspaceId),
  };
  const claim = await deps.kube
    .create<KubeObject>(SANDBOX_CLAIM, deps.namespace, {
      metadata: {
        name: id,
        labels: { ...labels, [LAP.harness]: labelValue(spec.harness) },
        annotations: {
          [LAP.supervisorToken]: deps.secretBox.encrypt(JSON.stringify(sealed)),
          [LAP.specLabels]: JSON.stringify(spec.labels ?? {}),
          "lap.dev/workspace-id": spec.workspaceId,
          "lap.dev/image": image,
          "lap.dev/harness": spec.harness,
        },
      },
      spec: { warmPoolRef: { name: pool }, additionalPodMetadata: { labels }, lifecycle: { shutdownPolicy: "Delete" } },
    })
    .catch((err) => existingClaim(deps, err, id, labels[LAP.workspace]!));
  return { id, claim };
}

/**
 * 409 AlreadyExists on a named create: another replica (or a retry whose first answer was lost) made
 * this claim. It is ours to use when it is for the same workspace and not going away; otherwise the
 * name belongs to something else and creating fails.
 */
async function existingClaim(deps: ClaimCreationDeps, err: unknown, id: string, workspaceLabel: string): Promise<KubeObject> {
  if (!(err instanceof KubeApiError) || err.status !== 409) throw err;
  const existing = await deps.kube.find<KubeObject>(SANDBOX_CLAIM, deps.namespace, id);
  if (!existing || existing.metadata.deletionTimestamp || existing.metadata.labels?.[LAP.workspace] !== workspaceLabel)
    throw new SandboxError("failed", `sandbox ${id} already exists for another workspace or is being deleted (409 from the API server)`);
  deps.logger?.info({ sandbox: id }, "kubernetes claim already created (another replica or a retry); using it");
  return existing;
}
