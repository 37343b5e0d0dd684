/**
 * Kubernetes pods learn LAP's egress CA at bind (a warm pod was started before it was known): the
 * supervisor writes the system roots plus that CA to a file only it created, and points the harness's
 * TLS stacks at it, so HTTPS to hosts a vault secret is bound to can be swapped by LAP's proxy.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caBundleEnv, SYSTEM_CA_BUNDLES } from "../sandbox-env";

export function writeCaBundle(caPem: string, dir = process.env.LAP_RUN_DIR || tmpdir()): Record<string, string> {
  const system = SYSTEM_CA_BUNDLES.find((f) => existsSync(f));
  const roots = system ? readFileSync(system, "utf8") : "";
  // The newline between the two PEMs matters: without it the last root and the CA run together.
  const path = join(mkdtempSync(join(dir, "lap-ca-")), "ca-bundle.pem");
  writeFileSync(path, `${roots.trimEnd()}\n${caPem.trim()}\n`, { mode: 0o644 });
  return caBundleEnv(path);
}
