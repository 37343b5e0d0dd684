// Two web APIs on loopback standing for internet hosts a sandbox's egress reaches: `bound`, over TLS
// with a certificate from a CA standing for a public one (its PEM in `caFile`, for LAP's
// EGRESS_UPSTREAM_CA_FILE), is the host a vault secret is bound to; `other`, plain HTTP, is allowed but
// unbound. Each records the Authorization header it received in `seen`.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EgressCa } from "../../server/sandboxes/egress/ca";

export async function startEgressTargets(dir: string, seen: { bound: Array<string | null>; other: Array<string | null> }) {
  const publicCa = new EgressCa(mkdtempSync(join(tmpdir(), "lap-public-ca-")));
  await publicCa.init();
  const boundApi = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: await publicCa.leaf("localhost"),
    fetch(req: Request) {
      seen.bound.push(req.headers.get("authorization"));
      return new Response("bound api says hi");
    },
  } as unknown as Parameters<typeof Bun.serve>[0]);
  const otherApi = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      seen.other.push(req.headers.get("authorization"));
      return new Response("other api says hi");
    },
  });
  const caFile = join(dir, "public-ca.pem");
  writeFileSync(caFile, publicCa.caPem);
  return { boundApi, otherApi, caFile };
}
