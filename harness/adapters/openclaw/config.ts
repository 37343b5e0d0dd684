// The OpenClaw Gateway's configuration for one LAP session (openclaw.json in the harness home; the
// adapters README says why each key is set). The session key is never written: the provider reads
// it from the environment (`${LAP_GATEWAY_KEY}`, OpenClaw's env substitution), and the Gateway's own
// token comes from OPENCLAW_GATEWAY_TOKEN.
import type { HarnessConfig } from "../types.ts";

export const KEY_ENV = "LAP_GATEWAY_KEY";
/** The provider id OpenClaw routes the agent's model through: LAP's gateway and nothing else. */
export const PROVIDER = "lap";
/** LAP's tool names that OpenClaw can ask about: only `exec` (shell commands) has approvals there. */
export const APPROVABLE_TOOLS = new Set(["bash", "exec"]);

export type OpenclawPaths = { workspace: string; agentDir: string };

export function openclawConfig(config: HarnessConfig, port: number, paths: OpenclawPaths): Record<string, unknown> {
  const asks = (config.approvalRequiredTools ?? []).some((tool) => APPROVABLE_TOOLS.has(tool));
  return {
    gateway: { mode: "local", bind: "loopback", port, auth: { mode: "token" } },
    models: {
      // "replace": OpenClaw's built-in providers are dropped, so there is nothing to fall back to.
      mode: "replace",
      catalogRefresh: { enabled: false },
      providers: {
        [PROVIDER]: {
          baseUrl: `${config.gatewayUrl.replace(/\/$/, "")}/v1`,
          apiKey: `\${${KEY_ENV}}`,
          api: "openai-completions",
          // reasoning: false, so OpenClaw sends no reasoning effort of its own (a model that takes none would refuse it).
          models: [{ id: config.model, name: config.model, reasoning: false, input: ["text", "image"] }],
        },
      },
    },
    agents: {
      defaults: {
        // OpenClaw's own files (AGENTS.md it reads, memory) stay in the harness home; tools run in the workspace.
        workspace: paths.agentDir,
        cwd: paths.workspace,
        skipBootstrap: true,
        model: { primary: `${PROVIDER}/${config.model}`, fallbacks: [] },
        utilityModel: "",
        heartbeat: { every: "0m" },
      },
    },
    // "full": the sandbox is the boundary; "ask" with an empty allowlist asks about every command.
    tools: { exec: { mode: asks ? "ask" : "full" } },
    // No scheduled runs (heartbeats, memory dreaming): every model call is a turn the user sent.
    cron: { enabled: false },
    update: { checkOnStart: false },
    discovery: { mdns: { mode: "off" } },
    ...(config.mcpServers?.length
      ? {
          mcp: {
            servers: Object.fromEntries(
              config.mcpServers.map((server) => [
                server.name,
                { url: server.url, transport: "streamable-http", headers: { Authorization: `Bearer \${${KEY_ENV}}` } },
              ]),
            ),
          },
        }
      : {}),
  };
}
