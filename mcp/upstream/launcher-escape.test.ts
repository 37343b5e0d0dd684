/**
 * The sandbox-escape suite for stdio MCP servers (docs/security.md, "Stdio MCP servers"): the
 * bubblewrap launcher's real jail runs escape-probe.ts (server/sandboxes/fixtures) in place of a
 * server and tries to get out; the host side checks the jail's processes. As the test's user (root
 * in CI: the server must be LAP_SANDBOX_UIDS' first uid) and, when root, as a non-root LAP (the
 * launcher's plan spawned under setpriv to uid 65534).
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sandboxingProblem } from "../../server/sandboxes/host/preflight";
import { DEFAULT_SANDBOX_UIDS, runningAsRoot, SandboxUsers } from "../../server/sandboxes/host/sandbox-user";

const problem = Bun.which("bwrap")
  ? sandboxingProblem({ bwrap: "/usr/bin/bwrap", user: new SandboxUsers().mcpUser() })
  : "bubblewrap is not installed";
if (problem) console.warn(`SKIPPED stdio MCP escape suite: ${problem}`);
const NOBODY = 65534;
const NODE_MODULES = fileURLToPath(new URL("../../node_modules", import.meta.url));
const bun = realpathSync(process.execPath);
const RUNNER = fileURLToPath(new URL("./fixtures/escape-run.ts", import.meta.url));
/** The non-root run needs the Bun binary and the checkout readable by uid 65534. */
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
    `test -x '${bun}' && test -r '${RUNNER}'`,
  ]).exitCode === 0;
if (!problem && runningAsRoot() && !nobodyCanRun)
  console.warn(`SKIPPED non-root LAP case: uid ${NOBODY} cannot run ${bun} or read ${RUNNER}`);

/** The probe and the Bun binary, bound read-only into the jail at their host paths (readable by any uid). */
const probeDir = mkdtempSync(join(tmpdir(), "lap-mcp-escape-"));
chmodSync(probeDir, 0o755);
copyFileSync(fileURLToPath(new URL("../../server/sandboxes/fixtures/escape-probe.ts", import.meta.url)), join(probeDir, "probe.ts"));
chmodSync(join(probeDir, "probe.ts"), 0o644);
/** A host directory anyone may write to, not bound: the jail must not reach it. */
const openDir = mkdtempSync(join(tmpdir(), "lap-mcp-open-"));
chmodSync(openDir, 0o777);

const config = {
  mustNotWrite: ["/", "/usr", "/etc", NODE_MODULES, probeDir, openDir],
  mustWrite: ["/tmp"],
  unreachable: ["127.0.0.1:5432", "169.254.169.254:80", "10.0.0.1:80", "192.168.0.1:80"],
};

interface Observed {
  error?: string;
  probe: Record<string, any> | null;
  probeOutput: string;
  procs: Array<{ cmd: string; uid: number[]; capEff: string; seccomp: string }>;
  runnerUid: number;
}

/** fixtures/escape-run.ts as LAP: this test's user, or `asUid` (setpriv). */
async function run(asUid?: number): Promise<Observed> {
  const runner = [bun, RUNNER];
  const command = asUid === undefined ? runner : ["setpriv", `--reuid=${asUid}`, `--regid=${asUid}`, "--clear-groups", "--", ...runner];
  const proc = Bun.spawn(command, {
    cwd: "/",
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ESCAPE_PROBE: join(probeDir, "probe.ts"), ESCAPE_CONFIG: JSON.stringify(config) },
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  try {
    const o = JSON.parse(out.trim().split("\n").pop() ?? "") as Observed;
    if (o.error || !o.probe) throw new Error(o.error ?? o.probeOutput);
    return o;
  } catch (e) {
    throw new Error(`escape-run failed: ${(e as Error).message} ${out.slice(-1500)} ${err.slice(-1500)}`);
  }
}

/** From bubblewrap on (the launcher's own wrappers run as LAP until the drop), every process is `uid` without capabilities. */
function expectHostView(procs: Observed["procs"], uid: number) {
  const jailed = procs.filter((s) => /^(\/usr\/bin\/)?bwrap /.test(s.cmd) || s.cmd.startsWith("/bin/sh -c read"));
  expect(jailed.length).toBeGreaterThanOrEqual(2);
  for (const s of jailed)
    expect({ cmd: s.cmd, uid: s.uid, capEff: s.capEff }).toEqual({ cmd: s.cmd, uid: [uid, uid, uid, uid], capEff: "0000000000000000" });
  expect(jailed.find((s) => s.cmd.startsWith("/bin/sh -c read"))!.seccomp).toBe("2");
}

function expectContained(p: Record<string, any>) {
  expect(p.uid.split(/\s+/).map(Number)).toEqual([1000, 1000, 1000, 1000]);
  for (const k of ["capEff", "capPrm", "capBnd", "capAmb"]) expect({ [k]: p[k] }).toEqual({ [k]: "0000000000000000" });
  expect(p.noNewPrivs).toBe("1");
  expect(p.seccomp).toBe("2");
  const ro = (p.remounts as Array<{ target: string }>).map((m) => m.target);
  for (const t of ["/", "/usr", NODE_MODULES, probeDir]) expect(ro).toContain(t);
  for (const m of p.remounts)
    expect({ target: m.target, remount: m.remount, fspick: m.fspick }).toEqual({ target: m.target, remount: 1, fspick: 1 });
  for (const [file, r] of Object.entries(p.kernelWrites)) expect({ file, r: r !== "ok" }).toEqual({ file, r: true });
  for (const dir of config.mustNotWrite) expect({ dir, w: p.writes[dir] !== "ok" }).toEqual({ dir, w: true });
  for (const dir of config.mustWrite) expect({ dir, w: p.writes[dir] }).toEqual({ dir, w: "ok" });
  for (const [call, r] of Object.entries(p.calls)) expect({ call, r }).toEqual({ call, r: call === "clone3" ? 38 : 1 });
  for (const [target, r] of Object.entries(p.network))
    expect({ target, connected: r === "connected" }).toEqual({ target, connected: false });
  expect(p.etc.shadow).toBe("ENOENT");
  expect(p.etc.passwd).toContain("lap:x:1000:1000");
  expect(p.etc.passwd).not.toContain("daemon:");
}

describe.skipIf(Boolean(problem))("sandbox escape: stdio MCP servers", () => {
  test(runningAsRoot()
    ? "LAP as root: the server runs as LAP_SANDBOX_UIDS' first uid and cannot get out"
    : "LAP as a normal user: the server runs as that uid in a user namespace", async () => {
    const o = await run();
    expectContained(o.probe!);
    expectHostView(o.procs, runningAsRoot() ? DEFAULT_SANDBOX_UIDS.first : process.getuid!());
  }, 60_000);

  test.skipIf(!nobodyCanRun)(
    "LAP as a non-root user (uid 65534): the same containment, as that uid",
    async () => {
      const o = await run(NOBODY);
      expect(o.runnerUid).toBe(NOBODY);
      expectContained(o.probe!);
      expectHostView(o.procs, NOBODY);
    },
    60_000,
  );
});
