/**
 * Environment that points a sandbox's programs at LAP's egress proxy and CA bundle. Shared by LAP's
 * providers (host sandboxes set it at launch) and the supervisor (a Kubernetes pod learns it at bind).
 */

/** Every common TLS stack pointed at the bundle of system roots + LAP's egress CA. */
export const caBundleEnv = (path: string) => ({
  SSL_CERT_FILE: path,
  NODE_EXTRA_CA_CERTS: path,
  CURL_CA_BUNDLE: path,
  GIT_SSL_CAINFO: path,
  REQUESTS_CA_BUNDLE: path,
});

/** HTTP(S)_PROXY in both spellings (curl reads only lowercase http_proxy). */
export const proxyEnv = (url: string) => ({ HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url });

/** Hosts reached directly, not through the proxy (LAP itself). */
export const noProxyEnv = (hosts: string[]) => {
  const list = [...new Set(hosts)].join(",");
  return { NO_PROXY: list, no_proxy: list };
};

/** Where system roots live on common distributions; the first that exists is used. */
export const SYSTEM_CA_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];
