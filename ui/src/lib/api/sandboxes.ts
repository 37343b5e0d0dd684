// Sandboxes: live sandboxes, the warm pool, egress records, the Kubernetes view, and the vault.
import type { z } from "zod";
import type { KubernetesStatus } from "../../../../server/sandboxes/kubernetes/model";
import type { egressRecordView, poolView, SandboxView } from "../../../../server/sandboxes/model";
import type { CreateVaultSecretInput, UpdateVaultSecretInput, VaultSecretView } from "../../../../server/vault/model";
import { q, request } from "./client";

export type { CreateVaultSecretInput, KubernetesStatus, SandboxView, UpdateVaultSecretInput, VaultSecretView };
export type PoolView = z.infer<typeof poolView>;
export type EgressRecordView = z.infer<typeof egressRecordView>;

export const sandboxesApi = {
  list: (sessionId?: string) =>
    request<{ data: SandboxView[] }>("GET", `/api/sandboxes${sessionId ? `?session_id=${encodeURIComponent(sessionId)}` : ""}`).then(
      (r) => r.data,
    ),
  pool: () => request<PoolView>("GET", "/api/sandboxes/pool"),
  refillPool: () => request<PoolView>("POST", "/api/sandboxes/pool/refill"),
  egress: (params: { session_id?: string; sandbox_id?: string; before?: number; limit?: number } = {}) =>
    request<{ data: EgressRecordView[]; next_before: number | null }>("GET", `/api/sandboxes/egress${q(params)}`),
  stop: (id: string) => request<{ ok: true }>("POST", `/api/sandboxes/${encodeURIComponent(id)}/stop`),
  destroy: (id: string, dropWorkspace = false) =>
    request<{ ok: true }>("DELETE", `/api/sandboxes/${encodeURIComponent(id)}${dropWorkspace ? "?drop_workspace=true" : ""}`),
};

export const kubernetesApi = {
  status: () => request<KubernetesStatus>("GET", "/api/sandboxes/kubernetes"),
  scalePool: (name: string, replicas: number) =>
    request<{ name: string; replicas: number }>("POST", `/api/sandboxes/kubernetes/warm-pools/${encodeURIComponent(name)}/scale`, {
      replicas,
    }),
};

// Values are write-only.
export const vaultApi = {
  list: () => request<{ data: VaultSecretView[] }>("GET", "/api/vault").then((r) => r.data),
  create: (input: CreateVaultSecretInput) => request<VaultSecretView>("POST", "/api/vault", input),
  update: (id: string, input: UpdateVaultSecretInput) => request<VaultSecretView>("PATCH", `/api/vault/${encodeURIComponent(id)}`, input),
  remove: (id: string) => request<VaultSecretView>("DELETE", `/api/vault/${encodeURIComponent(id)}`),
};
