// A warm pre-start of OpenClaw (docs/sandboxes.md "Warm pool"). Its Gateway does ~4 CPU-s of first-run
// work on its first prompt (embedded runner, tools, the agent's database), which made a warm session's
// first token 3-5 s; the warm-up runs it on a throwaway session against the stub model inside the
// sandbox (warm-up.ts). The gateway here stands for the sandbox's gateway proxy before and after the
// bind: before it, model calls are refused and MCP requests held (harness/supervisor/gateway-proxy.ts);
// after it, model calls go to the scripted model (standing for the provider).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replyText } from "../../../test/support/adapter-sessions.ts";
import { KEY, MODEL } from "../../../test/support/harness-contract.ts";
import { type ScriptedModel, startScriptedModel } from "../../../test/support/scripted-model/index.ts";
import { OPENCLAW_MISSING, requires } from "../../../test/support/skip.ts";
import { startUnboundGateway } from "../../../test/support/unbound-gateway.ts";
import { OpenclawAdapter } from "./index.ts";

let model: ScriptedModel;
let gateway: ReturnType<typeof startUnboundGateway>;
let root = "";
let adapter: OpenclawAdapter | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "lap-openclaw-warm-"));
  model = startScriptedModel({ models: [MODEL], apiKey: KEY });
  gateway = startUnboundGateway(model, { refuseUnboundModelCalls: true });
});

afterAll(async () => {
  await adapter?.stop();
  gateway?.stop();
  await model?.stop();
  rmSync(root, { recursive: true, force: true });
});

requires(OPENCLAW_MISSING).describe("openclaw warm pre-start (real Gateway + ACP bridge)", () => {
  test("the warm-up runs a throwaway prompt on the stub; nothing reaches the gateway before the bind; the first turn answers on the agent's model with no trace of it", async () => {
    const workspace = join(root, "workspace");
    const home = join(root, "home");
    mkdirSync(workspace);
    mkdirSync(home);
    const gatewayUrl = gateway.url;
    adapter = new OpenclawAdapter({
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
    // The throwaway prompt ran the model path on the stub, and neither it nor its MCP discovery reached LAP.
    expect(adapter.warmUpModelCalls).toBeGreaterThan(0);
    expect(gateway.beforeBind).toEqual([]);

    gateway.bind();
    model.setScript([
      { when: "say hi", steps: [{ kind: "text", text: "hi after the bind" }] },
      { when: "what came before", steps: [{ kind: "text", text: "the greeting" }] },
    ]);
    const first = await adapter.send("say hi");
    expect(first.events[0]).toEqual({ type: "session.status_running" });
    expect(first.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
    expect(replyText(first.events)).toContain("hi after the bind");
    const second = await adapter.send("what came before");
    expect(replyText(second.events)).toContain("the greeting");

    // Every call on the agent's model and the session's key; the LAP session's conversation holds its
    // own two prompts and none of the warm-up's.
    expect(model.requests.length).toBeGreaterThan(0);
    expect(new Set(model.requests.map((r) => r.model))).toEqual(new Set([MODEL]));
    expect(model.requests.some((r) => r.transcript.includes("warm-up"))).toBe(false);
    const last = model.requests.at(-1)!.transcript;
    expect(last).toContain("say hi");
    expect(last).toContain("what came before");
  }, 600_000);
});
