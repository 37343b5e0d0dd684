/**
 * What the kubernetes provider (./provider.ts) tells a pod's supervisor: the bind (a session's identity,
 * key and env) and the warm prepare (the same but the session), each with the pod's egress proxy
 * settings and CA from LAP's pod egress proxy (./pod-egress.ts).
 */
import type { Logger } from "../../lib/logger";
import {
  boundFrom,
  type SandboxBinding,
  type SandboxBound,
  SandboxError,
  type SandboxPreparation,
  type SupervisorConnection,
} from "../provider";
import { specLabelsOf } from "./claim-handle";
import { podEgressEnv } from "./egress-env";
import type { PodEgressPort } from "./pod-egress";
import { type KubeObject, LAP } from "./resources";
import type { Sealed } from "./sealed";

export type PodEgressSettings = { env: Record<string, string>; caPem: string };

/** A claimed sandbox's supervisor, with what its claim sealed and the egress settings it gets. */
export interface SupervisorSetup {
  id: string;
  claim: KubeObject;
  sealed: Sealed;
  conn: SupervisorConnection;
  proxy: PodEgressSettings | null;
}

/**
 * Registers the sandbox with LAP's pod egress proxy under its sealed token and policy, and returns
 * the proxy settings for the harness env and the CA the supervisor adds to the pod's bundle.
 */
export async function podEgressFor(
  egress: PodEgressPort | null,
  logger: Logger | undefined,
  { id, claim, sealed, gatewayBaseUrl }: { id: string; claim: KubeObject; sealed: Sealed; gatewayBaseUrl: string },
): Promise<PodEgressSettings | null> {
  if (!egress || !sealed.egressToken) return null;
  const port = await egress.port().catch((err) => {
    logger?.error(
      { sandbox: id, err: (err as Error).message },
      "egress proxy for pods is not listening; this pod gets no proxy (vault stubs stay stubs)",
    );
    return null;
  });
  if (port === null) return null;
  egress.register(id, {
    token: sealed.egressToken,
    policyId: specLabelsOf(claim).egress_policy,
    allowHosts: sealed.allowHosts ?? [],
  });
  const host = egress.advertisedHost ?? new URL(gatewayBaseUrl).hostname;
  return {
    env: podEgressEnv({ sandboxId: id, token: sealed.egressToken, host, port, gatewayBaseUrl }),
    caPem: await egress.caPem(),
  };
}

/** Who the pod is to its supervisor: the sandbox, its harness and workspace, and the token sealed in its claim. */
function sandboxIdentity({ id, claim, sealed }: SupervisorSetup) {
  return {
    sandboxId: id,
    harness: claim.metadata.annotations?.["lap.dev/harness"] ?? claim.metadata.labels?.[LAP.harness],
    workspaceId: claim.metadata.annotations?.["lap.dev/workspace-id"],
    supervisorToken: sealed.token,
  };
}

export async function bindSupervisor(setup: SupervisorSetup, binding: SandboxBinding, gatewayBaseUrl: string): Promise<SandboxBound> {
  const { id, sealed, conn, proxy } = setup;
  const body = {
    ...sandboxIdentity(setup),
    ...binding,
    gatewayBaseUrl,
    env: { ...sealed.env, ...binding.env, ...proxy?.env },
    ...(proxy ? { egressCaPem: proxy.caPem } : {}),
  };
  const res = await conn
    .fetch(`${conn.baseUrl}/lap/bind`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    .catch((err) => {
      throw new SandboxError("unavailable", `sandbox ${id}: supervisor unreachable for bind: ${(err as Error).message}`);
    });
  const text = await res.text();
  if (res.status === 409) throw new SandboxError("failed", `sandbox ${id} is already bound to another session`);
  if (!res.ok) throw new SandboxError("failed", `sandbox ${id}: bind answered HTTP ${res.status} ${text.slice(0, 200)}`);
  return boundFrom(text);
}

/**
 * `POST /lap/prepare` with what a bind would carry but the session and its key: the token (a warm pod
 * is in first-bind mode, harness/supervisor/routes.ts), the agent's setup, and the pod's egress env and
 * CA, so the bind finds the harness set up exactly as it needs and keeps it.
 */
export async function prepareSupervisor(
  setup: SupervisorSetup,
  preparation: SandboxPreparation,
  gatewayBaseUrl: string,
): Promise<{ harness: string }> {
  const { id, sealed, conn, proxy } = setup;
  // The same env the bind will send (bindSupervisor), or the bind restarts the harness.
  const env = { ...sealed.env, ...proxy?.env };
  const body = {
    ...sandboxIdentity(setup),
    ...preparation,
    gatewayBaseUrl,
    ...(Object.keys(env).length ? { env } : {}),
    ...(proxy ? { egressCaPem: proxy.caPem } : {}),
  };
  const res = await conn
    .fetch(`${conn.baseUrl}/lap/prepare`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(150_000),
    })
    .catch((err) => {
      throw new SandboxError("unavailable", `sandbox ${id}: supervisor unreachable for prepare: ${(err as Error).message}`);
    });
  const text = await res.text();
  if (!res.ok) throw new SandboxError("failed", `sandbox ${id}: prepare answered HTTP ${res.status} ${text.slice(0, 300)}`);
  return { harness: String((JSON.parse(text) as { harness?: unknown }).harness ?? "unknown") };
}
