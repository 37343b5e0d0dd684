import { z } from "zod";

/** API shapes of the Kubernetes sandbox status (the dashboard's sandboxes page imports these types). */
export const kubernetesSandboxRow = z.object({
  id: z.string(),
  state: z.enum(["provisioning", "ready", "stopped", "failed", "terminating"]),
  workspace_id: z.string(),
  /** The LAP session the sandbox serves (null for one not started by a session). */
  session_id: z.string().nullable(),
  pod: z.string().nullable(),
  node: z.string().nullable(),
  phase: z.string().nullable(),
  launch: z.string().nullable(),
  pool: z.string().nullable(),
  image: z.string().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
});

export const warmPoolRow = z.object({
  name: z.string(),
  image: z.string(),
  replicas: z.number(),
  ready_replicas: z.number(),
  /** What each pod of the pool asks for and may use (the template's container resources; null for a pool of an older configuration). */
  resources: z.object({ requests: z.record(z.string(), z.string()), limits: z.record(z.string(), z.string()) }).nullable(),
  sandboxes: z.array(z.object({ name: z.string(), ready: z.boolean(), created_at: z.string().nullable() })),
});

export const kubernetesStatus = z.object({
  enabled: z.boolean(),
  provider: z.literal("kubernetes"),
  namespace: z.string().nullable(),
  api_server: z.string().nullable(),
  supervisor_access: z.string().nullable(),
  /** K8S_SANDBOX_EGRESS: what the sandbox pods' NetworkPolicy lets them reach. */
  sandbox_egress: z.string().nullable(),
  sandboxes: z.array(kubernetesSandboxRow),
  warm_pools: z.array(warmPoolRow),
});

export const scaleParams = z.object({
  name: z
    .string()
    .max(63, "must be a warm pool name")
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a warm pool name"),
});
export const scaleBody = z.object({
  replicas: z.number().int("must be a whole number").min(0, "must be 0 or more").max(100, "must be at most 100"),
});

export type KubernetesStatus = z.infer<typeof kubernetesStatus>;
export type KubernetesSandboxRow = z.infer<typeof kubernetesSandboxRow>;
export type WarmPoolRow = z.infer<typeof warmPoolRow>;
