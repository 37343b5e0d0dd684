// The Gateway's configuration: LAP's gateway is the only provider, the key is never written, and
// shell approvals are asked only for agents that list bash.
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openclawConfig } from "./config.ts";
import { writeSoul } from "./gateway.ts";
import { warmUpText } from "./warm-up.ts";

const base = { workspace: "/workspace", home: "/home/h", gatewayUrl: "http://127.0.0.1:4000/", apiKey: "lap-sk-secret", model: "gpt-5" };
const paths = { workspace: "/workspace", agentDir: "/home/h/.openclaw/workspace" };

test("a warm pre-start adds the stub as one more provider, with no MCP for it; the agent's model stays LAP's", () => {
  const warm = openclawConfig(base, 41234, paths, "http://127.0.0.1:5555/v1") as any;
  expect(Object.keys(warm.models.providers)).toEqual(["lap", "lap-warm-up"]);
  expect(warm.models.providers["lap-warm-up"]).toMatchObject({ baseUrl: "http://127.0.0.1:5555/v1", apiKey: "none" });
  expect(warm.agents.defaults.model).toEqual({ primary: "lap/gpt-5", fallbacks: [] });
  expect(warm.tools.byProvider).toEqual({ "lap-warm-up": { deny: ["bundle-mcp"] } });
  // Only the throwaway session selects it, for itself (`-s`).
  expect(warmUpText("gpt-5")).toBe("/model lap-warm-up/gpt-5 -s warm-up");
  const cold = openclawConfig(base, 41234, paths) as any;
  expect(Object.keys(cold.models.providers)).toEqual(["lap"]);
  expect(cold.tools.byProvider).toBeUndefined();
});

test("the only provider is LAP's gateway with the agent's model, no fallback, and the key only as an env reference", () => {
  const config = openclawConfig(base, 41234, paths) as any;
  expect(config.models.mode).toBe("replace");
  expect(Object.keys(config.models.providers)).toEqual(["lap"]);
  expect(config.models.providers.lap).toMatchObject({
    baseUrl: "http://127.0.0.1:4000/v1",
    apiKey: "${LAP_GATEWAY_KEY}",
    api: "openai-completions",
  });
  expect(config.models.providers.lap.models.map((m: { id: string }) => m.id)).toEqual(["gpt-5"]);
  expect(config.agents.defaults.model).toEqual({ primary: "lap/gpt-5", fallbacks: [] });
  expect(config.agents.defaults.cwd).toBe("/workspace");
  expect(config.gateway).toMatchObject({ mode: "local", bind: "loopback", port: 41234, auth: { mode: "token" } });
  // Nothing scheduled and nothing fetched: no heartbeat, cron, update check, catalog refresh or mDNS.
  expect(config.cron.enabled).toBe(false);
  expect(config.agents.defaults.heartbeat.every).toBe("0m");
  expect(config.update.checkOnStart).toBe(false);
  expect(config.models.catalogRefresh.enabled).toBe(false);
  expect(JSON.stringify(config)).not.toContain("lap-sk-secret");
});

test("exec runs without asking unless the agent lists bash (or exec); other tools cannot be asked about", () => {
  expect((openclawConfig(base, 1, paths) as any).tools.exec.mode).toBe("full");
  expect((openclawConfig({ ...base, approvalRequiredTools: ["write", "edit"] }, 1, paths) as any).tools.exec.mode).toBe("full");
  expect((openclawConfig({ ...base, approvalRequiredTools: ["bash"] }, 1, paths) as any).tools.exec.mode).toBe("ask");
  expect((openclawConfig({ ...base, approvalRequiredTools: ["exec"] }, 1, paths) as any).tools.exec.mode).toBe("ask");
});

test("the agent's MCP servers go into OpenClaw's mcp.servers with the session key as an env reference", () => {
  const config = openclawConfig({ ...base, mcpServers: [{ name: "docs", url: "http://127.0.0.1:4000/mcp/docs" }] }, 1, paths) as any;
  expect(config.mcp.servers.docs).toEqual({
    url: "http://127.0.0.1:4000/mcp/docs",
    transport: "streamable-http",
    headers: { Authorization: "Bearer ${LAP_GATEWAY_KEY}" },
  });
  expect(JSON.stringify(config)).not.toContain("lap-sk-secret");
  expect((openclawConfig(base, 1, paths) as any).mcp).toBeUndefined();
});

test("tools reach the model by name (no Tool Search) and a message aborts a run a dead bridge left going", () => {
  const config = openclawConfig({ ...base, mcpServers: [{ name: "lap", url: "http://127.0.0.1:4000/mcp/lap" }] }, 1, paths) as any;
  // OpenClaw's default Tool Search would offer tool_search / tool_describe / tool_call instead of lap__memory_write.
  expect(config.tools.toolSearch).toBe(false);
  // Not "steer" (OpenClaw's default), which folded the next message into the dead run.
  expect(config.messages.queue.mode).toBe("interrupt");
});

test("the agent's system prompt is SOUL.md in OpenClaw's agent workspace (0600); none removes a stale one; a symlink there is replaced, not followed", () => {
  const dir = mkdtempSync(join(tmpdir(), "lap-openclaw-soul-"));
  try {
    const agentDir = join(dir, "agent");
    mkdirSync(agentDir);
    writeSoul(agentDir, "You help.\n\n# Memory\n\n## colour\nteal");
    expect(readFileSync(join(agentDir, "SOUL.md"), "utf8")).toBe("You help.\n\n# Memory\n\n## colour\nteal\n");
    expect(statSync(join(agentDir, "SOUL.md")).mode & 0o777).toBe(0o600);
    writeSoul(agentDir, undefined);
    expect(existsSync(join(agentDir, "SOUL.md"))).toBe(false);
    const outside = join(dir, "outside.md");
    writeFileSync(outside, "untouched");
    symlinkSync(outside, join(agentDir, "SOUL.md"));
    writeSoul(agentDir, "You help.");
    expect(readFileSync(outside, "utf8")).toBe("untouched");
    expect(readFileSync(join(agentDir, "SOUL.md"), "utf8")).toBe("You help.\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
