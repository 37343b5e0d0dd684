/**
 * A pre-started CLI (harness/supervisor/binding.ts) waits for its MCP servers as long as the warm slot
 * may wait for its bind: the sandbox's gateway proxy holds MCP requests until then. Without a pre-start
 * each CLI keeps its own default.
 */
import { expect, test } from "bun:test";
import { claudeCodeEnv } from "./claude-code/index.ts";
import { codexMcpToml } from "./codex/index.ts";
import { opencodeMcp } from "./opencode/config.ts";

const servers = [{ name: "docs", url: "http://127.0.0.1:4000/mcp/docs" }];
const config = { workspace: "/w", home: "/h", gatewayUrl: "http://127.0.0.1:4000", apiKey: "lap-sandbox-placeholder", model: "m" };

test("each CLI's MCP start timeout follows mcpStartTimeoutMs, and is left alone without it", () => {
  expect(claudeCodeEnv({ ...config, mcpStartTimeoutMs: 1_800_000 }).MCP_TIMEOUT).toBe("1800000");
  expect(claudeCodeEnv(config).MCP_TIMEOUT).toBeUndefined();
  expect(codexMcpToml(servers, 1_800_000)).toContain("startup_timeout_sec = 1800");
  expect(codexMcpToml(servers).join("\n")).not.toContain("startup_timeout_sec");
  expect((opencodeMcp(servers, 1_800_000).docs as { timeout?: number }).timeout).toBe(1_800_000);
  expect((opencodeMcp(servers).docs as { timeout?: number }).timeout).toBeUndefined();
});
