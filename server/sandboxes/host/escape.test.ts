/**
 * The sandbox-escape suite (docs/security.md, "Tests that try to cross these boundaries"): a real
 * local sandbox, its built-in agent driven by the scripted model, runs escape-probe.ts with its
 * bash tool and tries to get out; the host side checks what the kernel says about the sandbox's
 * processes. Everything behind the LAP bridge is a recording stand-in for LAP, so "refused at the
 * bridge" means LAP never saw the request. Run as the test's user (root in CI: the sandbox must be
 * a uid from LAP_SANDBOX_UIDS) and, when the tests run as root, once more as a non-root LAP
 * (setpriv to uid 65534: the sandbox is that uid in a user namespace).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdtempSync, realpathSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { type ScriptedOpenAI, startScriptedOpenAI } from "../../../test/support/scripted-openai";
import { REPO_ROOT } from "../test-helpers";
import { sandboxingProblem } from "./preflight";
import { DEFAULT_SANDBOX_UIDS, runningAsRoot, SandboxUsers } from "./sandbox-user";

const problem = Bun.which("bwrap") ? sandboxingProblem({ user: new SandboxUsers().forProbe() }) : "bubblewrap is not installed";
if (problem) console.warn(`SKIPPED sandbox-escape suite: ${problem}`);
const NOBODY = 65534;
const bun = realpathSync(process.execPath);
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
    `test -x '${bun}' && test -r '${join(REPO_ROOT, "package.json")}'`,
  ]).exitCode === 0;
if (!problem && runningAsRoot() && !nobodyCanRun)
  console.warn(`SKIPPED non-root LAP case: uid ${NOBODY} cannot run ${bun} or read ${REPO_ROOT}`);

let model: ScriptedOpenAI;
/** Stands for LAP behind the bridge: records every request; chat completions go on to the scripted model. */
let lap: ReturnType<typeof Bun.serve>;
const seen: Array<{ method: string; path: string; host: string | null }> = [];

beforeAll(() => {
  model = startScriptedOpenAI();
  lap = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      seen.push({ method: req.method, path: url.pathname + url.search, host: req.headers.get("host") });
      // The agent's own turn (the probe's test call carries ?x=1 and must not eat a script step).
      if (url.pathname === "/v1/chat/completions" && !url.search) {
        return fetch(`http://127.0.0.1:${model.port}${url.pathname}`, { method: "POST", headers: req.headers, body: await req.text() });
      }
      return Response.json({ reached_lap: true });
    },
  });
});
afterAll(async () => {
  lap?.stop(true);
  await model?.stop();
});

const hostAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

function probeConfig() {
  return {
    mustNotWrite: [
      "/",
      "/usr",
      "/etc",
      "/opt/lap",
      "/opt/lap/bundle",
      "/opt/lap/bundle/supervisor",
      "/opt/lap/harness",
      "/opt/lap/harness/supervisor",
      "/opt/lap/node_modules",
      "/opt/lap/bin",
      "/proc",
    ],
    mustWrite: ["/workspace", "/tmp", "/run/lap"],
    unreachable: [
      `127.0.0.1:${lap.port}`,
      `127.0.0.1:${model.port}`,
      "127.0.0.1:5432",
      `::1:${lap.port}`,
      "169.254.169.254:80",
      "10.0.0.1:80",
      "172.17.0.1:80",
      "192.168.0.1:80",
      ...(hostAddress ? [`${hostAddress}:${lap.port}`, `${hostAddress}:5432`] : []),
    ],
    bridge: { url: "http://127.0.0.1:4000", socket: "/run/lap/lap.sock", key: "sk-session-ses_escape" },
  };
}

interface Observed {
  error?: string;
  probe: Record<string, any> | null;
  processes: Array<{
    pid: number;
    cmd: string;
    uid: string;
    gid: string;
    capEff: string;
    capPrm: string;
    noNewPrivs: string;
    seccomp: string;
  }>;
  workspaceOwner: number;
  workspaceMode: number;
  runnerUid: number;
  toolText: string[];
}

/** Starts escape-run.ts (a LAP with one sandbox) as root or as `asUid`, with the probe scripted for its agent. */
async function runEscape(asUid?: number): Promise<Observed> {
  const dataDir = mkdtempSync(join(tmpdir(), "lap-escape-"));
  if (asUid !== undefined) chownSync(dataDir, asUid, asUid);
  else chmodSync(dataDir, 0o700);
  const config = probeConfig();
  model.script([
    {
      toolCalls: [
        {
          name: "bash",
          arguments: { command: `/opt/lap/bin/bun /workspace/escape-probe.ts '${JSON.stringify(config)}' /workspace/.escape-result.json` },
        },
      ],
    },
    { text: "probed" },
  ]);
  const runner = [bun, join(import.meta.dir, "..", "fixtures", "escape-run.ts")];
  const command = asUid === undefined ? runner : ["setpriv", `--reuid=${asUid}`, `--regid=${asUid}`, "--clear-groups", "--", ...runner];
  const proc = Bun.spawn(command, {
    cwd: "/",
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dataDir,
      ESCAPE_DATA_DIR: dataDir,
      ESCAPE_LAP_PORT: String(lap.port),
      ESCAPE_GATEWAY_URL: `http://127.0.0.1:${lap.port}/v1`,
    },
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const line = out.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as Observed;
  } catch {
    throw new Error(`escape-run printed no result: ${out.slice(-2000)} ${err.slice(-2000)}`);
  }
}

const ZERO_CAPS = "0000000000000000";
const uids = (line: string) => line.split(/\s+/).map(Number);

/** What must hold whoever runs LAP. */
function expectContained(o: Observed, hostUid: (uid: number) => boolean) {
  expect(o.error).toBeUndefined();
  const p = o.probe;
  if (!p) throw new Error(`the probe wrote no result; tool output: ${o.toolText.join("\n")}`);

  // Host side: not one process of the sandbox is root or holds a capability on the host.
  expect(o.processes.length).toBeGreaterThanOrEqual(3); // bwrap, the namespace's init, the supervisor (+ agent, bash)
  for (const proc of o.processes) {
    for (const uid of uids(proc.uid)) expect({ cmd: proc.cmd, uid, ok: hostUid(uid) }).toEqual({ cmd: proc.cmd, uid, ok: true });
    for (const gid of uids(proc.gid)) expect({ cmd: proc.cmd, gid, root: gid === 0 }).toEqual({ cmd: proc.cmd, gid, root: false });
    expect({ cmd: proc.cmd, capEff: proc.capEff, capPrm: proc.capPrm }).toEqual({ cmd: proc.cmd, capEff: ZERO_CAPS, capPrm: ZERO_CAPS });
  }
  const supervisor = o.processes.find((x) => x.cmd.includes("supervisor/main.js"))!;
  expect(supervisor).toBeDefined();
  expect(supervisor.noNewPrivs).toBe("1");
  expect(supervisor.seccomp).toBe("2");

  // Inside: uid 1000, no capability at all, no new privileges, the seccomp filter on.
  expect(uids(p.uid)).toEqual([1000, 1000, 1000, 1000]);
  for (const k of ["capEff", "capPrm", "capBnd", "capAmb"]) expect({ [k]: p[k] }).toEqual({ [k]: ZERO_CAPS });
  expect(p.noNewPrivs).toBe("1");
  expect(p.seccomp).toBe("2");

  // Every read-only mount stays read-only: the bundle, /usr, harness/, node_modules, the Bun binary, /.
  const ro = (p.remounts as Array<{ target: string; remount: unknown; fspick: unknown }>).map((m) => m.target);
  for (const t of ["/", "/usr", "/opt/lap/bundle", "/opt/lap/harness", "/opt/lap/node_modules", "/opt/lap/bin/bun"])
    expect(ro).toContain(t);
  for (const m of p.remounts)
    expect({ target: m.target, remount: m.remount, fspick: m.fspick }).toEqual({ target: m.target, remount: 1, fspick: 1 });

  // /proc/sys and the other kernel knobs are not writable.
  for (const [file, r] of Object.entries(p.kernelWrites)) expect({ file, r: r !== "ok" }).toEqual({ file, r: true });

  // The supervisor's and the built-in agent's memory, environment and descriptors are out of reach.
  const who = (p.memory as Array<{ who: string }>).map((m) => m.who);
  expect(who).toContain("supervisor");
  expect(who).toContain("agent");
  for (const m of p.memory) {
    expect({ who: m.who, environ: m.environ, mem: m.mem, maps: m.maps, fd: m.fd }).toEqual({
      who: m.who,
      environ: "EACCES",
      mem: "EACCES",
      maps: "EACCES",
      fd: "EACCES",
    });
    expect({ who: m.who, ptrace: m.ptrace, vm: m.process_vm_readv, getfd: m.pidfd_getfd }).toEqual({
      who: m.who,
      ptrace: 1,
      vm: 1,
      getfd: 1,
    });
  }

  // Writes: only the workspace, /tmp and the run dir.
  for (const dir of probeConfig().mustNotWrite) expect({ dir, w: p.writes[dir] !== "ok" }).toEqual({ dir, w: true });
  for (const dir of probeConfig().mustWrite) expect({ dir, w: p.writes[dir] }).toEqual({ dir, w: "ok" });

  // System calls the filter denies with EPERM (several of these would succeed without it), clone3 with ENOSYS.
  for (const [call, r] of Object.entries(p.calls)) expect({ call, r }).toEqual({ call, r: call === "clone3" ? 38 : 1 });

  // No address but the bridges: not LAP's port, not the model, not Postgres, not the host's address, not the metadata service.
  for (const [target, r] of Object.entries(p.network))
    expect({ target, connected: r === "connected" }).toEqual({ target, connected: false });

  // The bridge: model routes and /mcp reach LAP; nothing else does, whatever the request looks like.
  expect(p.bridge).toEqual({
    "GET /api/agents": 403,
    "POST /api/agents": 403,
    "GET /api/sessions": 403,
    "POST /api/approvals/x/decision": 403,
    "GET /key/info": 403,
    "GET /health": 403,
    "GET /": 403,
    "GET /v1/models": 200,
    "POST /mcp": 200,
    "PUT /mcp": 403,
    "POST /v1/chat/completions?stream=1": 200,
    "raw absolute-form": "HTTP/1.1 403 Forbidden",
    "raw dot-segments": "HTTP/1.1 403 Forbidden",
    "raw encoded dots": "HTTP/1.1 403 Forbidden",
    "raw encoded slash": "HTTP/1.1 403 Forbidden",
    "raw backslash": "HTTP/1.1 403 Forbidden",
    "raw upgrade": "HTTP/1.1 403 Forbidden",
    "raw host game": "HTTP/1.1 200 OK",
    "raw via socket /api/agents": "HTTP/1.1 403 Forbidden",
  });

  // No descriptor of LAP's came along, in any process the agent can look at (bubblewrap's init
  // included): only stdio, sockets, anonymous inodes, /dev and /proc entries (a host file or
  // directory would show its path; `?` is the listing's own descriptor, closed by then).
  for (const fd of p.fds as string[])
    expect({ fd, ok: /-> (\?|pipe:|socket:|anon_inode:|\/dev\/|\/proc\/)|EACCES/.test(fd) }).toEqual({ fd, ok: true });

  // Its own accounts, not the host's; no /etc/shadow.
  expect(p.etc.shadow).toBe("ENOENT");
  expect(p.etc.passwd).toContain("lap:x:1000:1000");
  expect(p.etc.passwd).not.toContain("daemon:");
}

/** What LAP behind the bridge saw: only model routes and /mcp, with LAP's own Host. */
function expectOnlyAllowedReachedLap(since: number) {
  const reached = seen.slice(since);
  expect(reached.length).toBeGreaterThan(0);
  for (const r of reached)
    expect({ path: r.path, allowed: /^\/(v1\/models|v1\/chat\/completions|mcp)(\?|$)/.test(r.path) }).toEqual({
      path: r.path,
      allowed: true,
    });
  for (const r of reached) expect(r.host).toBe(`127.0.0.1:${lap.port}`);
}

describe.skipIf(Boolean(problem))("sandbox escape: a local sandbox", () => {
  test(runningAsRoot()
    ? "LAP as root: the sandbox is an unprivileged uid from LAP_SANDBOX_UIDS and cannot get out"
    : "LAP as a normal user: the sandbox is that uid in a user namespace and cannot get out", async () => {
    const since = seen.length;
    const o = await runEscape();
    const inRange = (uid: number) => uid > DEFAULT_SANDBOX_UIDS.first && uid <= DEFAULT_SANDBOX_UIDS.last;
    expectContained(o, runningAsRoot() ? inRange : (uid) => uid === process.getuid!());
    if (runningAsRoot()) {
      expect(inRange(o.workspaceOwner)).toBe(true);
      expect(o.workspaceMode & 0o777).toBe(0o700);
    }
    expectOnlyAllowedReachedLap(since);
  }, 120_000);

  test.skipIf(!nobodyCanRun)(
    "LAP as a non-root user (uid 65534): the same containment, as that uid",
    async () => {
      const since = seen.length;
      const o = await runEscape(NOBODY);
      expect(o.runnerUid).toBe(NOBODY);
      expectContained(o, (uid) => uid === NOBODY);
      expect(o.workspaceOwner).toBe(NOBODY);
      expectOnlyAllowedReachedLap(since);
    },
    120_000,
  );
});
