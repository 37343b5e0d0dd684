// A real harness CLI uses its agent's MCP server through LAP: Claude Code, opencode and DeepAgents in a bubblewrap
// sandbox, bound with a session key scoped to `everything` (@modelcontextprotocol/server-everything
// over stdio, registered in LAP with an upstream secret in its env), the scripted model (standing
// for the LLM provider, test/support/scripted-model) asking for the MCP echo tool under the CLI's own
// name for it. Asserts the tool ran through LAP (result in the events, row in the call log under the
// session), the CLI's MCP config points at LAP with the session key (Claude Code's config file,
// opencode's OPENCODE_CONFIG_CONTENT), and no upstream secret is in the sandbox: no process's
// environment and no file under /tmp, /workspace or /run, read from the host through /proc.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalSandboxProvider } from "../../server/sandboxes/local-provider.ts";
import { type SandboxEvent, SupervisorClient } from "../../server/sandboxes/supervisor-client.ts";
import { providerOptions } from "../../server/sandboxes/test-helpers.ts";
import { createTestApp, type TestApp } from "../../test/support/app.ts";
import { descendants } from "../../test/support/lap-api.ts";
import { everythingStdio } from "../../test/support/mcp.ts";
import { BWRAP_MISSING, requires } from "../../test/support/skip.ts";
import { type ScriptedModel, startScriptedModel } from "../../test/support/scripted-model/index.ts";
import type { HarnessName } from "./types.ts";

const PROVIDER_KEY = "sk-provider-real-key-mcp";
const UPSTREAM_SECRET = "upstream-mcp-secret-3c9a";
const UPSTREAM_MODEL = "scripted-coder-1";
const AGENT_MODEL: Partial<Record<HarnessName, string>> = {
  "claude-code": "claude-scripted",
  opencode: "gpt-scripted",
  deepagents: "gpt-scripted",
};

let model: ScriptedModel;
let lap: TestApp;
let server: { stop(force?: boolean): Promise<void> | void; port: number };
let provider: LocalSandboxProvider;
let lapUrl = "";

beforeAll(async () => {
  model = startScriptedModel({ models: [UPSTREAM_MODEL], apiKey: PROVIDER_KEY });
  const dir = mkdtempSync(join(tmpdir(), "lap-harness-mcp-"));
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
  lap = await createTestApp({ LAP_GATEWAY_CONFIG: configPath, SCRIPTED_PROVIDER_KEY: PROVIDER_KEY });
  const listening = lap.app.listen({ port: 0, hostname: "127.0.0.1" });
  server = { port: listening.server!.port!, stop: (force) => listening.server!.stop(force) };
  lapUrl = `http://127.0.0.1:${server.port}`;
  provider = new LocalSandboxProvider(providerOptions(() => server.port));
  const registered = await lap.json("POST", "/api/mcp/servers", {
    body: { name: "everything", ...everythingStdio(), env: { UPSTREAM_TOKEN: UPSTREAM_SECRET } },
  });
  expect(registered.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await provider?.shutdown();
  await lap?.services.gateway.flush().catch(() => {});
  await server?.stop(true);
  await model?.stop();
  await lap?.close();
}, 60_000);

/**
 * What the sandbox holds, read from the host (through /proc, as its owner): each process's
 * environment, and the files the sandbox sees under /tmp, /workspace and /run that contain `needle`.
 */
function sandboxContents(rootPid: number, insidePid: (env: Record<string, string>) => boolean) {
  const envs = descendants(rootPid).flatMap(({ pid }) => {
    try {
      const pairs = readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]);
      return [{ pid, env: Object.fromEntries(pairs) as Record<string, string> }];
    } catch {
      return []; // ended while we looked
    }
  });
  const inside = envs.find((e) => insidePid(e.env));
  const filesWith = (needle: string) => {
    if (!inside) throw new Error("no process of the sandbox matched");
    const roots = ["tmp", "workspace", "run"].map((d) => `/proc/${inside.pid}/root/${d}`);
    const grep = Bun.spawnSync(["grep", "-rlsF", "-D", "skip", needle, ...roots]);
    return grep.stdout.toString().split("\n").filter(Boolean);
  };
  return { envs: envs.map((e) => e.env), filesWith };
}

/** The key a harness holds behind the supervisor's gateway proxy (harness/supervisor/gateway-proxy.ts). */
const PLACEHOLDER_BEARER = /^Bearer lap-sandbox-[0-9a-f]{36}$/;

const results = (events: SandboxEvent[]) =>
  events.filter((e) => e.type === "agent.tool_result").map((e) => (e.content as { text: string }[]).map((p) => p.text).join(""));

requires(BWRAP_MISSING).describe("harness CLIs reach their agent's MCP servers through LAP", () => {
  for (const harness of ["claude-code", "opencode", "deepagents"] as HarnessName[]) {
    test(`${harness}: calls everything's echo through LAP with the session key; its config holds no upstream secret`, async () => {
      const sessionId = `ses_mcp_${harness.replace("-", "_")}`;
      const agentModel = AGENT_MODEL[harness]!;
      const { key } = await lap.services.gateway.mintSessionKey({
        sessionId,
        agentId: "agt_mcp",
        models: [agentModel],
        mcpServers: ["everything"],
      });
      const handle = await provider.create({ harness, env: {}, workspaceId: `ws-mcp-${harness}` });
      await provider.waitReady(handle.id, { timeoutMs: 30_000 });
      await provider.bind(handle.id, {
        sessionId,
        agentId: "agt_mcp",
        gatewayKey: key,
        gatewayBaseUrl: `${lapUrl}/v1`,
        model: agentModel,
        mcpServers: ["everything"],
      });
      const client = new SupervisorClient(await provider.connect(handle.id), sessionId);
      // What the CLI was configured with, and whether any process or file in the sandbox holds the
      // upstream secret (split in two, so the CLI's transcript of this command does not match).
      // opencode asks permission for paths outside the workspace (and nobody answers in a sandbox),
      // so only Claude Code runs this inspection; both are inspected from the host below.
      const inspect =
        "cat /tmp/lap-harness-home/*/lap-mcp.json 2>/dev/null; echo; echo ENV=$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c upstream-mcp-secret-\"\"3c9a); grep -rls -D skip upstream-mcp-secret-\"\"3c9a /tmp /workspace /run 2>/dev/null | sed 's/^/FOUND:/'; true";
      model.setScript([
        {
          when: "echo through MCP",
          steps: [
            { kind: "call_tool", tool: "everything.*echo$", arguments: { message: `hello from ${harness}` } },
            ...(harness === "claude-code" ? [{ kind: "run" as const, command: inspect }] : []),
            { kind: "text", text: "Echo done." },
          ],
        },
      ]);
      const before = model.requests.length;
      const events = await client.runTurn("Please echo through MCP.", { timeoutMs: 90_000 }).catch((err) => {
        console.error(
          harness,
          "requests:",
          JSON.stringify(model.requests.slice(before).map((r) => [r.format, r.tools.join(",")])).slice(0, 2000),
        );
        throw err;
      });
      const types = events.map((e) => e.type);
      if (types.includes("session.error") || results(events).length < (harness === "claude-code" ? 2 : 1))
        console.error(harness, JSON.stringify(events).slice(0, 3000));
      expect(types).not.toContain("session.error");
      expect(types.at(-1)).toBe("session.status_idle");
      const [echo, inspected] = results(events);
      expect(echo).toContain(`Echo: hello from ${harness}`);
      // The tool the model was offered is the CLI's own name for LAP's everything/echo.
      expect(model.requests.slice(before).some((r) => r.tools.some((t) => /everything.*echo$/.test(t)))).toBe(true);

      if (harness === "claude-code") {
        // The CLI reached LAP's proxy (the supervisor's gateway proxy on loopback) with the sandbox's
        // placeholder, swapped for the session key on the way out; no secret and no session key in the sandbox.
        expect(inspected).toContain("ENV=0");
        expect(inspected).not.toContain("FOUND:");
        expect(inspected).not.toContain(UPSTREAM_SECRET);
        expect(inspected).not.toContain(key);
        const config = JSON.parse(inspected!.slice(inspected!.indexOf("{"), inspected!.lastIndexOf("}") + 1));
        expect(config).toEqual({
          mcpServers: {
            everything: {
              type: "http",
              url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/mcp\/everything$/),
              headers: { Authorization: expect.stringMatching(PLACEHOLDER_BEARER) },
            },
          },
        });
      }

      // Seen from the host: the upstream secret and the session key are in no process's environment and
      // no file of the sandbox (the session key stays in the supervisor's memory, docs/security.md
      // "Before bind"); the CLI holds the sandbox's placeholder, and sees the config LAP wrote.
      const isPlaceholder = (v: string) => /^lap-sandbox-[0-9a-f]{36}$/.test(v);
      const inside = sandboxContents((await provider.get(handle.id))!.info.pid as number, (env) => Object.values(env).some(isPlaceholder));
      const placeholder = inside.envs.flatMap((env) => Object.values(env)).find(isPlaceholder)!;
      expect(inside.envs.length).toBeGreaterThan(2);
      expect(inside.envs.filter((env) => JSON.stringify(env).includes(UPSTREAM_SECRET))).toEqual([]);
      expect(inside.envs.filter((env) => JSON.stringify(env).includes(key))).toEqual([]);
      expect(inside.filesWith(UPSTREAM_SECRET)).toEqual([]);
      expect(inside.filesWith(key)).toEqual([]);
      // The scan does see the sandbox's files: Claude Code's MCP config holds the placeholder.
      if (harness === "claude-code") expect(inside.filesWith(placeholder).some((f) => f.endsWith("/lap-mcp.json"))).toBe(true);
      if (harness === "opencode") {
        const env = inside.envs.find((e) => e.OPENCODE_CONFIG_CONTENT)!;
        const config = JSON.parse(env.OPENCODE_CONFIG_CONTENT!);
        expect(config.mcp).toEqual({
          everything: {
            type: "remote",
            url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/mcp\/everything$/),
            enabled: true,
            oauth: false,
            headers: { Authorization: "Bearer {env:LAP_GATEWAY_KEY}" },
          },
        });
        expect(env.LAP_GATEWAY_KEY).toBe(placeholder);
      }
      if (harness === "deepagents") {
        // The DeepAgents process reaches LAP's aggregate MCP endpoint with the placeholder (from its env, never a file).
        const env = inside.envs.find((e) => e.LAP_DEEPAGENTS_CONFIG)!;
        const config = JSON.parse(env.LAP_DEEPAGENTS_CONFIG!);
        expect(config.gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(config.mcpServers).toEqual([
          { name: "everything", url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/mcp\/everything$/) },
        ]);
        expect(env.LAP_GATEWAY_KEY).toBe(placeholder);
        expect(JSON.stringify(config)).not.toContain(key);
      }

      // LAP logged the call under the session.
      const calls = (await lap.json("GET", `/api/mcp/calls?session_id=${sessionId}`)).body.data;
      expect(calls).toContainEqual(
        expect.objectContaining({ server_name: "everything", tool: "echo", status: "ok", session_id: sessionId, agent_id: "agt_mcp" }),
      );
      await provider.destroy(handle.id);
    }, 180_000);
  }
});
