// The whole path of the issue: each real harness CLI in a bubblewrap sandbox, driven by the
// supervisor, its model calls going to LAP's real gateway under a session-scoped virtual key,
// the gateway routing to the scripted model (standing for the LLM providers) with the provider key.
// Asserts the file, the event order, the spend rows against the session key with the agent's model,
// that the provider key never reaches the sandbox, and that an unknown model is a clear error.
// Needs the gateway branch merged (server/gateway); it skips until then. Verified on a local merge of
// sandbox + gateway (with the gateway's /v1/messages accepting `role: "system"`, see the report).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalSandboxProvider } from "../../server/sandboxes/local-provider.ts";
import { type SandboxEvent, SupervisorClient } from "../../server/sandboxes/supervisor-client.ts";
import { providerOptions } from "../../server/sandboxes/test-helpers.ts";
import { createTestApp, type TestApp } from "../../test/support/app.ts";
import { type ScriptedModel, startScriptedModel } from "../../test/support/scripted-model/index.ts";
import { createHarnessAdapter } from "./index.ts";
import type { HarnessName } from "./types.ts";

const PROVIDER_KEY = "sk-provider-real-key-never-in-sandbox";
const UPSTREAM_MODEL = "scripted-coder-1";
/** The agent's model per harness, as the gateway names it (wire format of each CLI). */
const AGENT_MODEL: Record<HarnessName, string> = { "claude-code": "claude-scripted", codex: "gpt-scripted", opencode: "gpt-scripted" };

const GATEWAY_PRESENT = existsSync(join(import.meta.dir, "../../server/gateway/index.ts"));

let model: ScriptedModel;
let lap: TestApp;
let server: { stop(force?: boolean): Promise<void> | void; port: number };
let provider: LocalSandboxProvider;
let lapUrl = "";

beforeAll(async () => {
  if (!GATEWAY_PRESENT) return;
  model = startScriptedModel({ models: [UPSTREAM_MODEL], apiKey: PROVIDER_KEY });
  const dir = mkdtempSync(join(tmpdir(), "lap-harness-gw-"));
  const configPath = join(dir, "gateway.yaml");
  writeFileSync(
    configPath,
    `model_list:
  - model_name: claude-scripted
    litellm_params: { model: anthropic/${UPSTREAM_MODEL}, api_base: ${model.url}, api_key: os.environ/SCRIPTED_PROVIDER_KEY }
  - model_name: gpt-scripted
    litellm_params: { model: openai/${UPSTREAM_MODEL}, api_base: ${model.url}/v1, api_key: os.environ/SCRIPTED_PROVIDER_KEY }
`,
  );
  lap = await createTestApp({ LAP_GATEWAY_CONFIG: configPath, SCRIPTED_PROVIDER_KEY: PROVIDER_KEY, LAP_GATEWAY_SPEND_FLUSH_MS: "50" });
  const listening = lap.app.listen({ port: 0, hostname: "127.0.0.1" });
  server = { port: listening.server!.port!, stop: (force) => listening.server!.stop(force) };
  lapUrl = `http://127.0.0.1:${server.port}`;
  provider = new LocalSandboxProvider(providerOptions(() => server.port));
}, 60_000);

afterAll(async () => {
  await provider?.shutdown();
  // services.gateway exists once the gateway branch is merged.
  await (lap?.services as { gateway?: { close(): Promise<void> } } | undefined)?.gateway?.close();
  await server?.stop(true);
  await model?.stop();
  await lap?.close();
}, 60_000);

async function sessionKey(sessionId: string, agentModel: string): Promise<string> {
  const response = await lap.json("POST", "/key/generate", { body: { models: [agentModel], session_id: sessionId, key_alias: `session-${sessionId}` } });
  expect(response.status).toBe(200);
  return response.body.key as string;
}

async function spendRows(sessionId: string, atLeast: number): Promise<Record<string, unknown>[]> {
  const started = Date.now();
  for (;;) {
    const response = await lap.json("GET", `/spend/logs?session_id=${sessionId}`);
    const rows = (Array.isArray(response.body) ? response.body : (response.body?.data ?? [])) as Record<string, unknown>[];
    if (rows.length >= atLeast || Date.now() - started > 10_000) return rows;
    await Bun.sleep(100);
  }
}

const text = (events: SandboxEvent[]) =>
  events.filter((e) => e.type === "agent.message").map((e) => (e.content as { text: string }[]).map((p) => p.text).join("")).join("");

describe.skipIf(!Bun.which("bwrap") || !GATEWAY_PRESENT)("harnesses through LAP's gateway, in a sandbox", () => {
  for (const harness of ["claude-code", "codex", "opencode"] as HarnessName[]) {
    test(`${harness}: file and command in the sandbox, spend logged against the session key with the agent's model, second turn sees the first`, async () => {
      const sessionId = `ses_gw_${harness.replace("-", "_")}`;
      const agentModel = AGENT_MODEL[harness];
      const key = await sessionKey(sessionId, agentModel);
      const handle = await provider.create({ harness, env: {}, workspaceId: `ws-gw-${harness}` });
      await provider.waitReady(handle.id, { timeoutMs: 30_000 });
      await provider.bind(handle.id, { sessionId, agentId: "agt_gw", gatewayKey: key, gatewayBaseUrl: `${lapUrl}/v1`, model: agentModel });
      const client = new SupervisorClient(await provider.connect(handle.id), sessionId);
      model.setScript([
        {
          when: "write report.md",
          steps: [
            { kind: "write_file", path: "/workspace/report.md", content: `# by ${harness}` },
            { kind: "run", command: "wc -c /workspace/report.md" },
            { kind: "text", text: "report.md written." },
          ],
        },
        { when: "what did I ask", steps: [{ kind: "text", text: "You asked for report.md." }] },
      ]);
      const before = model.requests.length;
      const events = await client.runTurn("Please write report.md.", { timeoutMs: 90_000 });
      const types = events.map((e) => e.type);
      // On failure, show what the harness did and what reached the provider.
      if (types.includes("session.error") || !types.includes("agent.tool_use")) console.error(harness, JSON.stringify(events).slice(0, 1500), JSON.stringify(model.requests.slice(before).map((r) => [r.format, r.model, r.tools.length])));
      expect(types).not.toContain("session.error");
      expect(types.at(-1)).toBe("session.status_idle");
      expect(types.indexOf("agent.tool_result")).toBeGreaterThan(types.indexOf("agent.tool_use"));
      expect(types.lastIndexOf("agent.message")).toBeGreaterThan(types.lastIndexOf("agent.tool_result"));
      expect(text(events)).toContain("report.md written.");
      const file = join(provider.workspacePath(`ws-gw-${harness}`), "report.md");
      // apply_patch (opencode with a gpt-* model) ends the file with a newline.
      expect(existsSync(file) && readFileSync(file, "utf8").trimEnd()).toBe(`# by ${harness}`);

      // Upstream saw the provider key and the routed model only; the session key stayed at LAP.
      const upstream = model.requests.slice(before);
      expect(upstream.length).toBeGreaterThanOrEqual(3);
      expect(new Set(upstream.map((call) => call.authorization))).toEqual(new Set([PROVIDER_KEY]));
      expect(new Set(upstream.map((call) => call.model))).toEqual(new Set([UPSTREAM_MODEL]));

      const second = await client.runTurn("Thanks. what did I ask before?", { timeoutMs: 90_000 });
      expect(text(second)).toContain("You asked for report.md.");
      const calls = model.requests.slice(before);
      expect(calls.find((call) => call.lastUserText.includes("what did I ask") && call.tools.length > 0)?.transcript).toContain("Please write report.md.");

      // Every call is costed against this session's key, under the agent's model.
      const rows = await spendRows(sessionId, calls.length);
      expect(rows.length).toBe(calls.length);
      expect(new Set(rows.map((row) => row.model_group))).toEqual(new Set([agentModel]));
      expect(new Set(rows.map((row) => row.session_id))).toEqual(new Set([sessionId]));
      expect(rows.every((row) => row.status === "success")).toBe(true);
      await provider.destroy(handle.id);
    }, 150_000);
  }

  test("a model the gateway does not know: session.error naming it, nothing sent upstream", async () => {
    for (const harness of ["claude-code", "codex"] as HarnessName[]) {
      const sessionId = `ses_gw_unknown_${harness.replace("-", "_")}`;
      const key = await sessionKey(sessionId, "no-such-model");
      const dir = mkdtempSync(join(tmpdir(), "lap-gw-unknown-"));
      mkdirSync(join(dir, "ws"));
      mkdirSync(join(dir, "home"));
      const adapter = createHarnessAdapter(harness, { workspace: join(dir, "ws"), home: join(dir, "home"), gatewayUrl: lapUrl, apiKey: key, model: "no-such-model" });
      await adapter.start();
      const before = model.requests.length;
      const result = await adapter.send("hello");
      await adapter.stop();
      expect(result.outcome).toBe("error");
      const last = result.events.at(-1)!;
      expect(last.type).toBe("session.error");
      if (last.type === "session.error") {
        expect(last.error.code).toBe("model_error");
        expect(last.error.message).toContain("no-such-model");
      }
      expect(model.requests.length).toBe(before);
    }
  }, 60_000);
});
