import { createHash } from "node:crypto";
import { LAP, type KubeObject } from "./resources";

/**
 * What goes into a SandboxTemplate: one per harness image. Everything session-specific is left out on
 * purpose (identity, keys, prompt, per-session env arrive later through the supervisor's bind call),
 * so every pod of a template is interchangeable and warm claims stay warm.
 */
export interface TemplateSettings {
  namespace: string;
  pullPolicy: "Always" | "IfNotPresent" | "Never";
  supervisorPort: number;
  /** CONTAINER_ENV_* passthrough: the same for every sandbox, so it may live in the template. */
  containerEnv: Record<string, string>;
  workspace: { storageClass?: string; size: string };
  runtimeClass?: string;
  /** Create the headless Service agent-sandbox offers (needed when LAP reaches pods by service name). */
  service: boolean;
  /** Labels every LAP object carries (managed + instance). */
  baseLabels: Record<string, string>;
  /** K8S_SANDBOX_EGRESS: `lap-only` (default) lets sandbox pods reach LAP and DNS only; `internet` adds the public internet. */
  egress?: SandboxEgress;
  /**
   * Seconds the agent in a pod retries a model step while LAP's gateway is unreachable (LAP restarting:
   * pods outlive it, and the restarted LAP re-attaches the turn; docs/kubernetes.md). 0: no retry.
   */
  gatewayRetrySeconds?: number;
}

export type SandboxEgress = "lap-only" | "internet";

export interface HarnessImages {
  default: string;
  byHarness: Record<string, string | undefined>;
}

/** K8S_HARNESS_IMAGE_* for a harness, else K8S_HARNESS_IMAGE. */
export function imageForHarness(images: HarnessImages, harness: string): string {
  const key = harness.toLowerCase().replace(/[^a-z0-9]+/g, "_");
  const aliases: Record<string, string> = { claude_agent_sdk: "claude_sdk", claude_sdk: "claude_sdk", claudecode: "claude_code" };
  return images.byHarness[aliases[key] ?? key] ?? images.default;
}

export const WORKSPACE_MOUNT = "/workspace";

/** The pod spec every sandbox of an image runs. The readiness probe makes pod Ready mean "supervisor answers". */
export function templateSpec(image: string, s: TemplateSettings) {
  const env = Object.entries(s.containerEnv)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  env.push({ name: "LAP_SUPERVISOR_PORT", value: String(s.supervisorPort) }, { name: "LAP_WORKSPACE", value: WORKSPACE_MOUNT });
  if (s.gatewayRetrySeconds) env.push({ name: "LAP_GATEWAY_RETRY_SECONDS", value: String(s.gatewayRetrySeconds) });
  const persistent = Boolean(s.workspace.storageClass);
  return {
    podTemplate: {
      metadata: { labels: { ...s.baseLabels } },
      spec: {
        ...(s.runtimeClass ? { runtimeClassName: s.runtimeClass } : {}),
        automountServiceAccountToken: false,
        restartPolicy: "Always",
        containers: [
          {
            name: "harness",
            image,
            imagePullPolicy: s.pullPolicy,
            ports: [{ name: "supervisor", containerPort: s.supervisorPort }],
            env,
            readinessProbe: { httpGet: { path: "/health", port: s.supervisorPort }, periodSeconds: 1, failureThreshold: 3 },
            resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "2", memory: "4Gi" } },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "workspace", mountPath: WORKSPACE_MOUNT }],
          },
        ],
        ...(persistent ? {} : { volumes: [{ name: "workspace", emptyDir: {} }] }),
      },
    },
    ...(persistent
      ? {
          volumeClaimTemplates: [
            {
              metadata: { name: "workspace" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: s.workspace.storageClass,
                resources: { requests: { storage: s.workspace.size } },
              },
            },
          ],
        }
      : {}),
    ...(s.service ? { service: true } : {}),
    networkPolicyManagement: "Managed",
    networkPolicy: sandboxNetworkPolicy(s),
    envVarsInjectionPolicy: "Disallowed",
  };
}

/** Pods of LAP itself (the Deployment in deploy/k8s/lap.yaml carries this label). */
export const LAP_POD_SELECTOR = { matchLabels: { "app.kubernetes.io/name": "lap" } };

/**
 * agent-sandbox's managed default lets only sandbox-router in and only the public internet out, which
 * would cut LAP off from the supervisor and the sandbox from LAP's gateway. Ours: only LAP's pods may
 * reach the supervisor port (nobody else can make the first bind); the sandbox may reach LAP's pods (its
 * gateway and its egress proxy, through which the agent's allow-list reaches the web) and cluster DNS, and nothing else unless K8S_SANDBOX_EGRESS=internet, which adds the public internet
 * (never private ranges or the cloud metadata address). Enforced only by a CNI that implements
 * NetworkPolicy (Calico, Cilium, ...); kind's default kindnet ignores it.
 */
export function sandboxNetworkPolicy(s: Pick<TemplateSettings, "supervisorPort" | "egress">) {
  const lap = { namespaceSelector: {}, podSelector: LAP_POD_SELECTOR };
  const dns = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
  };
  return {
    ingress: [{ from: [lap], ports: [{ protocol: "TCP", port: s.supervisorPort }] }],
    egress: [
      // Any port of LAP's pods: its HTTP port (gateway, MCP) and its egress proxy for pods
      // (K8S_EGRESS_PROXY_PORT). Neither is part of the template, so replicas started with different
      // port settings still share one template (and do not remove each other's as stale).
      { to: [lap] },
      {
        to: [dns],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
      ...((s.egress ?? "lap-only") === "internet"
        ? [
            {
              to: [
                {
                  ipBlock: {
                    cidr: "0.0.0.0/0",
                    except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
                  },
                },
              ],
            },
          ]
        : []),
    ],
  };
}

/**
 * The same rules as a plain NetworkPolicy over every LAP sandbox pod of an installation, for
 * deploy/k8s/network-policy.yaml: it holds even where the template's managed policy is not created
 * (networkPolicyManagement unsupported or switched to Unmanaged by a cluster admin).
 */
export function sandboxNetworkPolicyObject(namespace: string, s: Pick<TemplateSettings, "supervisorPort" | "egress" | "baseLabels">) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "lap-sandboxes", namespace, labels: { ...s.baseLabels } },
    spec: { podSelector: { matchLabels: { ...s.baseLabels } }, policyTypes: ["Ingress", "Egress"], ...sandboxNetworkPolicy(s) },
  };
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/^.*\//, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 30) || "image";

/**
 * Template and pool name: readable image slug plus a hash of the whole spec, so a configuration change
 * yields a new template (and pool) instead of mutating one that running sessions came from.
 */
export function templateName(image: string, spec: unknown): string {
  const hash = createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 8);
  return `lap-${slug(image)}-${hash}`;
}

export function buildTemplate(
  image: string,
  s: TemplateSettings,
): { name: string; template: KubeObject; pool: (replicas: number) => KubeObject } {
  const spec = templateSpec(image, s);
  const name = templateName(image, spec);
  const labels = { ...s.baseLabels, [LAP.harness]: slug(image) };
  return {
    name,
    template: { metadata: { name, labels, annotations: { "lap.dev/image": image } }, spec },
    pool: (replicas) => ({
      metadata: { name, labels, annotations: { "lap.dev/image": image } },
      spec: { replicas, sandboxTemplateRef: { name }, updateStrategy: { type: "Recreate" } },
    }),
  };
}
