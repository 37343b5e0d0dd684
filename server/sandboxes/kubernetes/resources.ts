/**
 * The Kubernetes resources LAP touches and their REST paths: agent-sandbox v1beta1
 * (reference/anchors-and-libs.md §1.2) plus core pods and services. Nothing else.
 */
export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export const SANDBOX: ResourceKind = { group: "agents.x-k8s.io", version: "v1beta1", plural: "sandboxes", kind: "Sandbox" };
export const SANDBOX_TEMPLATE: ResourceKind = {
  group: "extensions.agents.x-k8s.io",
  version: "v1beta1",
  plural: "sandboxtemplates",
  kind: "SandboxTemplate",
};
export const SANDBOX_CLAIM: ResourceKind = {
  group: "extensions.agents.x-k8s.io",
  version: "v1beta1",
  plural: "sandboxclaims",
  kind: "SandboxClaim",
};
export const SANDBOX_WARM_POOL: ResourceKind = {
  group: "extensions.agents.x-k8s.io",
  version: "v1beta1",
  plural: "sandboxwarmpools",
  kind: "SandboxWarmPool",
};
export const POD: ResourceKind = { group: "", version: "v1", plural: "pods", kind: "Pod" };
export const SERVICE: ResourceKind = { group: "", version: "v1", plural: "services", kind: "Service" };

export const ALL_KINDS = [SANDBOX, SANDBOX_TEMPLATE, SANDBOX_CLAIM, SANDBOX_WARM_POOL, POD, SERVICE];

export const apiVersionOf = (k: ResourceKind) => (k.group ? `${k.group}/${k.version}` : k.version);

export function resourcePath(k: ResourceKind, namespace: string, name?: string, sub?: string): string {
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  let p = `${base}/namespaces/${encodeURIComponent(namespace)}/${k.plural}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (name && sub) p += `/${sub}`;
  return p;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  generateName?: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: spec and status differ per kind; readers narrow
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: spec and status differ per kind; readers narrow
  status?: any;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  metadata: { resourceVersion: string };
  items: T[];
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export const conditionOf = (obj: KubeObject | undefined | null, type: string): Condition | undefined =>
  (obj?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);

/** Labels and annotations agent-sandbox itself sets (§1.3). */
export const AS = {
  warmPoolSandbox: "agents.x-k8s.io/warm-pool-sandbox",
  launchType: "agents.x-k8s.io/launch-type",
  claimUid: "agents.x-k8s.io/claim-uid",
  podName: "agents.x-k8s.io/pod-name",
  sandboxName: "agents.x-k8s.io/sandbox-name",
} as const;

/** LAP's own labels and annotations. `managed` marks everything LAP created so the reconciler can find it. */
export const LAP = {
  managed: "lap.dev/managed",
  sandboxId: "lap.dev/sandbox-id",
  workspace: "lap.dev/workspace",
  harness: "lap.dev/harness",
  instance: "lap.dev/instance",
  /** Annotation: the supervisor token, sealed with ENCRYPTION_KEY (never plain text in the cluster). */
  supervisorToken: "lap.dev/supervisor-token",
  /** Annotation: JSON of the caller's SandboxSpec labels. */
  specLabels: "lap.dev/labels",
} as const;
