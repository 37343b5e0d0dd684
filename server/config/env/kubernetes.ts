/** Sandboxes on Kubernetes (LAP_SANDBOX=kubernetes, agent-sandbox). */
import { z } from "zod";
import { describedIn, intFromEnv, optionalString, urlString } from "./fields";

const { plain } = describedIn("Kubernetes");

export const kubernetesEnv = {
  K8S_NAMESPACE: z.string().default("default").meta(plain("Namespace for agent-sandbox resources.")),
  K8S_IMAGE_PULL_POLICY: z
    .enum(["Always", "IfNotPresent", "Never"])
    .default("Never")
    .meta(
      plain(
        "Pull policy of sandbox pods. Never suits kind with loaded images; use IfNotPresent or Always with a registry (else ErrImageNeverPull).",
      ),
    ),
  K8S_HARNESS_IMAGE: z.string().default("opencode-sandbox:dev").meta(plain("Default sandbox image, fallback for every harness.")),
  K8S_HARNESS_IMAGE_OPENCODE: optionalString.meta(plain("Image for the opencode harness (falls back to K8S_HARNESS_IMAGE).")),
  K8S_HARNESS_IMAGE_CLAUDE_SDK: optionalString.meta(
    plain(
      "Accepted for existing configs; unused: LAP has no separate claude-agent-sdk harness (the SDK runs the same CLI as claude-code), so set K8S_HARNESS_IMAGE_CLAUDE_CODE.",
    ),
  ),
  K8S_HARNESS_IMAGE_CLAUDE_CODE: optionalString.meta(plain("Image for the claude-code harness.")),
  K8S_HARNESS_IMAGE_CODEX: optionalString.meta(plain("Image for the codex harness.")),
  K8S_HARNESS_IMAGE_DEEPAGENTS: optionalString.meta(
    plain("Image for the deepagents harness (LAP's node_modules with deepagents and Bun; falls back to K8S_HARNESS_IMAGE)."),
  ),
  K8S_KUBECONFIG: optionalString.meta(
    plain(
      "Kubeconfig file for LAP_SANDBOX=kubernetes. Unset: the in-cluster service account when running in a pod, else KUBECONFIG / ~/.kube/config.",
    ),
  ),
  K8S_CONTEXT: optionalString.meta(plain("Kubeconfig context to use (default: the file's current-context).")),
  K8S_SANDBOX_READY_TIMEOUT_SECONDS: intFromEnv(180, 5).meta(
    plain(
      "How long a claimed sandbox may take to become ready before the session fails with the reason (image pull, crash loop, unschedulable).",
    ),
  ),
  K8S_SUPERVISOR_ACCESS: z
    .enum(["auto", "pod-ip", "service", "apiserver-proxy"])
    .default("auto")
    .meta(
      plain(
        "How LAP reaches the supervisor in a sandbox pod: pod-ip or service (LAP in the cluster), apiserver-proxy (LAP outside, local development). auto: pod-ip in a pod, apiserver-proxy outside.",
      ),
    ),
  K8S_SUPERVISOR_PORT: intFromEnv(8080, 1).meta(plain("Port of the supervisor's HTTP API inside the sandbox container.")),
  K8S_WORKSPACE_STORAGE_CLASS: optionalString.meta(
    plain(
      "StorageClass for a per-sandbox workspace volume that survives pod loss. Unset: emptyDir (a lost pod's workspace is re-cloned and the history replayed).",
    ),
  ),
  K8S_WORKSPACE_SIZE: z
    .string()
    .regex(/^[0-9]+(Mi|Gi|Ti)$/, "must be a quantity such as 10Gi")
    .default("10Gi")
    .meta(plain("Size of the workspace volume when K8S_WORKSPACE_STORAGE_CLASS is set.")),
  K8S_INSTANCE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label such as lap-prod")
    .default("lap")
    .meta(
      plain("Label value marking this LAP's objects, so two installations can share a namespace without reaping each other's sandboxes."),
    ),
  K8S_RECONCILE_INTERVAL_SECONDS: intFromEnv(60, 1).meta(
    plain(
      "How often LAP reconciles the cluster while running: deletes SandboxClaims no live session owns (ended or unknown sessions) and orphaned Sandboxes. One replica at a time (a database advisory lock).",
    ),
  ),
  K8S_SANDBOX_EGRESS: z
    .enum(["lap-only", "internet"])
    .default("lap-only")
    .meta(
      plain(
        "What sandbox pods may reach (the NetworkPolicy in their SandboxTemplate): lap-only = LAP's pods and cluster DNS; internet = also the public internet (private ranges and the metadata address stay blocked). Needs a CNI that enforces NetworkPolicy.",
      ),
    ),
  K8S_EGRESS_PROXY_PORT: intFromEnv(3128, 0).meta(
    plain(
      "Port of the egress proxy LAP serves for sandbox pods (on HOST, only with LAP_SANDBOX=kubernetes): pods send their web traffic through it with per-sandbox credentials; it applies the agent's allow-list and swaps vault stubs. 0 picks a free one.",
    ),
  ),
  K8S_EGRESS_PROXY_HOST: optionalString.meta(
    plain(
      "Host name or address sandbox pods reach LAP's egress proxy at (for example the LAP Service name). Unset: the host of K8S_LAP_URL (else BASE_URL).",
    ),
  ),
  K8S_WARM_PREPARE: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("false")
    .transform((v) => v === "true")
    .meta(
      plain(
        'true: LAP keeps per-agent warm sandboxes on Kubernetes too, each a claim taken from the harness image\'s pool ahead of demand and its harness started for the agent (POST /lap/prepare), so a session only binds (docs/kubernetes.md "Warm pool"). false: pods are claimed at session start and their CLI starts then.',
      ),
    ),
  K8S_LAP_URL: optionalString
    .pipe(urlString.optional())
    .meta(
      plain(
        "URL sandbox pods reach LAP at (its gateway and MCP proxy), for example the LAP Service http://lap.lap-sandboxes.svc.cluster.local:3000. Unset: BASE_URL, which is often a public address pods cannot reach under the sandbox NetworkPolicy.",
      ),
    ),
  K8S_RUNTIME_CLASS: optionalString.meta(plain("RuntimeClass for sandbox pods (for example gvisor or kata). Unset: the cluster default.")),
};
