/**
 * opencode pre-started by the warm pool for an agent with an MCP server (LAP's platform server `lap`, on
 * by default), through a real LAP and the real CLI in a bubblewrap sandbox, against the scripted model
 * (standing for the LLM provider). Before the bind LAP's MCP answers nothing (the sandbox's gateway proxy
 * holds it), so the pre-start runs with its MCP servers off and the bind keeps the CLI and connects them
 * (harness/adapters/opencode/mcp-connect.ts); the session's first turn calls an MCP tool.
 * Before this, the bind restarted opencode cold whenever its MCP start had given up on the hold.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { GATEWAY_MODELS, type LapUnderTest, startLapWithScriptedModel, type StoredEvent, waitFor } from "../../../test/support/lap-api.ts";
import { BWRAP_MISSING, requires } from "../../../test/support/skip.ts";

type Pool = {
  slots: { agent_id: string; status: string }[];
  agents: { agent_id: string; hits: number; misses: number; restarted: number }[];
};

let t: LapUnderTest;

beforeAll(async () => {
  t = await startLapWithScriptedModel({ WARM_POOL_SIZE: "1", WARM_POOL_MAX_PROVISIONING: "1" });
}, 60_000);

afterAll(async () => {
  await t?.stop();
}, 30_000);

const status = async (id: string) => (await t.api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status;

requires(BWRAP_MISSING).describe("opencode on a warm sandbox, with MCP servers", () => {
  test("the pre-started CLI is kept at the bind and its first turn calls an MCP tool", async () => {
    const agent = await t.api<{ id: string }>("POST", "/api/agents", {
      name: "warm-opencode-mcp",
      model: GATEWAY_MODELS.openai,
      runtime_id: "rt_local_sandbox",
      harness: "opencode",
    });
    expect(agent.status).toBe(201);
    const agentId = agent.body.id;
    // One session makes the agent a recent one, which is what the pool keeps sandboxes for.
    const seed = await t.api<{ id: string }>("POST", "/api/sessions", { agent_id: agentId });
    await waitFor("the seed session to be idle", async () => (await status(seed.body.id)) === "idle", 120_000);
    await t.api("POST", `/api/sessions/${seed.body.id}/stop`);
    // The top-up answers once the slot's opencode is pre-started and warmed up (or the connection is cut: then read the pool).
    await t.api("POST", "/api/sandboxes/pool/refill").catch(() => undefined);
    await waitFor(
      "a warm sandbox for the agent",
      async () => (await t.api<Pool>("GET", "/api/sandboxes/pool")).body.slots.some((s) => s.agent_id === agentId && s.status === "warm"),
      240_000,
    );

    const key = "favourite-colour-warm";
    t.model.setScript([
      {
        when: "remember my colour",
        steps: [
          { kind: "call_tool", tool: "memory_write$", arguments: { key, content: "teal", always_on: false } },
          { kind: "text", text: "I will remember that." },
        ],
      },
    ]);
    const created = await t.api<{ id: string }>("POST", "/api/sessions", { agent_id: agentId, prompt: "Please remember my colour: teal." });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const ended = (events: StoredEvent[]) => events.some((e) => e.type === "session.status_idle" || e.type === "session.error");
    await waitFor("the first turn to end", async () => ended(await t.events(id)), 120_000);
    const events = await t.events(id);

    const use = events.find((e) => e.type === "agent.tool_use" && /memory_write$/.test(String(e.data.name)));
    expect(use, JSON.stringify(events.map((e) => [e.type, JSON.stringify(e.data).slice(0, 200)]))).toBeDefined();
    const result = events.find((e) => e.type === "agent.tool_result" && e.data.tool_use_id === use!.data.id);
    expect(result?.data.is_error).toBe(false);
    expect(JSON.stringify(result?.data.content)).toContain(`Remembered ${key}`);
    expect(events.some((e) => e.type === "session.error")).toBe(false);

    // The pool counts the session as a hit whose pre-started CLI was kept, not restarted.
    const pool = (await t.api<Pool>("GET", "/api/sandboxes/pool")).body.agents.find((a) => a.agent_id === agentId);
    expect([pool?.hits, pool?.restarted]).toEqual([1, 0]);
  }, 480_000);
});
