/**
 * `process` provider: the supervisor runs as a plain child process of LAP with NO isolation
 * (same filesystem, same network, same user). Only for machines without bubblewrap and only when
 * LAP_SANDBOX=process is set explicitly; it warns on every sandbox it starts.
 */
import { dirname, join } from "node:path";
import { HostSandboxProvider, type Launch, type LaunchContext } from "./host/host-provider";
import { noProxyEnv, proxyEnv } from "../../harness/sandbox-env";
import { baseSandboxEnv, caBundleEnv, userEnv } from "./local-provider";
import type { SandboxBinding } from "./provider";

export class ProcessSandboxProvider extends HostSandboxProvider {
  readonly name = "process" as const;

  protected preflight() {}

  protected launch(ctx: LaunchContext): Launch {
    this.opts.logger.warn(
      { sandbox_id: ctx.id, workspace_id: ctx.spec.workspaceId },
      "LAP_SANDBOX=process: this sandbox has NO isolation; the agent can read and change anything LAP's user can. Use the local (bubblewrap) provider.",
    );
    const env: Record<string, string> = {
      ...baseSandboxEnv({ workspace: ctx.workspace, bunDir: dirname(this.opts.bunPath) }),
      ...userEnv(ctx.spec.env),
      LAP_SUPERVISOR_SOCKET: join(ctx.runDir, "supervisor.sock"),
      LAP_SUPERVISOR_TOKEN_FILE: join(ctx.runDir, "token"),
      LAP_HARNESS: ctx.spec.harness,
      LAP_HARNESS_ROOT: this.opts.harnessRoot,
      LAP_WORKSPACE: ctx.workspace,
      LAP_BUN: this.opts.bunPath,
      LAP_BUILTIN_ENTRY: ctx.bundle.agent,
      ...noProxyEnv(["127.0.0.1", "localhost"]),
      ...(this.opts.harnessBinDir ? { LAP_HARNESS_BIN_DIR: this.opts.harnessBinDir } : {}),
      ...(this.opts.openclawDir ? { LAP_OPENCLAW_DIR: this.opts.openclawDir } : {}),
    };
    if (ctx.egressPort) {
      Object.assign(env, proxyEnv(`http://127.0.0.1:${ctx.egressPort}`));
      if (this.opts.egressCa) Object.assign(env, caBundleEnv(join(ctx.runDir, "ca-bundle.pem")));
    }
    return { command: [this.opts.bunPath, ctx.bundle.supervisor], env, cwd: ctx.workspace };
  }

  protected gatewayUrlInside(binding: SandboxBinding): string {
    return binding.gatewayBaseUrl;
  }
}
