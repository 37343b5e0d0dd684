/**
 * `local` provider (default on Linux): every sandbox is a bubblewrap jail around the supervisor,
 * as a non-root host user in its own user namespace (host/bwrap.ts, docs/security.md).
 * The sandbox has its own network namespace with only loopback; the supervisor bridges
 * 127.0.0.1:4000 to the LAP bridge (model routes and /mcp) and 127.0.0.1:3128 to LAP's egress proxy over Unix sockets.
 */
import { chmodSync, chownSync, readdirSync, statSync } from "node:fs";
import { caBundleEnv, noProxyEnv, proxyEnv } from "../../harness/sandbox-env";
import { IN_SANDBOX, bwrapFeatures, localSandboxCommand } from "./host/bwrap";
import { checkSandboxing } from "./host/preflight";
import { RUN_DIR_MARK } from "./host/processes";
import { handOver, type HostUser, SandboxUsers } from "./host/sandbox-user";
import { HostSandboxProvider, type HostProviderOptions, type Launch, type LaunchContext } from "./host/host-provider";
import { type SandboxBinding, SandboxError, type SandboxPreparation } from "./provider";
import { isReservedSandboxEnv } from "./secrets/reserved-env";

export const GATEWAY_PORT_INSIDE = 4000;
export const EGRESS_PORT_INSIDE = 3128;

export const BWRAP_MISSING =
  "bubblewrap (bwrap) is not installed, so local sandboxes cannot start. Install it (Debian/Ubuntu: sudo apt-get install -y bubblewrap), " +
  "run `lap doctor` to check, or set LAP_SANDBOX=process to run agents without isolation (not recommended).";

/** Environment every sandbox starts with (before CONTAINER_ENV_* passthrough and stubs). */
export function baseSandboxEnv(paths: { workspace: string; bunDir: string }): Record<string, string> {
  return {
    HOME: paths.workspace,
    PATH: `${paths.bunDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    LANG: "C.UTF-8",
    TERM: "xterm-256color",
    // Bun must not phone home or write caches outside the sandbox's own places.
    DO_NOT_TRACK: "1",
    BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0",
  };
}

export { caBundleEnv } from "../../harness/sandbox-env";

export const userEnv = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => !isReservedSandboxEnv(k)));

export class LocalSandboxProvider extends HostSandboxProvider {
  readonly name = "local" as const;
  private checked = false;
  private readonly users: SandboxUsers;

  constructor(
    opts: HostProviderOptions,
    private bwrapPath = "bwrap",
  ) {
    super(opts);
    this.users = new SandboxUsers(opts.sandboxUids);
  }

  /** Local sandboxes can outlive a LAP crash and be adopted (LAP_SANDBOX_ORPHAN_GRACE_SECONDS). */
  protected adoptable() {
    return true;
  }

  /** Once: bubblewrap is there and can make a user namespace as a non-root uid; else no sandbox at all. */
  protected async preflight() {
    if (this.checked) return;
    if (!Bun.which(this.bwrapPath)) throw new SandboxError("unavailable", BWRAP_MISSING);
    // The same probe as at start-up and in `lap doctor`: a sandbox that cannot be isolated is not started.
    const problem = await checkSandboxing({ bwrap: this.bwrapPath, user: this.users.forProbe() });
    if (problem) throw new SandboxError("unavailable", problem);
    this.checked = true;
  }

  protected async sandboxUser(workspace: string): Promise<HostUser | null> {
    const user = this.users.forWorkspace(this.workspacesDir, workspace);
    // A new workspace (empty: no walk needed), or one an older LAP left owned by root: give it (all of it) to the sandbox's user.
    if (user && statSync(workspace).uid !== user.uid) {
      if (readdirSync(workspace).length) await handOver(workspace, user);
      else chownSync(workspace, user.uid, user.gid);
      // Closed to every other uid, other sandboxes' included (should one ever get out of its mount namespace).
      chmodSync(workspace, 0o700);
    }
    return user;
  }

  async handOverWorkspace(workspaceId: string): Promise<void> {
    const workspace = this.workspacePath(workspaceId);
    const user = this.users.forWorkspace(this.workspacesDir, workspace);
    if (user) await handOver(workspace, user);
  }

  protected launch(ctx: LaunchContext): Launch {
    const bridges = [`127.0.0.1:${GATEWAY_PORT_INSIDE}=${IN_SANDBOX.runDir}/lap.sock`];
    const env: Record<string, string> = {
      ...baseSandboxEnv({ workspace: IN_SANDBOX.workspace, bunDir: "/opt/lap/bin" }),
      ...userEnv(ctx.spec.env),
      LAP_SUPERVISOR_SOCKET: `${IN_SANDBOX.runDir}/supervisor.sock`,
      LAP_SUPERVISOR_TOKEN_FILE: `${IN_SANDBOX.runDir}/token`,
      LAP_HARNESS: ctx.spec.harness,
      LAP_HARNESS_ROOT: IN_SANDBOX.harnessRoot,
      LAP_WORKSPACE: IN_SANDBOX.workspace,
      LAP_BUN: IN_SANDBOX.bun,
      LAP_BUILTIN_ENTRY: `${IN_SANDBOX.bundle}/agent/main.js`,
      ...noProxyEnv(["127.0.0.1", "localhost"]),
      [RUN_DIR_MARK]: ctx.runDir,
    };
    // The supervisor stops the sandbox once LAP's bridge has been gone this long (harness/supervisor/orphan.ts).
    // The built-in agent retries a model step that cannot reach LAP for as long (harness/agent/loop.ts).
    if (ctx.orphanGraceSeconds > 0)
      env.LAP_SUPERVISOR_ORPHAN_GRACE_SECONDS = env.LAP_GATEWAY_RETRY_SECONDS = String(ctx.orphanGraceSeconds);
    if (this.opts.egress) {
      bridges.push(`127.0.0.1:${EGRESS_PORT_INSIDE}=${IN_SANDBOX.runDir}/egress.sock`);
      Object.assign(env, proxyEnv(`http://127.0.0.1:${EGRESS_PORT_INSIDE}`));
      if (this.opts.egressCa) Object.assign(env, caBundleEnv(`${IN_SANDBOX.runDir}/ca-bundle.pem`));
    }
    env.LAP_BRIDGES = bridges.join(",");
    const extraReadOnly: Array<{ host: string; sandbox: string }> = [{ host: ctx.bundle.dir, sandbox: IN_SANDBOX.bundle }];
    if (this.opts.harnessBinDir) {
      // The image's CLIs live outside node_modules (Dockerfile); the adapters find them through this variable.
      extraReadOnly.push({ host: this.opts.harnessBinDir, sandbox: IN_SANDBOX.harnessBin });
      env.LAP_HARNESS_BIN_DIR = IN_SANDBOX.harnessBin;
    }
    if (this.opts.openclawDir) {
      // OpenClaw and its Node live apart from node_modules (harness/adapters/binaries.ts), read-only like them.
      extraReadOnly.push({ host: this.opts.openclawDir, sandbox: IN_SANDBOX.openclaw });
      env.LAP_OPENCLAW_DIR = IN_SANDBOX.openclaw;
    }
    const command = localSandboxCommand(
      {
        bunPath: this.opts.bunPath,
        harnessRoot: this.opts.harnessRoot,
        nodeModules: this.opts.nodeModules,
        workspace: ctx.workspace,
        runDir: ctx.runDir,
        extraReadOnly,
      },
      [IN_SANDBOX.bun, `${IN_SANDBOX.bundle}/supervisor/main.js`],
      {
        user: ctx.user,
        bwrap: this.bwrapPath,
        disableUserns: bwrapFeatures(this.bwrapPath).disableUserns,
        unsetEnv: [RUN_DIR_MARK],
        // Adoptable: nothing ties the jail to LAP's life; the supervisor's orphan watch bounds it instead.
        ...(ctx.orphanGraceSeconds > 0 ? { dieWithParent: false, parentPid: null } : {}),
      },
    );
    // cwd: bubblewrap starts from the run root's parent, which the sandbox's user need not be able to enter.
    return { command, env, cwd: "/" };
  }

  /** Warm pre-start (harness/supervisor/binding.ts): the supervisor's gateway proxy is the first bridge above. */
  async prepare(id: string, preparation: SandboxPreparation, gatewayBaseUrl: string): Promise<{ harness: string }> {
    const conn = await this.connect(id);
    const res = await conn.fetch(`${conn.baseUrl}/lap/prepare`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...preparation, gatewayBaseUrl: this.gatewayUrlInside({ gatewayBaseUrl } as SandboxBinding) }),
      signal: AbortSignal.timeout(150_000),
    });
    if (!res.ok) throw new SandboxError("failed", `supervisor refused the preparation: ${res.status} ${(await res.text()).slice(0, 300)}`);
    return { harness: String(((await res.json()) as { harness?: string }).harness ?? "unknown") };
  }

  protected gatewayUrlInside(binding: SandboxBinding): string {
    // Inside, LAP is at the bridge; keep the path (/v1) of the URL LAP handed out.
    const u = new URL(binding.gatewayBaseUrl);
    return `http://127.0.0.1:${GATEWAY_PORT_INSIDE}${u.pathname.replace(/\/+$/, "")}`;
  }
}
