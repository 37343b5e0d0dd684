import type { SupervisorConnection } from "../provider";
import type { KubeClient } from "./client";
import { resourcePath, POD, type KubeObject } from "./resources";

/**
 * How LAP reaches the supervisor in a sandbox pod.
 * - `pod-ip`: http://<pod IP>:<port> (LAP runs in the cluster; the fastest path).
 * - `service`: the headless Service agent-sandbox creates (`status.serviceFQDN`), for clusters whose
 *   network policy prefers names.
 * - `apiserver-proxy`: through the API server's pods/proxy subresource with LAP's own credentials
 *   (LAP outside the cluster, local development; no NodePort, no port-forward process).
 * Every request carries the supervisor token as `x-api-key` (what harness/supervisor checks), not as
 * Authorization: proxies such as the API server and sandbox-router strip or consume that header.
 */
export type SupervisorAccess = "pod-ip" | "service" | "apiserver-proxy";

export const SUPERVISOR_TOKEN_HEADER = "x-api-key";

export function resolveAccess(setting: "auto" | SupervisorAccess, inCluster: boolean): SupervisorAccess {
  if (setting !== "auto") return setting;
  return inCluster ? "pod-ip" : "apiserver-proxy";
}

export function supervisorConnection(opts: {
  access: SupervisorAccess;
  kube: KubeClient;
  namespace: string;
  port: number;
  pod: KubeObject;
  sandbox: KubeObject;
  token: string;
}): SupervisorConnection {
  const { access, kube, namespace, port, pod, sandbox, token } = opts;
  if (access === "apiserver-proxy") {
    const prefix = `${resourcePath(POD, namespace, pod.metadata.name)}:${port}/proxy`;
    const baseUrl = `${kube.server}${prefix}`;
    const proxied = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      const headers = new Headers(init.headers);
      headers.set(SUPERVISOR_TOKEN_HEADER, token);
      headers.delete("authorization");
      const plain: Record<string, string> = {};
      headers.forEach((v, k) => {
        if (k !== "authorization") plain[k] = v;
      });
      return kube.raw(init.method ?? "GET", url.pathname + url.search, {
        body: init.body as string | undefined,
        contentType: headers.get("content-type") ?? undefined,
        signal: init.signal ?? undefined,
        headers: plain,
      });
    }) as typeof fetch;
    return { baseUrl, fetch: proxied };
  }
  const host =
    access === "service" ? (sandbox.status?.serviceFQDN ?? `${sandbox.metadata.name}.${namespace}.svc.cluster.local`) : pod.status?.podIP;
  if (!host) throw new Error(`pod ${pod.metadata.name} has no address yet`);
  const withToken = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set(SUPERVISOR_TOKEN_HEADER, token);
    return fetch(input, { ...init, headers });
  }) as typeof fetch;
  return { baseUrl: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, fetch: withToken };
}
