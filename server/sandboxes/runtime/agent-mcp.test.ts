/**
 * An agent's MCP servers reach its sandboxed harness through LAP, end to end on a real LAP (startLap,
 * HTTP API): `@modelcontextprotocol/server-everything` registered over stdio (with an upstream secret
 * in its env), an agent listing it, a session in a bubblewrap sandbox, and the built-in agent driven
 * by the scripted model (test/support/scripted-openai.ts, standing for an LLM provider) calling
 * `everything__echo` through LAP's /mcp with the session key. The call is in the session's events
 * and in the MCP call log under the session; the sandbox never holds the upstream secret.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLap, type RunningLap } from "../../main";
import { testDatabase } from "../../../test/support/db";
import { everythingStdio } from "../../../test/support/mcp";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../../test/support/api-client";

const MASTER = "agent-mcp-master-key";
const UPSTREAM_SECRET = "upstream-secret-never-in-a-sandbox-5d1f";
let lap: RunningLap;
let model: ScriptedOpenAI;

const { api, events } = lapClient(() => lap.url, MASTER);
type StoredEvent = { type: string; data: Record<string, unknown> };
const resultText = (e: StoredEvent) => ((e.data.content as { text?: string }[]) ?? []).map((c) => c.text ?? "").join("");

beforeAll(async () => {
  model = startScriptedOpenAI();
  const dataDir = mkdtempSync(join(tmpdir(), "lap-agent-mcp-"));
  const config = join(dataDir, "gateway.yaml");
  writeFileSync(
    config,
    `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: sk-provider-secret-9 }\n`,
  );
  const env: Record<string, string> = {
    LAP_DATA_DIR: dataDir,
    PORT: "0",
    MASTER_KEY: MASTER,
    LOG_LEVEL: "silent",
    LAP_GATEWAY_CONFIG: config,
    WARM_POOL_SIZE: "0",
    PATH: process.env.PATH ?? "",
  };
  // A copy of the migrated template (PGlite), or a fresh PostgreSQL database dropped when LAP closes it.
  lap = await startLap(env, { database: await testDatabase() });
  for (const name of ["everything", "other"]) {
    const res = await api("POST", "/api/mcp/servers", { name, ...everythingStdio(), env: { UPSTREAM_TOKEN: UPSTREAM_SECRET } });
    expect(res.status).toBe(201);
  }
}, 90_000);

afterAll(async () => {
  await lap?.stop();
  await model?.stop();
}, 30_000);

test("the built-in agent calls its agent's MCP tool through LAP with the session key; the call is in the events and the call log", async () => {
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "mcp-user",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    // "missing" is not registered in LAP: a sandbox cannot reach it, so it is not handed out.
    mcp_servers: [
      { name: "everything", url: "http://lap.invalid/mcp/everything" },
      { name: "missing", url: "http://lap.invalid/mcp/missing" },
    ],
  });
  expect(agent.status).toBe(201);
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  const id = session.body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");

  model.script([
    { toolCalls: [{ name: "everything__echo", arguments: { message: "hello through LAP" } }] },
    {
      toolCalls: [
        {
          name: "bash",
          arguments: {
            command:
              "echo URL=$LAP_MCP_URL; echo ENV=$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c upstream-secret-never-\"\"in); grep -rls -D skip upstream-secret-never-\"\"in /workspace /tmp /run /opt/lap/bundle 2>/dev/null | sed 's/^/FOUND:/'; true",
          },
        },
      ],
    },
    { text: "Echoed." },
  ]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "echo something" })).status).toBe(202);
  await waitFor("the turn", async () =>
    (await events(id)).some((e) => e.type === "session.status_idle" || e.type === "session.error"),
  ).catch(async (err) => {
    console.error(JSON.stringify((await events(id)).map((e) => [e.type, JSON.stringify(e.data).slice(0, 300)])));
    throw err;
  });
  const all = await events(id);
  expect(all.map((e) => e.type)).not.toContain("session.error");

  // The model was offered the agent's MCP tools (namespaced), none of the server it does not list.
  const offered = model.requests[0]!.tools.map((t) => t.function.name);
  expect(offered).toContain("everything__echo");
  expect(offered).toContain("bash");
  expect(offered.some((n) => n.startsWith("other__"))).toBe(false);

  const use = all.find((e) => e.type === "agent.tool_use" && e.data.name === "everything__echo");
  expect(use?.data.input).toEqual({ message: "hello through LAP" });
  const result = all.find((e) => e.type === "agent.tool_result" && e.data.tool_use_id === use?.data.id)!;
  expect(result.data.is_error).toBe(false);
  expect(resultText(result)).toBe("Echo: hello through LAP");

  // Inside the sandbox: LAP's MCP URL (the bridged loopback port), and no upstream secret anywhere
  // in the harness's environment or the files it can read.
  const bash = all.filter((e) => e.type === "agent.tool_result").at(-1)!;
  const lines = resultText(bash).split("\n");
  expect(lines.find((l) => l.includes("URL="))).toMatch(/URL=http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  expect(resultText(bash)).not.toMatch(/URL=.*lap\.invalid/);
  // Every process in the sandbox (supervisor, harness, this shell): no upstream secret in its env.
  expect(lines).toContain("ENV=0");
  expect(resultText(bash)).not.toContain("FOUND:");

  // The call log has it, attributed to the session and its agent.
  const calls = (await api<{ data: Record<string, unknown>[] }>("GET", `/api/mcp/calls?session_id=${id}`)).body.data;
  expect(calls).toEqual([
    expect.objectContaining({ server_name: "everything", tool: "echo", status: "ok", session_id: id, agent_id: agent.body.id }),
  ]);

  // Ending the session ends the key, so the harness's MCP access ends with it.
  expect((await api("POST", `/api/sessions/${id}/stop`)).status).toBe(200);
}, 120_000);
