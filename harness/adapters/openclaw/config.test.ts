// The Gateway's configuration: LAP's gateway is the only provider, the key is never written, and
// shell approvals are asked only for agents that list bash.
import { expect, test } from "bun:test";
import { openclawConfig } from "./config.ts";

const base = { workspace: "/workspace", home: "/home/h", gatewayUrl: "http://127.0.0.1:4000/", apiKey: "lap-sk-secret", model: "gpt-5" };
const paths = { workspace: "/workspace", agentDir: "/home/h/.openclaw/agent" };

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
