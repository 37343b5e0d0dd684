/**
 * LAP's egress CA: lets the egress proxy terminate TLS for hosts that vault secrets are bound to,
 * so a stub in an HTTPS request can be swapped for the real value. The CA key stays in
 * LAP_DATA_DIR (never in a sandbox); sandboxes trust the CA through a bundle of the system roots
 * plus this CA (with the newline between PEMs the reference's history shows is easy to lose).
 * Leaf certificates carry SAN, KeyUsage, ExtendedKeyUsage and AuthorityKeyIdentifier (GnuTLS needs them).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { SYSTEM_CA_BUNDLES as SYSTEM_BUNDLES } from "../../../harness/sandbox-env";

async function openssl(args: string[], cwd: string) {
  const p = Bun.spawn(["openssl", ...args], { cwd, stdout: "ignore", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`openssl ${args[0]} failed: ${err.trim().slice(-300)}`);
}

export class EgressCa {
  readonly dir: string;
  readonly bundlePath: string;
  private ready: Promise<void> | null = null;
  private leaves = new Map<string, Promise<{ key: string; cert: string }>>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, "egress-ca");
    this.bundlePath = join(this.dir, "bundle.pem");
  }

  init(): Promise<void> {
    this.ready ??= (async () => {
      mkdirSync(join(this.dir, "leaves"), { recursive: true, mode: 0o700 });
      if (!existsSync(join(this.dir, "ca.crt"))) {
        await openssl(
          [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/CN=LAP egress CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
          ],
          this.dir,
        );
      }
      const system = SYSTEM_BUNDLES.find((f) => existsSync(f));
      const roots = system ? readFileSync(system, "utf8") : "";
      writeFileSync(this.bundlePath, `${roots.trimEnd()}\n${readFileSync(join(this.dir, "ca.crt"), "utf8").trim()}\n`);
    })();
    return this.ready;
  }

  get caPem(): string {
    return readFileSync(join(this.dir, "ca.crt"), "utf8");
  }

  /** Key and certificate for `host`, signed by the CA (cached; valid 30 days). */
  leaf(host: string): Promise<{ key: string; cert: string }> {
    const name = host.toLowerCase();
    if (!/^[a-z0-9.-]{1,253}$/.test(name) && !/^\d{1,3}(\.\d{1,3}){3}$/.test(name))
      return Promise.reject(new Error(`bad host name ${host}`));
    let p = this.leaves.get(name);
    if (!p) {
      p = (async () => {
        await this.init();
        const dir = join(this.dir, "leaves");
        const base = Bun.hash(name).toString(16);
        const san = /^\d{1,3}(\.\d{1,3}){3}$/.test(name) ? `IP:${name}` : `DNS:${name}`;
        writeFileSync(
          join(dir, `${base}.ext`),
          `subjectAltName=${san}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\nbasicConstraints=CA:FALSE\n`,
        );
        await openssl(
          [
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            `/CN=${name}`,
            "-keyout",
            `${base}.key`,
            "-out",
            `${base}.csr`,
          ],
          dir,
        );
        await openssl(
          [
            "x509",
            "-req",
            "-in",
            `${base}.csr`,
            "-CA",
            "../ca.crt",
            "-CAkey",
            "../ca.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            `${base}.ext`,
            "-out",
            `${base}.crt`,
          ],
          dir,
        );
        return { key: readFileSync(join(dir, `${base}.key`), "utf8"), cert: readFileSync(join(dir, `${base}.crt`), "utf8") };
      })();
      p.catch(() => this.leaves.delete(name));
      this.leaves.set(name, p);
    }
    return p;
  }
}
