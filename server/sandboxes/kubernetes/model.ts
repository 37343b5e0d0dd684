import { z } from "zod";

/** API shapes of the Kubernetes sandbox status (the dashboard's sandboxes page imports these types). */
export const kubernetesSandboxRow = z.object({
  id: z.string(),
  state: z.enum(["provisioning", "ready", "stopped", "failed", "terminating"]),
  workspace_id: z.string(),
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
  sandboxes: z.array(z.object({ name: z.string(), ready: z.boolean(), created_at: z.string().nullable() })),
});

export const kubernetesStatus = z.object({
  enabled: z.boolean(),
  provider: z.literal("kubernetes"),
  namespace: z.string().nullable(),
  api_server: z.string().nullable(),
  supervisor_access: z.string().nullable(),
  sandboxes: z.array(kubernetesSandboxRow),
  warm_pools: z.array(warmPoolRow),
});

export const scaleParams = z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a warm pool name") });
export const scaleBody = z.object({ replicas: z.number().int("must be a whole number").min(0, "must be 0 or more").max(100, "must be at most 100") });

export type KubernetesStatus = z.infer<typeof kubernetesStatus>;
export type KubernetesSandboxRow = z.infer<typeof kubernetesSandboxRow>;
export type WarmPoolRow = z.infer<typeof warmPoolRow>;
