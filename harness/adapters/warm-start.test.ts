/**
 * A pre-started CLI (harness/supervisor/binding.ts) must not give up on its MCP servers while the
 * sandbox's gateway proxy holds their requests until the bind. Claude Code and Codex wait as long as the
 * warm slot may wait for its bind; opencode starts with them off and connects them at the bind
 * (opencode/mcp-connect.ts). Without a pre-start each CLI keeps its own default.
 */
import { expect, test } from "bun:test";
import { claudeCodeEnv } from "./claude-code/index.ts";
import { codexMcpToml } from "./codex/index.ts";
import { opencodeConfig } from "./opencode/config.ts";

const servers = [{ name: "docs", url: "http://127.0.0.1:4000/mcp/docs" }];
const config = { workspace: "/w", home: "/h", gatewayUrl: "http://127.0.0.1:4000", apiKey: "lap-sandbox-placeholder", model: "m" };

test("each CLI's MCP start timeout follows mcpStartTimeoutMs, and is left alone without it", () => {
  expect(claudeCodeEnv({ ...config, mcpStartTimeoutMs: 1_800_000 }).MCP_TIMEOUT).toBe("1800000");
  expect(claudeCodeEnv(config).MCP_TIMEOUT).toBeUndefined();
  expect(codexMcpToml(servers, 1_800_000)).toContain("startup_timeout_sec = 1800");
  expect(codexMcpToml(servers).join("\n")).not.toContain("startup_timeout_sec");
});

test("a pre-started opencode has its MCP servers configured but off until the bind; otherwise on; never a start timeout", () => {
  const mcp = (options?: { mcpOff?: boolean }) =>
    opencodeConfig({ ...config, mcpServers: servers, mcpStartTimeoutMs: 1_800_000, prestart: true }, options).mcp as Record<
      string,
      { enabled: boolean; timeout?: number; url: string }
    >;
  expect(mcp({ mcpOff: true }).docs).toMatchObject({ enabled: false, url: servers[0]!.url });
  expect(mcp().docs).toMatchObject({ enabled: true, url: servers[0]!.url });
  expect(mcp({ mcpOff: true }).docs!.timeout).toBeUndefined();
});
