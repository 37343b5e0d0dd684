/**
 * Runs the fake Managed Agents runtime (test/support/fake-managed-agents.ts) as its own process,
 * for Playwright tests that run under Node. Prints `FAKE_RUNTIME_URL=<url>` on stdout when ready.
 * A message containing "slow" streams for several seconds (for stop and reload tests).
 */
import { FakeManagedAgents, type FakeStep } from "./fake-managed-agents";

const words = (text: string, delay: number): FakeStep[] =>
  text
    .split(/(?<= )/)
    .flatMap((w) => [{ delay }, { event: { type: "agent.message", content: [{ type: "text", text: w }] } }] as FakeStep[]);

const fake = new FakeManagedAgents({
  apiKey: process.env.FAKE_RUNTIME_KEY ?? "fake-runtime-key",
  reply: (text) => {
    const slow = text.includes("slow");
    const body = slow
      ? `Here is a **long** answer to "${text}": ${Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ")} done.`
      : `You said: **${text}**`;
    return [
      { event: { type: "session.status_running" } },
      { event: { type: "agent.thinking", thinking: "Let me look at that." } },
      { event: { type: "agent.tool_use", id: "tu_1", name: "read_file", input: { path: "README.md" } } },
      { delay: 20 },
      { event: { type: "agent.tool_result", tool_use_id: "tu_1", content: [{ type: "text", text: "# README" }] } },
      ...words(body, slow ? 120 : 15),
      { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
    ];
  },
}).start(Number(process.env.PORT ?? 0));
console.log(`FAKE_RUNTIME_URL=${fake.url}`);
