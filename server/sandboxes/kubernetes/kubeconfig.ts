import { KubeConfig } from "@kubernetes/client-node";

/**
 * Cluster credentials for LAP's own HTTP client. `@kubernetes/client-node` is used only to load and
 * interpret kubeconfig files and the in-cluster service account (auth plugins, token files); its HTTP
 * layer is not used because under Bun it drops the CA and client certificate (bun#19754, bun#38840).
 */
export interface KubeAccess {
  /** API server base URL without a trailing slash. */
  server: string;
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  /** Authorization headers; re-read periodically so rotated service-account tokens are picked up. */
  headers(): Promise<Record<string, string>>;
}

export interface KubeConfigSource {
  /** Path to a kubeconfig file; unset: in-cluster service account when present, else the default chain. */
  kubeconfigPath?: string;
  context?: string;
  /** Where the service account files live (tests; in a pod it is `/`). */
  inClusterRoot?: string;
}

export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig {
  const kc = new KubeConfig();
  if (source.kubeconfigPath) kc.loadFromFile(source.kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster(source.inClusterRoot);
  else kc.loadFromDefault();
  if (source.context) kc.setCurrentContext(source.context);
  if (!kc.getCurrentCluster()) throw new Error("kubeconfig has no current cluster (set K8S_KUBECONFIG or K8S_CONTEXT)");
  return kc;
}

const asText = (v: unknown): string | undefined =>
  v === undefined || v === null
    ? undefined
    : Buffer.isBuffer(v)
      ? v.toString("utf8")
      : Array.isArray(v)
        ? v.map(asText).join("\n")
        : String(v);

const HEADER_TTL_MS = 60_000;

/** Turns a loaded KubeConfig into what Bun's fetch needs: `tls: { ca, cert, key }` and auth headers. */
export async function kubeAccessFrom(kc: KubeConfig): Promise<KubeAccess> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const read = async () => {
    const opts: Record<string, unknown> & { headers?: Record<string, string> } = { headers: {} };
    await kc.applyToHTTPSOptions(opts as never);
    return opts;
  };
  const first = await read();
  const tls: KubeAccess["tls"] = { ca: asText(first.ca), cert: asText(first.cert), key: asText(first.key) };
  if (cluster.skipTLSVerify) tls.rejectUnauthorized = false;
  let cached = { at: Date.now(), headers: { ...(first.headers ?? {}) } };
  return {
    server: cluster.server.replace(/\/+$/, ""),
    tls,
    async headers() {
      if (Date.now() - cached.at > HEADER_TTL_MS) cached = { at: Date.now(), headers: { ...((await read()).headers ?? {}) } };
      return cached.headers;
    },
  };
}
