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

export function opencodeConfig(config: HarnessConfig): Record<string, unknown> {
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
    ...(config.mcpServers?.length ? { mcp: opencodeMcp(config.mcpServers, config.mcpStartTimeoutMs) } : {}),
    // The agent's system prompt with its always-on memory (docs/memory.md), written by the adapter.
    ...(config.systemPrompt ? { instructions: [instructionsFile(config)] } : {}),
  };
}

/** Where the adapter writes the agent's system prompt for opencode's `instructions`. */
export const instructionsFile = (config: HarnessConfig) => join(config.home, "lap-instructions.md");

/**
 * The agent's MCP servers as opencode remote servers: LAP's proxy URL, the session key by env
 * reference (never written out), and no OAuth discovery (LAP holds the upstream credentials).
 */
export function opencodeMcp(servers: McpEndpoint[], timeoutMs?: number): Record<string, unknown> {
  return Object.fromEntries(
    servers.map((s) => [
      s.name,
      {
        type: "remote",
        url: s.url,
        enabled: true,
        oauth: false,
        headers: { Authorization: `Bearer {env:${KEY_ENV}}` },
        // Pre-started (harness/supervisor/binding.ts): its MCP requests wait for the bind.
        ...(timeoutMs ? { timeout: timeoutMs } : {}),
      },
    ]),
  );
}
