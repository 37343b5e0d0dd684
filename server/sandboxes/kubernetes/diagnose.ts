import type { SandboxError } from "../provider";
import { conditionOf, type KubeObject } from "./resources";

/**
 * Reads a pod the way an operator would and names what keeps it from serving. `fatal` problems fail
 * the wait at once (kubelet back-off means it already failed and will only retry slower); the others
 * (first pull error, unschedulable: an autoscaler may still add a node) fail only at the timeout,
 * with this message instead of a bare "timed out".
 */
export interface PodProblem {
  reason: SandboxError["reason"];
  fatal: boolean;
  message: string;
}

const IMAGE_FATAL = new Set(["ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"]);

export function diagnosePod(pod: KubeObject | null | undefined, pullPolicy?: string): PodProblem | null {
  if (!pod) return null;
  // biome-ignore lint/suspicious/noExplicitAny: container statuses as the API server sends them, read defensively
  const statuses: any[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const cs of statuses) {
    const waiting = cs.state?.waiting;
    if (!waiting?.reason) continue;
    const detail = `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`;
    if (IMAGE_FATAL.has(waiting.reason) || waiting.reason === "ErrImagePull") {
      const hint =
        waiting.reason === "ErrImageNeverPull" || pullPolicy === "Never"
          ? " (K8S_IMAGE_PULL_POLICY=Never needs the image preloaded on every node, e.g. `kind load docker-image`; use IfNotPresent with a registry)"
          : "";
      return {
        reason: "image_pull",
        fatal: IMAGE_FATAL.has(waiting.reason),
        message: `image "${cs.image}" cannot be pulled (${detail})${hint}`,
      };
    }
    if (waiting.reason === "CrashLoopBackOff") {
      const last = cs.lastState?.terminated;
      const exit = last ? ` last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ""},` : "";
      return {
        reason: "crash_loop",
        fatal: true,
        message: `container "${cs.name}" keeps crashing:${exit} restarted ${cs.restartCount ?? 0} times (${detail})`,
      };
    }
    if (waiting.reason === "CreateContainerConfigError" || waiting.reason === "RunContainerError")
      return { reason: "failed", fatal: true, message: `container "${cs.name}" cannot start (${detail})` };
  }
  if (pod.status?.phase === "Failed") {
    const t = statuses.find((cs) => cs.state?.terminated)?.state?.terminated;
    return {
      reason: "failed",
      fatal: true,
      message: `pod failed${t ? ` (exit code ${t.exitCode}${t.reason ? `, ${t.reason}` : ""})` : pod.status?.reason ? ` (${pod.status.reason})` : ""}`,
    };
  }
  const scheduled = conditionOf(pod, "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable")
    return { reason: "unschedulable", fatal: false, message: `pod cannot be scheduled: ${scheduled.message ?? "no node fits"}` };
  return null;
}

/** Pod is serving: Running, Ready, has an IP, and is not on its way out. */
export const podServing = (pod: KubeObject | null | undefined): boolean =>
  Boolean(
    pod &&
      !pod.metadata.deletionTimestamp &&
      pod.status?.phase === "Running" &&
      pod.status?.podIP &&
      conditionOf(pod, "Ready")?.status === "True",
  );
