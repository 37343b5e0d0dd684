/**
 * `local` provider (default on Linux): every sandbox is a bubblewrap jail around the supervisor.
 * The sandbox has its own network namespace with only loopback; the supervisor bridges
 * 127.0.0.1:4000 to LAP (gateway) and 127.0.0.1:3128 to LAP's egress proxy over Unix sockets.
 */
import { caBundleEnv, noProxyEnv, proxyEnv } from "../../harness/sandbox-env";
import { IN_SANDBOX, bwrapArgs } from "./host/bwrap";
import { checkBubblewrap } from "./host/bwrap-check";
import { HostSandboxProvider, type HostProviderOptions, type Launch, type LaunchContext } from "./host/host-provider";
import { type SandboxBinding, SandboxError } from "./provider";
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

  constructor(opts: HostProviderOptions, private bwrapPath = "bwrap") {
    super(opts);
  }

  protected preflight() {
    if (this.checked) return;
    // The same probe as at start-up and in `lap doctor`: a sandbox that cannot be isolated is not started.
    const check = checkBubblewrap({ bwrap: this.bwrapPath });
    if (!check.ok) throw new SandboxError("unavailable", check.problem === "missing" ? BWRAP_MISSING : `${check.reason}. ${check.fix}`);
    this.checked = true;
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
    };
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
    const command = bwrapArgs(
      {
        bunPath: this.opts.bunPath,
        harnessRoot: this.opts.harnessRoot,
        nodeModules: this.opts.nodeModules,
        workspace: ctx.workspace,
        runDir: ctx.runDir,
        extraReadOnly,
      },
      [IN_SANDBOX.bun, `${IN_SANDBOX.bundle}/supervisor/main.js`],
    );
    command[0] = this.bwrapPath;
    return { command, env, cwd: ctx.workspace };
  }

  protected gatewayUrlInside(binding: SandboxBinding): string {
    // Inside, LAP is at the bridge; keep the path (/v1) of the URL LAP handed out.
    const u = new URL(binding.gatewayBaseUrl);
    return `http://127.0.0.1:${GATEWAY_PORT_INSIDE}${u.pathname.replace(/\/+$/, "")}`;
  }
}
