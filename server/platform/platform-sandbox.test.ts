/**
 * Memory and sub-agents end to end on a real LAP (startLap, HTTP API) with the built-in agent in
 * bubblewrap sandboxes, driven by the scripted model (test/support/scripted-openai.ts, standing for an
 * LLM provider) calling LAP's platform MCP tools through the LAP bridge with the session key
 * (docs/memory.md): a memory written in one session is in the next session's system prompt, and a
 * sub-agent's reply returns to its parent as the tool's result.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLap, type RunningLap } from "../main";
import { testDatabase } from "../../test/support/db";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../test/support/api-client";
import { BWRAP_MISSING, requires } from "../../test/support/skip";
import { killMarked } from "../../test/support/processes";

const MASTER = "platform-sandbox-master-key";
let lap: RunningLap | undefined;
let model: ScriptedOpenAI | undefined;
let dataDir = "";

const { api, events } = lapClient(() => lap!.url, MASTER);
type StoredEvent = { type: string; data: Record<string, unknown> };
const resultText = (e: StoredEvent) => ((e.data.content as { text?: string }[]) ?? []).map((c) => c.text ?? "").join("");

if (!BWRAP_MISSING) {
  beforeAll(async () => {
    model = startScriptedOpenAI();
    dataDir = mkdtempSync(join(tmpdir(), "lap-platform-sandbox-"));
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
    lap = await startLap(env, { database: await testDatabase() });
  }, 90_000);

  afterAll(async () => {
    await lap?.stop();
    await model?.stop();
    if (dataDir) killMarked(dataDir);
  }, 30_000);
}

/** Sends a message and waits for the turn's end; fails with the events when the turn errs. */
async function turn(sessionId: string, text: string): Promise<StoredEvent[]> {
  const before = (await events(sessionId)).filter((e) => e.type === "session.status_idle" || e.type === "session.error").length;
  expect((await api("POST", `/api/sessions/${sessionId}/messages`, { text })).status).toBe(202);
  await waitFor(
    "the turn",
    async () => (await events(sessionId)).filter((e) => e.type === "session.status_idle" || e.type === "session.error").length > before,
    90_000,
  );
  const all = (await events(sessionId)) as StoredEvent[];
  if (all.some((e) => e.type === "session.error"))
    throw new Error(JSON.stringify(all.map((e) => [e.type, JSON.stringify(e.data).slice(0, 300)])));
  return all;
}

async function newSession(agentId: string): Promise<string> {
  const s = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agentId });
  expect(s.status).toBe(201);
  await waitFor(
    "session idle",
    async () => (await api<{ status: string }>("GET", `/api/sessions/${s.body.id}`)).body.status === "idle",
    90_000,
  );
  return s.body.id;
}

requires(BWRAP_MISSING).describe("platform tools in a bubblewrap sandbox", () => {
  requires(BWRAP_MISSING).test(
    "memory written in one session is in the next session's system prompt; a sub-agent's reply returns to its parent; request_approval waits for a person",
    async () => {
      const sub = await api<{ id: string }>("POST", "/api/agents", {
        name: "arithmetic",
        model: "scripted-model",
        runtime_id: "rt_local_sandbox",
        harness: "builtin",
      });
      const agent = await api<{ id: string }>("POST", "/api/agents", {
        name: "rememberer",
        model: "scripted-model",
        runtime_id: "rt_local_sandbox",
        harness: "builtin",
        system_prompt: "You help.",
        subagent_ids: [sub.body.id],
      });
      expect(agent.status).toBe(201);

      // Session 1: the model remembers something, always on.
      const first = await newSession(agent.body.id);
      model!.script([
        {
          toolCalls: [
            {
              name: "lap__memory_write",
              arguments: { key: "favourite-colour", content: "The user's favourite colour is octarine.", always_on: true },
            },
          ],
        },
        { text: "Noted." },
      ]);
      const e1 = await turn(first, "Remember that my favourite colour is octarine.");
      expect(model!.requests[0]!.tools.map((t) => t.function.name)).toEqual(
        expect.arrayContaining(["lap__memory_write", "lap__start_subagent", "bash"]),
      );
      const wrote = e1.find((e) => e.type === "agent.tool_result")!;
      expect(wrote.data.is_error).toBe(false);
      expect(resultText(wrote)).toContain("Remembered favourite-colour");
      const stored = await api<{ data: Array<{ key: string; always_on: boolean; updated_by: string }> }>(
        "GET",
        `/api/agents/${agent.body.id}/memory`,
      );
      expect(stored.body.data).toEqual([
        expect.objectContaining({ key: "favourite-colour", always_on: true, updated_by: `session ${first}` }),
      ]);

      // Session 2: a new sandbox, whose first model call carries the memory in its system prompt.
      const second = await newSession(agent.body.id);
      const seen = model!.requests.length;
      model!.script([
        { toolCalls: [{ name: "lap__start_subagent", arguments: { agent: "arithmetic", message: "What is 2 + 2?" } }] },
        // The sub-agent's own sandbox and model call, while the parent's tool call waits.
        { text: "Four." },
        { text: "Octarine, and 2 + 2 is four." },
      ]);
      const e2 = await turn(second, "What is my favourite colour, and what is 2 + 2 (ask arithmetic)?");
      const system = model!.requests[seen]!.messages[0]!;
      expect(system.role).toBe("system");
      expect(String(system.content)).toContain("You help.");
      expect(String(system.content)).toContain("The user's favourite colour is octarine.");
      // The sub-agent ran as its own session (its system prompt has no memory of the parent's agent).
      expect(String(model!.requests[seen + 1]!.messages[0]!.content)).not.toContain("octarine");
      const delegated = e2.find((e) => e.type === "agent.tool_result")!;
      expect(delegated.data.is_error).toBe(false);
      const result = JSON.parse(resultText(delegated)) as { session_id: string; status: string; reply: string };
      expect(result).toMatchObject({ agent: "arithmetic", status: "completed", reply: "Four." });
      const child = await api<{ agent_id: string; status: string }>("GET", `/api/sessions/${result.session_id}`);
      expect(child.body.agent_id).toBe(sub.body.id);
      // The parent's model read the sub-agent's reply as the tool result.
      expect(JSON.stringify(model!.requests.at(-1)!.messages.at(-1))).toContain("Four.");

      // request_approval: the turn waits for a person; Allow runs the tool, whose result the model reads.
      model!.script([
        { toolCalls: [{ name: "lap__request_approval", arguments: { summary: "Deploy to production" } }] },
        { text: "Deploying." },
      ]);
      expect((await api("POST", `/api/sessions/${second}/messages`, { text: "Deploy, but ask first." })).status).toBe(202);
      type Approval = { id: string; tool_name: string; status: string };
      const pending = async () => (await api<{ data: Approval[] }>("GET", `/api/approvals?status=pending&session_id=${second}`)).body.data;
      await waitFor("the approval", async () => (await pending()).length === 1, 60_000);
      await waitFor(
        "the session to wait",
        async () => (await api<{ status: string }>("GET", `/api/sessions/${second}`)).body.status === "awaiting_approval",
        30_000,
      );
      const [approval] = await pending();
      expect(approval!.tool_name).toBe("lap__request_approval");
      expect((await api("POST", `/api/approvals/${approval!.id}/decision`, { decision: "allow" })).status).toBe(200);
      await waitFor(
        "the approved turn",
        async () =>
          (await events(second)).some(
            (e) => e.type === "agent.tool_result" && resultText(e as StoredEvent).startsWith("Approved by a person"),
          ),
        60_000,
      );

      for (const id of [first, second, result.session_id]) expect((await api("POST", `/api/sessions/${id}/stop`)).status).toBe(200);
    },
    240_000,
  );
});
