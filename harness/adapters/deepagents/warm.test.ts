// A warm pre-start of DeepAgents for an agent with MCP servers (LAP's platform tools are on by default):
// before the bind the sandbox's gateway proxy answers no MCP request (harness/supervisor/gateway-proxy.ts
// holds them), so the runner must be ready without one, and list its MCP tools at the first turn. When
// it listed them at start, every warm slot waited out warmUp's 60 s, and bench/harness's API runs for
// DeepAgents did not finish (bench/harness/NOTES.md). The gateway here stands for that proxy: its MCP
// requests wait for the "bind", its model calls go to the scripted model (standing for the provider).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replyText } from "../../../test/support/adapter-sessions.ts";
import { KEY, MODEL } from "../../../test/support/harness-contract.ts";
import { type ScriptedModel, startScriptedModel } from "../../../test/support/scripted-model/index.ts";
import { startUnboundGateway } from "../../../test/support/unbound-gateway.ts";
import { DeepAgentsAdapter } from "./index.ts";

let model: ScriptedModel;
let gateway: ReturnType<typeof startUnboundGateway>;
let root = "";
let adapter: DeepAgentsAdapter | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "lap-deepagents-warm-"));
  model = startScriptedModel({ models: [MODEL], apiKey: KEY });
  gateway = startUnboundGateway(model);
});

afterAll(async () => {
  await adapter?.stop();
  gateway?.stop();
  await model?.stop();
  rmSync(root, { recursive: true, force: true });
});

test("pre-started with MCP servers: ready while the gateway holds MCP requests, none asked before the bind; the first turn lists the tools and answers", async () => {
  const workspace = join(root, "workspace");
  const home = join(root, "home");
  mkdirSync(workspace);
  mkdirSync(home);
  const gatewayUrl = gateway.url;
  adapter = new DeepAgentsAdapter({
    workspace,
    home,
    gatewayUrl,
    apiKey: KEY,
    model: MODEL,
    mcpServers: [{ name: "docs", url: `${gatewayUrl}/mcp/docs` }],
    prestart: true,
  });
  await adapter.start();
  await adapter.warmUp();
  expect(gateway.mcpRequests).toEqual([]);

  gateway.bind();
  model.setScript([{ when: "say hi", steps: [{ kind: "text", text: "hi after the bind" }] }]);
  const result = await adapter.send("say hi");
  expect(result.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
  expect(replyText(result.events)).toContain("hi after the bind");
  // Asked at the first turn, after the bind; the gateway's 503 leaves the agent its own tools.
  expect(gateway.mcpRequests.length).toBeGreaterThan(0);
  expect(gateway.mcpRequests.some((r) => r.includes("before the bind"))).toBe(false);
}, 120_000);
