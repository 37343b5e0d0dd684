import { createHash } from "node:crypto";
import type { SandboxHandle, SandboxState } from "../provider";
import { diagnosePod, podServing } from "./diagnose";
import { AS, conditionOf, LAP, type KubeObject } from "./resources";

/** How a claim, its Sandbox and its pod read as LAP's sandbox handle, and the labels LAP puts on claims. */

export const labelSafe = (v: string) => createHash("sha256").update(v).digest("hex").slice(0, 16);

/** A valid label value (≤63 chars, alphanumeric at both ends, `-_.` inside) that still reads like the input. */
export const labelValue = (v: string) =>
  v
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "") || "unknown";

/** The claim, its Sandbox and pod as a sandbox handle: state from the claim's Ready condition and the pod's health. */
export function claimHandle(
  claim: KubeObject,
  sandbox: KubeObject | null,
  pod: KubeObject | null,
  opts: { namespace: string; pullPolicy: string; workspacePersistent: boolean },
): SandboxHandle {
  const problem = diagnosePod(pod, opts.pullPolicy);
  const ready = conditionOf(claim, "Ready");
  let state: SandboxState = "provisioning";
  let error: string | undefined;
  if (claim.metadata.deletionTimestamp) state = "terminating";
  else if (sandbox?.spec?.operatingMode === "Suspended") state = "stopped";
  else if (problem?.fatal) [state, error] = ["failed", problem.message];
  else if (ready?.status === "True" && podServing(pod)) state = "ready";
  else if (ready?.reason === "WarmPoolNotFound") [state, error] = ["failed", ready.message];
  else if (problem) error = problem.message;
  const specLabels = specLabelsOf(claim);
  return {
    id: claim.metadata.name,
    provider: "kubernetes",
    state,
    workspaceId: claim.metadata.annotations?.["lap.dev/workspace-id"] ?? "",
    labels: specLabels,
    createdAt: new Date(claim.metadata.creationTimestamp ?? Date.now()),
    info: {
      namespace: opts.namespace,
      claim: claim.metadata.name,
      pool: claim.spec?.warmPoolRef?.name ?? null,
      image: claim.metadata.annotations?.["lap.dev/image"] ?? null,
      sandbox: sandbox?.metadata.name ?? null,
      pod: pod?.metadata.name ?? null,
      node: pod?.spec?.nodeName ?? sandbox?.status?.nodeName ?? null,
      podIP: pod?.status?.podIP ?? null,
      phase: pod ? (pod.metadata.deletionTimestamp ? "Terminating" : (pod.status?.phase ?? "Pending")) : null,
      launch: sandbox?.metadata.labels?.[AS.launchType] ?? null,
      workspace: opts.workspacePersistent ? "volume" : "emptyDir",
    },
    ...(error ? { error } : {}),
  };
}

/** The spec's labels (agent, egress policy id) kept on the claim. */
export function specLabelsOf(claim: KubeObject): Record<string, string> {
  try {
    return JSON.parse(claim.metadata.annotations?.[LAP.specLabels] ?? "{}");
  } catch {
    return {};
  }
}

export const sandboxNameOf = (claim: KubeObject): string | undefined =>
  claim.status?.sandbox?.name ?? claim.metadata.annotations?.[AS.sandboxName];

/** A live pod if there is one; a terminating one only when nothing else exists (never as "ready"). */
export function pickPod(pods: KubeObject[]): KubeObject | null {
  return pods.find((p) => !p.metadata.deletionTimestamp) ?? pods[0] ?? null;
}
