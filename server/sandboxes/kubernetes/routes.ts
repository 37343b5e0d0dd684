import { Elysia } from "elysia";
import { requireAdmin, type AuthGuard } from "../../http/auth-guard";
import { ApiError, notFound } from "../../lib/errors";
import type { KubernetesSandboxes } from "./index";
import type { AuditEntry } from "../../audit/record";

/** Records a change made outside the database (the cluster) in the audit trail. */
export type RecordChange = (entry: AuditEntry) => Promise<void>;
import { kubernetesStatus, scaleBody, scaleParams, type KubernetesStatus } from "./model";

/**
 * `GET /api/sandboxes/kubernetes`: what the sandboxes page shows for this provider (pods, nodes, phases,
 * warm pools). `POST .../warm-pools/:name/scale`: an operator override of one pool's size (the warm-pool
 * loop sets it again on its next pass). Admin only. Answers `enabled: false` when LAP_SANDBOX is not kubernetes.
 */
export function kubernetesRoutes(deps: {
  guard: AuthGuard;
  kubernetes?: KubernetesSandboxes | null;
  namespace?: string;
  recordChange?: RecordChange;
}) {
  const k = deps.kubernetes ?? null;
  return new Elysia({ prefix: "/api/sandboxes/kubernetes", detail: { tags: ["Sandboxes"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get(
      "",
      async (): Promise<KubernetesStatus> => {
        if (!k)
          return {
            enabled: false,
            provider: "kubernetes",
            namespace: null,
            api_server: null,
            supervisor_access: null,
            sandbox_egress: null,
            sandboxes: [],
            warm_pools: [],
          };
        try {
          const [handles, pools] = await Promise.all([k.provider.list(), k.pools.status()]);
          return {
            enabled: true,
            provider: "kubernetes",
            namespace: String(handles[0]?.info.namespace ?? deps.namespace ?? ""),
            api_server: k.kube.server,
            supervisor_access: k.access,
            sandbox_egress: k.egress,
            sandboxes: handles.map((h) => ({
              id: h.id,
              state: h.state,
              workspace_id: h.workspaceId,
              session_id: h.labels.session_id ?? null,
              pod: (h.info.pod as string | null) ?? null,
              node: (h.info.node as string | null) ?? null,
              phase: (h.info.phase as string | null) ?? null,
              launch: (h.info.launch as string | null) ?? null,
              pool: (h.info.pool as string | null) ?? null,
              image: (h.info.image as string | null) ?? null,
              error: h.error ?? null,
              created_at: h.createdAt.toISOString(),
            })),
            warm_pools: pools.map((p) => ({
              name: p.name,
              image: p.image,
              replicas: p.replicas,
              ready_replicas: p.readyReplicas,
              resources: p.resources,
              sandboxes: p.sandboxes.map((s) => ({ name: s.name, ready: s.ready, created_at: s.createdAt })),
            })),
          };
        } catch (err) {
          throw new ApiError(502, "kubernetes_unavailable", `Kubernetes API: ${(err as Error).message}`);
        }
      },
      { response: kubernetesStatus, detail: { summary: "Kubernetes sandboxes (pod, node, phase) and agent-sandbox warm pools" } },
    )
    .post(
      "/warm-pools/:name/scale",
      async ({ params, body, principal }) => {
        if (!k) throw notFound("Kubernetes provider");
        const pools = await k.pools.listPools();
        const pool = pools.find((p) => p.metadata.name === params.name);
        if (!pool) throw notFound(`Warm pool ${params.name}`);
        await k.pools.scale(params.name, body.replicas);
        await deps.recordChange?.({
          actor: principal,
          action: "warm_pool.scale",
          objectType: "warm_pool",
          objectId: params.name,
          after: { replicas: body.replicas },
        });
        return { name: params.name, replicas: body.replicas };
      },
      { params: scaleParams, body: scaleBody, detail: { summary: "Set one warm pool's replicas (scale subresource)" } },
    );
}
