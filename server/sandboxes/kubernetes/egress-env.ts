import { noProxyEnv, proxyEnv } from "../../../harness/sandbox-env";

/**
 * A pod's proxy settings at bind: HTTP(S)_PROXY = LAP's pod egress proxy with this sandbox's
 * credentials in the URL (every client that honours the variables sends them as Proxy-Authorization),
 * and NO_PROXY for LAP itself (the gateway and MCP are reached directly, with the session key).
 * The CA variables are set by the supervisor, which writes the bundle (harness/supervisor/ca-bundle.ts).
 */
export function podEgressEnv(p: {
  sandboxId: string;
  token: string;
  host: string;
  port: number;
  gatewayBaseUrl: string;
}): Record<string, string> {
  const host = p.host.includes(":") && !p.host.startsWith("[") ? `[${p.host}]` : p.host;
  const url = `http://${encodeURIComponent(p.sandboxId)}:${encodeURIComponent(p.token)}@${host}:${p.port}`;
  return { ...proxyEnv(url), ...noProxyEnv([new URL(p.gatewayBaseUrl).hostname, "127.0.0.1", "localhost"]) };
}
