// Each CLI's MCP config for an agent's servers: LAP's proxy endpoints and the session key, in the
// CLI's native format. Codex's is read back by the real codex binary (`codex mcp list --json`), so a
// format it does not accept fails here. (Claude Code and opencode are exercised for real in mcp.test.ts.)
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { harnessBinary } from "./binaries.ts";
import { claudeMcpConfig } from "./claude-code/index.ts";
import { codexConfigToml } from "./codex/index.ts";
import { opencodeConfig } from "./opencode/config.ts";
import type { HarnessConfig } from "./types.ts";

const KEY = "sk-lap-session-key-for-config";
const config: HarnessConfig = {
  workspace: "/workspace",
  home: "/tmp/home",
  gatewayUrl: "http://127.0.0.1:4000",
  apiKey: KEY,
  model: "m",
  mcpServers: [
    { name: "everything", url: "http://127.0.0.1:4000/mcp/everything" },
    { name: "files", url: "http://127.0.0.1:4000/mcp/files" },
  ],
};

test("Claude Code: --mcp-config with every server over HTTP at LAP, Bearer session key", () => {
  expect(claudeMcpConfig(config)).toEqual({
    mcpServers: {
      everything: { type: "http", url: "http://127.0.0.1:4000/mcp/everything", headers: { Authorization: `Bearer ${KEY}` } },
      files: { type: "http", url: "http://127.0.0.1:4000/mcp/files", headers: { Authorization: `Bearer ${KEY}` } },
    },
  });
  expect(claudeMcpConfig({ ...config, mcpServers: undefined })).toEqual({ mcpServers: {} });
});

test("opencode: remote servers at LAP, the key by env reference only, no OAuth discovery", () => {
  const oc = opencodeConfig(config);
  expect(oc.mcp).toEqual({
    everything: {
      type: "remote",
      url: "http://127.0.0.1:4000/mcp/everything",
      enabled: true,
      oauth: false,
      headers: { Authorization: "Bearer {env:LAP_GATEWAY_KEY}" },
    },
    files: {
      type: "remote",
      url: "http://127.0.0.1:4000/mcp/files",
      enabled: true,
      oauth: false,
      headers: { Authorization: "Bearer {env:LAP_GATEWAY_KEY}" },
    },
  });
  expect(JSON.stringify(oc)).not.toContain(KEY);
  expect(opencodeConfig({ ...config, mcpServers: [] }).mcp).toBeUndefined();
});

test("Codex: streamable-HTTP servers with the key from the environment, their tools approved (LAP's policy decides), as the real codex reads them", async () => {
  // An approval-required MCP tool (`files__delete`) is never offered: Codex cannot wait for a person on one.
  const toml = codexConfigToml({ ...config, approvalRequiredTools: ["files__delete", "bash"] });
  expect(toml).not.toContain(KEY);
  expect(toml.match(/disabled_tools = .*/g)).toEqual(['disabled_tools = ["delete"]']);
  // Without it Codex asks the app server's client before every MCP call, and the call is refused. The
  // real codex refuses a value it does not know (exit code below).
  expect(toml.match(/default_tools_approval_mode = "approve"/g)).toHaveLength(2);
  // Retries that outlast a LAP restart (docs/sessions.md); the real codex refuses a key it does not know the type of.
  expect(toml).toContain("stream_max_retries = 20\nrequest_max_retries = 10");
  const home = mkdtempSync(join(tmpdir(), "lap-codex-mcp-"));
  mkdirSync(join(home, ".codex"));
  writeFileSync(join(home, ".codex", "config.toml"), toml);
  const proc = Bun.spawn([harnessBinary("codex"), "mcp", "list", "--json"], {
    env: { PATH: "/usr/bin:/bin", HOME: home, CODEX_HOME: join(home, ".codex") },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(code).toBe(0);
  const listed = JSON.parse(out) as Array<{ name: string; enabled: boolean; transport: Record<string, unknown> }>;
  expect(listed.map((s) => [s.name, s.enabled, s.transport.type, s.transport.url, s.transport.bearer_token_env_var])).toEqual([
    ["everything", true, "streamable_http", "http://127.0.0.1:4000/mcp/everything", "LAP_GATEWAY_KEY"],
    ["files", true, "streamable_http", "http://127.0.0.1:4000/mcp/files", "LAP_GATEWAY_KEY"],
  ]);
}, 30_000);
