// The OpenClaw Gateway's configuration for one LAP session (openclaw.json in the harness home; the
// adapters README says why each key is set). The session key is never written: the provider reads
// it from the environment (`${LAP_GATEWAY_KEY}`, OpenClaw's env substitution), and the Gateway's own
// token comes from OPENCLAW_GATEWAY_TOKEN.
import type { HarnessConfig } from "../types.ts";
import { WARM_UP_PROVIDER } from "../warm-up-stub.ts";

export const KEY_ENV = "LAP_GATEWAY_KEY";
/** The provider id OpenClaw routes the agent's model through: LAP's gateway and nothing else. */
export const PROVIDER = "lap";
/** LAP's tool names that OpenClaw can ask about: only `exec` (shell commands) has approvals there. */
export const APPROVABLE_TOOLS = new Set(["bash", "exec"]);

export type OpenclawPaths = { workspace: string; agentDir: string };

/**
 * `warmUpUrl`: a warm pre-start's stub model (../warm-up-stub.ts), one more provider that only the
 * warm-up's throwaway session selects (openclaw/warm-up.ts); the agent's model stays `lap/<model>`.
 */
export function openclawConfig(config: HarnessConfig, port: number, paths: OpenclawPaths, warmUpUrl?: string): Record<string, unknown> {
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
        ...(warmUpUrl
          ? {
              [WARM_UP_PROVIDER]: {
                baseUrl: warmUpUrl,
                apiKey: "none",
                api: "openai-completions",
                models: [{ id: config.model, name: config.model, reasoning: false, input: ["text"] }],
              },
            }
          : {}),
      },
    },
    agents: {
      defaults: {
        // OpenClaw's agent workspace (AGENTS.md, SOUL.md, skills/, memory) stays in the harness home; tools run in the workspace.
        workspace: paths.agentDir,
        cwd: paths.workspace,
        skipBootstrap: true,
        model: { primary: `${PROVIDER}/${config.model}`, fallbacks: [] },
        utilityModel: "",
        heartbeat: { every: "0m" },
      },
    },
    tools: {
      // "full": the sandbox is the boundary; "ask" with an empty allowlist asks about every command.
      exec: { mode: asks ? "ask" : "full" },
      // Direct tool schemas. OpenClaw's default ("tools" mode Tool Search) hides MCP and most of its own
      // tools behind tool_search / tool_describe / tool_call, so the model never saw LAP's MCP tools by name.
      toolSearch: false,
      // The warm-up's throwaway session connects no MCP server: before the bind the sandbox's gateway proxy
      // holds MCP requests (docs/security.md "Before bind"), and the LAP session connects its own after it.
      ...(warmUpUrl ? { byProvider: { [WARM_UP_PROVIDER]: { deny: ["bundle-mcp"] } } } : {}),
    },
    // A message sent while a run is still going aborts that run. LAP sends one only once the turn before
    // it ended, so a run still going is one whose ACP bridge died mid-turn; OpenClaw's default ("steer")
    // folded the new message into that dead run and the new bridge's prompt ended at once, empty.
    messages: { queue: { mode: "interrupt" } },
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
