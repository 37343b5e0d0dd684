/**
 * Stdio MCP servers with `network: true` (docs/security.md, "Stdio MCP servers"): the bubblewrap
 * launcher's real jail runs network-probe.ts (fixtures) with the network asked for, and the probe
 * tries LAP's port, PostgreSQL, the metadata address and private ranges, directly and through LAP's
 * egress proxy. Before this, `network: true` meant the host's network namespace (`--share-net`) and
 * every one of these connected. As the test's user (root in CI) and, when root, as a non-root LAP
 * (uid 65534 under setpriv).
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sandboxingProblem } from "../../server/sandboxes/host/preflight";
import { runningAsRoot, SandboxUsers } from "../../server/sandboxes/host/sandbox-user";

const problem = Bun.which("bwrap")
  ? sandboxingProblem({ bwrap: "/usr/bin/bwrap", user: new SandboxUsers().mcpUser() })
  : "bubblewrap is not installed";
if (problem) console.warn(`SKIPPED stdio MCP network suite: ${problem}`);
const curlMissing = Bun.which("curl") ? null : "curl is not installed";
const NOBODY = 65534;
const bun = realpathSync(process.execPath);
const RUNNER = fileURLToPath(new URL("./fixtures/network-run.ts", import.meta.url));
const BRIDGE = fileURLToPath(new URL("./egress-bridge.ts", import.meta.url));
const nobodyCanRun =
  runningAsRoot() &&
  Bun.spawnSync([
    "setpriv",
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    "--clear-groups",
    "--",
    "/bin/sh",
    "-c",
    `test -x '${bun}' && test -r '${RUNNER}' && test -r '${BRIDGE}'`,
  ]).exitCode === 0;
if (!problem && runningAsRoot() && !nobodyCanRun)
  console.warn(`SKIPPED non-root LAP case: uid ${NOBODY} cannot run ${bun} or read ${RUNNER}`);

/** The probe in a directory any uid may read (it is bound into the jail). */
const probeDir = mkdtempSync(join(tmpdir(), "lap-mcp-net-"));
chmodSync(probeDir, 0o755);
copyFileSync(fileURLToPath(new URL("./fixtures/network-probe.ts", import.meta.url)), join(probeDir, "probe.ts"));
chmodSync(join(probeDir, "probe.ts"), 0o644);

interface Observed {
  error?: string;
  probe: {
    direct: Record<string, string>;
    connectRefused: Record<string, string>;
    httpRefused: Record<string, string>;
    connectAllowed: string;
    curl: { out: string; err: string };
    env: Record<string, string | null>;
  } | null;
  probeOutput: string;
  records: Array<{ sandboxId: string; method: string; host: string; outcome: string }>;
  lapPort: number;
  internalPort: number;
  runnerUid: number;
}

async function run(asUid?: number): Promise<Observed> {
  const runner = [bun, RUNNER];
  const command = asUid === undefined ? runner : ["setpriv", `--reuid=${asUid}`, `--regid=${asUid}`, "--clear-groups", "--", ...runner];
  const proc = Bun.spawn(command, {
    cwd: "/",
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NET_PROBE: join(probeDir, "probe.ts") },
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  try {
    const o = JSON.parse(out.trim().split("\n").pop() ?? "") as Observed;
    if (o.error || !o.probe) throw new Error(o.error ?? o.probeOutput);
    return o;
  } catch (e) {
    throw new Error(`network-run failed: ${(e as Error).message} ${out.slice(-1500)} ${err.slice(-1500)}`);
  }
}

function expectOnlyThroughTheProxy(o: Observed) {
  const p = o.probe!;
  // Its own network namespace: nothing but its loopback, where nothing of the host's listens.
  for (const [target, r] of Object.entries(p.direct))
    expect({ target, connected: r === "connected" }).toEqual({ target, connected: false });
  // Through the proxy: loopback (LAP's port, PostgreSQL), private, metadata, and unusual ports are refused.
  for (const [target, status] of Object.entries(p.connectRefused))
    expect({ target, status }).toEqual({ target, status: expect.stringMatching(/^HTTP\/1\.1 403 /) });
  for (const [url, status] of Object.entries(p.httpRefused))
    expect({ url, status }).toEqual({ url, status: expect.stringMatching(/^HTTP\/1\.1 403 /) });
  // The proxy variables point at the bridge inside.
  expect(p.env.HTTPS_PROXY).toBe("http://127.0.0.1:3128");
  expect(p.env.http_proxy).toBe("http://127.0.0.1:3128");
  // A public destination passes the check (the test machine has no internet: the decision is what counts).
  expect(p.connectAllowed).not.toMatch(/ 403 /);
  // The operator's allow-list entry (as LAP_ALLOW_PRIVATE_HOSTS) works, through a real client and the proxy variables.
  expect(p.curl.out).toBe("internal-ok\n200");

  const records = o.records.map((r) => ({ id: r.sandboxId, method: r.method, host: r.host, outcome: r.outcome }));
  for (const r of records) expect(r.id).toBe("mcp:probe");
  expect(records).toContainEqual({ id: "mcp:probe", method: "CONNECT", host: "public.example", outcome: "allowed" });
  expect(records).toContainEqual({ id: "mcp:probe", method: "GET", host: "internal.example", outcome: "allowed" });
  for (const host of ["127.0.0.1", "localhost", "::1", "169.254.169.254", "10.0.0.1", "internal.example", "public.example"]) {
    expect(records).toContainEqual({ id: "mcp:probe", method: "CONNECT", host, outcome: "denied" });
  }
  expect(records).toContainEqual({ id: "mcp:probe", method: "GET", host: "169.254.169.254", outcome: "denied" });
  expect(records.filter((r) => r.outcome === "allowed")).toHaveLength(2);
}

describe.skipIf(Boolean(problem) || Boolean(curlMissing))(
  `stdio MCP servers with network: true${curlMissing ? ` (SKIPPED: ${curlMissing})` : ""}`,
  () => {
    test(runningAsRoot()
      ? "LAP as root: the server's only way out is the egress proxy, which refuses loopback, private and metadata addresses"
      : "LAP as a normal user: the server's only way out is the egress proxy", async () => {
      const o = await run();
      expectOnlyThroughTheProxy(o);
    }, 90_000);

    test.skipIf(!nobodyCanRun)(
      "LAP as a non-root user (uid 65534): the same, as that uid",
      async () => {
        const o = await run(NOBODY);
        expect(o.runnerUid).toBe(NOBODY);
        expectOnlyThroughTheProxy(o);
      },
      90_000,
    );
  },
);
