import type { SecretBox } from "../../lib/crypto";
import { SandboxError } from "../provider";
import { LAP, type KubeObject } from "./resources";

/**
 * What LAP seals into a claim's annotation (encrypted with ENCRYPTION_KEY): the supervisor token, the
 * per-session env and the pod's egress credentials, so any LAP replica (or LAP after a restart) can reach
 * and serve a pod it did not bind (docs/kubernetes.md).
 */
export interface Sealed {
  token: string;
  env: Record<string, string>;
  /** Password of this sandbox at LAP's pod egress proxy (pod-egress.ts); absent on claims made before it existed. */
  egressToken?: string;
  allowHosts?: string[];
}

/** A live claim's egress credentials and policy inputs, unsealed (see `sealedEgress`). */
export interface SealedEgress {
  id: string;
  token: string;
  allowHosts: string[];
  /** The env the pod was given, holding its vault stubs. */
  env: Record<string, string>;
}

/** The sealed annotation of a claim, decrypted; a claim LAP did not make, or made under another key, is an error saying so. */
export function unsealClaim(box: SecretBox, claim: KubeObject): Sealed {
  const raw = claim.metadata.annotations?.[LAP.supervisorToken];
  if (!raw) throw new SandboxError("failed", `sandbox ${claim.metadata.name} has no supervisor token (not created by LAP?)`);
  try {
    return JSON.parse(box.decrypt(raw)) as Sealed;
  } catch (err) {
    throw new SandboxError(
      "failed",
      `sandbox ${claim.metadata.name}: supervisor token cannot be decrypted (${(err as Error).message}); was ENCRYPTION_KEY changed?`,
    );
  }
}

/** A claim's egress credentials, or null when it is being deleted, holds none, or cannot be unsealed. */
export function sealedEgressFrom(box: SecretBox, c: KubeObject): SealedEgress | null {
  if (c.metadata.deletionTimestamp) return null;
  try {
    const sealed = unsealClaim(box, c);
    return sealed.egressToken
      ? { id: c.metadata.name, token: sealed.egressToken, allowHosts: sealed.allowHosts ?? [], env: sealed.env }
      : null;
  } catch {
    return null;
  }
}
