// opencode's configuration for one LAP session (`OPENCODE_CONFIG_CONTENT`, start.ts): LAP's gateway is
// the only provider (OpenAI-compatible, /v1/chat/completions), and the agent's model is pinned as
// model, small_model and the model of every built-in agent, so titles, summaries and compaction never
// use anything else.
import { join } from "node:path";
import type { HarnessConfig, McpEndpoint } from "../types.ts";
import { opencodePermissionConfig } from "./permissions.ts";
import { KEY_ENV } from "./start.ts";

/** The provider id LAP's gateway has in opencode's config. */
export const PROVIDER = "lap";

/**
 * `mcpOff`: the agent's MCP servers are configured but not connected at start (a pre-start before the
 * bind: LAP's MCP answers only a bound sandbox); the adapter connects them at the bind (index.ts `bound`).
 */
export function opencodeConfig(config: HarnessConfig, options: { mcpOff?: boolean } = {}): Record<string, unknown> {
  const model = `${PROVIDER}/${config.model}`;
  return {
    $schema: "https://opencode.ai/config.json",
    autoupdate: false,
    share: "disabled",
    // The sandbox is the boundary: nobody is at opencode's prompt to answer "ask" (a bash command
    // touching /tmp would otherwise wait forever for external_directory approval). Only the agent's
    // approval-required tools ask, and LAP answers them (docs/approvals.md).
    permission: opencodePermissionConfig(config.approvalRequiredTools ?? []),
    // Only LAP's gateway: no built-in or free providers to fall back to.
    enabled_providers: [PROVIDER],
    provider: {
      [PROVIDER]: {
        npm: "@ai-sdk/openai-compatible",
        name: "LAP gateway",
        // The key stays in the environment, not in a config file on disk.
        options: { baseURL: `${config.gatewayUrl.replace(/\/$/, "")}/v1`, apiKey: `{env:${KEY_ENV}}` },
        // Declared multimodal: opencode replaces images with an error text for a model that is not
        // (attachments, docs/sessions.md); the gateway and the provider decide what the model takes.
        // Declared in full (tools too): opencode's models.dev catalogue is empty (start.ts).
        models: {
          [config.model]: {
            name: config.model,
            tool_call: true,
            attachment: true,
            modalities: { input: ["text", "image", "pdf"], output: ["text"] },
          },
        },
      },
    },
    model,
    small_model: model,
    agent: Object.fromEntries(["build", "plan", "general", "title", "summary", "compaction"].map((name) => [name, { model }])),
    ...(config.mcpServers?.length ? { mcp: opencodeMcp(config.mcpServers, { enabled: !options.mcpOff }) } : {}),
    // The agent's system prompt with its always-on memory (docs/memory.md), written by the adapter.
    ...(config.systemPrompt ? { instructions: [instructionsFile(config)] } : {}),
  };
}

/** Where the adapter writes the agent's system prompt for opencode's `instructions`. */
export const instructionsFile = (config: HarnessConfig) => join(config.home, "lap-instructions.md");

/**
 * The agent's MCP servers as opencode remote servers: LAP's proxy URL, the session key by env
 * reference (never written out), and no OAuth discovery (LAP holds the upstream credentials).
 * `enabled: false` (a pre-start): opencode does not connect them at start, and connects one when told
 * (`POST /mcp/:name/connect`). No MCP start timeout of LAP's: nothing holds them once they connect,
 * which opencode's MCP client would give up on after ~60 s whatever its `timeout` says
 * (bench/harness/NOTES.md, "Why opencode's warm API first token is 5-23 s").
 */
export function opencodeMcp(servers: McpEndpoint[], options: { enabled: boolean } = { enabled: true }): Record<string, unknown> {
  return Object.fromEntries(
    servers.map((s) => [
      s.name,
      { type: "remote", url: s.url, enabled: options.enabled, oauth: false, headers: { Authorization: `Bearer {env:${KEY_ENV}}` } },
    ]),
  );
}
