// A harness CLI uses LAP's platform MCP server `lap` (docs/memory.md "Platform tools") through the MCP
// config its adapter wrote, as a model would ask it to: registered inside harnessApiSuite
// (harness-api-contract.ts), on its LAP. The scripted model (standing for the LLM provider) asks for the
// tool by the CLI's own name for it (`mcp__lap__memory_write`, `lap_memory_write`, `lap__memory_write` …);
// the effect is read back from LAP's API as a person would, and the next session gets the memory.
import { expect, test } from "bun:test";
import type { HarnessName } from "../../harness/adapters/types.ts";
import type { LapUnderTest, StoredEvent } from "./lap-api.ts";

export type PlatformToolsContext = {
  harness: HarnessName;
  lap(): LapUnderTest;
  /** The session the suite's other tests use (its agent gets the memory). */
  sessionId(): string;
  runTurn(id: string, text: string): Promise<StoredEvent[]>;
  /** A new session of an existing agent, idle. */
  sessionOf(agentId: string): Promise<string>;
  /** How many times the usual wait a slow-starting harness gets (OpenClaw's Gateway). */
  slow: number;
};

type MemoryEntry = { key: string; content: string; always_on: boolean; version: number; updated_by: string };

const toolCalls = (turn: StoredEvent[], name: RegExp) => turn.filter((e) => e.type === "agent.tool_use" && name.test(String(e.data.name)));
const resultOf = (turn: StoredEvent[], use: StoredEvent) =>
  turn.find((e) => e.type === "agent.tool_result" && e.data.tool_use_id === use.data.id);
const resultText = (result: StoredEvent | undefined) => JSON.stringify(result?.data.content ?? null);

export function platformToolsTests(ctx: PlatformToolsContext): void {
  const { harness } = ctx;
  const key = `favourite-colour-${harness}`;
  const content = `The user's favourite colour is teal (told to ${harness}).`;

  test(
    `${harness}: the CLI writes the agent's memory with LAP's memory_write tool over its MCP config; a person sees the entry, written by the session; the agent's next session has it and reads it back`,
    async () => {
      const t = ctx.lap();
      const sessionId = ctx.sessionId();
      const agentId = (await t.api<{ agent_id: string }>("GET", `/api/sessions/${sessionId}`)).body.agent_id;
      t.model.setScript([
        {
          when: "remember my colour",
          steps: [
            { kind: "call_tool", tool: "memory_write$", arguments: { key, content, always_on: true } },
            { kind: "text", text: "I will remember that." },
          ],
        },
        {
          when: "what is my colour",
          steps: [
            { kind: "call_tool", tool: "memory_read$", arguments: { key } },
            { kind: "text", text: "Teal." },
          ],
        },
      ]);
      const asked0 = t.model.requests.length;
      const turn = await ctx.runTurn(sessionId, "Please remember my colour: teal.");
      if (harness === "codex") {
        // Codex cannot wait for a person on an MCP call: `request_approval` (always approval-required) is
        // never offered to its model, so no call can come back "Approved by a person" unasked.
        const offered = t.model.requests.slice(asked0).flatMap((call) => call.tools);
        expect(offered).toContainEqual(expect.stringMatching(/memory_write$/));
        expect(offered.filter((name) => name.endsWith("request_approval"))).toEqual([]);
      }
      expect(turn.at(-1)!.data.stop_reason).toEqual({ type: "end_turn" });
      const names = (events: StoredEvent[]) => events.filter((e) => e.type === "agent.tool_use").map((e) => String(e.data.name));
      expect(names(turn)).toContainEqual(expect.stringMatching(/memory_write$/));
      const [write] = toolCalls(turn, /memory_write$/);
      // Codex reports an MCP call's input as `{arguments}`; the others as the arguments themselves.
      const input = write!.data.input as { arguments?: unknown };
      // OpenClaw masks, in the tool calls it reports (not in what the tool gets), any string under a
      // secret-like field name such as `key` (its sanitizeToolArgs; harness/adapters/README.md#openclaw).
      const shownKey = harness === "openclaw" ? `${key.slice(0, 6)}…${key.slice(-4)}` : key;
      expect(input.arguments ?? input).toMatchObject({ key: shownKey, content });
      const written = resultOf(turn, write!);
      expect(written?.data.is_error).toBe(false);
      expect(resultText(written)).toContain(`Remembered ${key}`);

      // Written through /mcp/lap with the session key: visible to a person under the agent, with its writer.
      const memory = await t.api<{ data: MemoryEntry[] }>("GET", `/api/agents/${agentId}/memory`);
      expect(memory.status).toBe(200);
      expect(memory.body.data).toEqual([
        expect.objectContaining({ key, content, always_on: true, version: 1, updated_by: `session ${sessionId}` }),
      ]);

      // The agent's next session: the always-on entry is in what the CLI sends the model, and the CLI reads it back.
      const next = await ctx.sessionOf(agentId);
      const asked = t.model.requests.length;
      const reading = await ctx.runTurn(next, "Tell me: what is my colour?");
      expect(reading.at(-1)!.data.stop_reason).toEqual({ type: "end_turn" });
      expect(t.model.requests.slice(asked).find((call) => call.tools.length > 0)?.everything).toContain(content);
      expect(names(reading)).toContainEqual(expect.stringMatching(/memory_read$/));
      const [read] = toolCalls(reading, /memory_read$/);
      expect(resultOf(reading, read!)?.data.is_error).toBe(false);
      expect(resultText(resultOf(reading, read!))).toContain("teal");
    },
    300_000 * ctx.slow,
  );
}
