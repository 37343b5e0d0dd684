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
import { DeepAgentsAdapter } from "./index.ts";

let model: ScriptedModel;
let gateway: ReturnType<typeof Bun.serve>;
let root = "";
let adapter: DeepAgentsAdapter | undefined;
let bound = false;
const heldUntilBind: Array<() => void> = [];
const mcpRequests: string[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "lap-deepagents-warm-"));
  model = startScriptedModel({ models: [MODEL], apiKey: KEY });
  gateway = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // The proxy holds a request as long as the slot waits for its bind.
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname.startsWith("/mcp")) {
        mcpRequests.push(`${req.method} ${url.pathname}${bound ? "" : " (before the bind)"}`);
        if (!bound) await new Promise<void>((release) => heldUntilBind.push(release));
        return Response.json({ error: { message: "no MCP server behind this gateway" } }, { status: 503 });
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      return fetch(`${model.url}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body: req.method === "GET" ? undefined : await req.arrayBuffer(),
      });
    },
  });
});

afterAll(async () => {
  await adapter?.stop();
  for (const release of heldUntilBind.splice(0)) release();
  gateway?.stop(true);
  await model?.stop();
  rmSync(root, { recursive: true, force: true });
});

test("pre-started with MCP servers: ready while the gateway holds MCP requests, none asked before the bind; the first turn lists the tools and answers", async () => {
  const workspace = join(root, "workspace");
  const home = join(root, "home");
  mkdirSync(workspace);
  mkdirSync(home);
  const gatewayUrl = `http://127.0.0.1:${gateway.port}`;
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
  expect(mcpRequests).toEqual([]);

  bound = true;
  for (const release of heldUntilBind.splice(0)) release();
  model.setScript([{ when: "say hi", steps: [{ kind: "text", text: "hi after the bind" }] }]);
  const result = await adapter.send("say hi");
  expect(result.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
  expect(replyText(result.events)).toContain("hi after the bind");
  // Asked at the first turn, after the bind; the gateway's 503 leaves the agent its own tools.
  expect(mcpRequests.length).toBeGreaterThan(0);
  expect(mcpRequests.some((r) => r.includes("before the bind"))).toBe(false);
}, 120_000);
