/**
 * TLS material for the fake Kubernetes API server, generated at test time with /usr/bin/openssl:
 * a CA, a server certificate for 127.0.0.1 signed by it, and a client certificate (CN=lap, O=lap)
 * the server requires, the way a kind cluster's kubeconfig carries them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KubeTls {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second client certificate from a different CA (must be rejected). */
  strangerCert: string;
  strangerKey: string;
  cleanup(): void;
}

function openssl(cwd: string, args: string[]) {
  const p = Bun.spawnSync(["/usr/bin/openssl", ...args], { cwd, stderr: "pipe", stdout: "pipe" });
  if (p.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${p.stderr.toString()}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function generateKubeTls(): KubeTls {
  const dir = mkdtempSync(join(tmpdir(), "lap-kube-tls-"));
  openssl(dir, ["req", "-x509", ...EC, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=fake-kube-ca"]);
  openssl(dir, ["req", "-x509", ...EC, "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "1", "-subj", "/CN=stranger-ca"]);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(dir, ["req", ...EC, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube-apiserver"]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "1",
    "-extfile",
    "san.ext",
  ]);
  openssl(dir, ["req", ...EC, "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=lap/O=lap"]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "client.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "client.crt",
    "-days",
    "1",
  ]);
  openssl(dir, ["req", ...EC, "-keyout", "stranger.key", "-out", "stranger.csr", "-subj", "/CN=stranger"]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "stranger.csr",
    "-CA",
    "other-ca.crt",
    "-CAkey",
    "other-ca.key",
    "-CAcreateserial",
    "-out",
    "stranger.crt",
    "-days",
    "1",
  ]);
  const r = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    ca: r("ca.crt"),
    serverCert: r("server.crt"),
    serverKey: r("server.key"),
    clientCert: r("client.crt"),
    clientKey: r("client.key"),
    strangerCert: r("stranger.crt"),
    strangerKey: r("stranger.key"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A kubeconfig file for the fake server, with the CA and client certificate inlined as *-data. */
export function writeKubeconfig(tls: KubeTls, server: string, namespace = "default"): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const path = join(tls.dir, "kubeconfig");
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(tls.ca)}
users:
- name: lap
  user:
    client-certificate-data: ${b64(tls.clientCert)}
    client-key-data: ${b64(tls.clientKey)}
contexts:
- name: fake
  context: { cluster: fake, user: lap, namespace: ${namespace} }
current-context: fake
`,
  );
  return path;
}
