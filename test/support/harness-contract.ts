// The end-to-end contract every harness adapter must meet, run against the REAL CLI and the
// scripted model (which stands for the LLM provider). One suite, called from each adapter's test.
import { afterAll, beforeAll, expect } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentText, type HarnessAdapter, type HarnessConfig, type HarnessEvent } from "../../harness/adapters/types.ts";
import { type ScriptedModel, startScriptedModel } from "./scripted-model/index.ts";
import { type Missing, requires } from "./skip.ts";

export const MODEL = "scripted-coder-1";
export const KEY = "lap-sk-session-test";

export type HarnessFactory = (config: HarnessConfig) => HarnessAdapter & { pid(): number | undefined };

type Setup = { model: ScriptedModel; root: string };

function eventTypes(events: HarnessEvent[]): string[] {
  return events.map((event) => event.type);
}

function messageText(events: HarnessEvent[]): string {
  return events.flatMap((event) => (event.type === "agent.message" ? [contentText(event.content)] : [])).join("");
}

async function waitFor(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting");
    await Bun.sleep(50);
  }
}

export function harnessContract(
  name: string,
  factory: HarnessFactory,
  /**
   * `missing`: why the CLI cannot run here (not installed): every test reports itself skipped.
   * `thinking: false`: the harness relays no reasoning. `timeoutMs`: a slower-starting harness's per-test budget.
   */
  options: { gatewayPath?: string; systemPrompt?: boolean; missing?: Missing; thinking?: boolean; timeoutMs?: number } = {},
): void {
  const test = (title: string, fn: () => Promise<void>, timeout: number) =>
    requires(options.missing ?? null).test(title, fn, Math.max(timeout, options.timeoutMs ?? 0));
  const setup = {} as Setup;
  const adapters: HarnessAdapter[] = [];
  const make = (overrides: Partial<HarnessConfig> = {}) => {
    const dir = mkdtempSync(join(setup.root, "session-"));
    const workspace = join(dir, "workspace");
    const home = join(dir, "home");
    Bun.spawnSync(["mkdir", "-p", workspace, home]);
    const adapter = factory({
      workspace,
      home,
      gatewayUrl: `${setup.model.url}${options.gatewayPath ?? ""}`,
      apiKey: KEY,
      model: MODEL,
      ...overrides,
    });
    adapters.push(adapter);
    return { adapter, workspace };
  };
  const requestsSince = (index: number) => setup.model.requests.slice(index);
  // One session carries the first three tests (turns, interrupt, crash): a harness start is the
  // slow part (opencode takes seconds), and a long-lived session is what users have anyway.
  let shared: ReturnType<typeof make> | undefined;
  const sharedSession = () => (shared ??= make());

  if (!options.missing)
    beforeAll(() => {
      setup.root = mkdtempSync(join(tmpdir(), `lap-harness-${name}-`));
      setup.model = startScriptedModel({ models: [MODEL], apiKey: KEY });
    }, 60_000);

  if (!options.missing)
    afterAll(async () => {
      await Promise.all(adapters.map((adapter) => adapter.stop().catch(() => undefined)));
      await setup.model.stop();
      rmSync(setup.root, { recursive: true, force: true });
    }, 60_000);

  test(`${name}: creates a file, runs a command, reports; events in order; a second turn sees the first`, async () => {
    const { adapter, workspace } = sharedSession();
    const file = join(workspace, "hello.txt");
    setup.model.setScript([
      {
        when: "create hello.txt",
        steps: [
          { kind: "write_file", path: file, content: `hello from ${name}`, thinking: "I should write the file first." },
          { kind: "run", command: `cat ${file} && echo command-ran` },
          { kind: "text", text: "I created hello.txt and ran cat on it." },
        ],
      },
      { when: "what did I ask", steps: [{ kind: "text", text: "You asked me to create hello.txt." }] },
    ]);
    const before = setup.model.requests.length;
    await adapter.start();
    const first = await adapter.send("Please create hello.txt, then show it.");
    expect(first.outcome).toBe("end_turn");
    expect(existsSync(file)).toBe(true);
    // apply_patch (Codex, opencode with gpt-* models) ends the file with a newline.
    expect(readFileSync(file, "utf8").trimEnd()).toBe(`hello from ${name}`);

    const types = eventTypes(first.events);
    expect(types[0]).toBe("session.status_running");
    expect(types.at(-1)).toBe("session.status_idle");
    expect(types.filter((type) => type === "session.status_idle")).toHaveLength(1);
    // OpenClaw's ACP bridge relays no reasoning at its default thinking level (harness/adapters/README.md#openclaw).
    if (options.thinking !== false) expect(types).toContain("agent.thinking");
    const toolUses = first.events.filter((event) => event.type === "agent.tool_use");
    const toolResults = first.events.filter((event) => event.type === "agent.tool_result");
    expect(toolUses.length).toBeGreaterThanOrEqual(2);
    expect(toolResults.length).toBe(toolUses.length);
    // Each result comes after its call, and the final text after the last result.
    for (const result of toolResults) {
      const useIndex = first.events.findIndex((event) => event.type === "agent.tool_use" && event.id === result.tool_use_id);
      expect(useIndex).toBeGreaterThanOrEqual(0);
      expect(useIndex).toBeLessThan(first.events.indexOf(result));
    }
    expect(toolResults.some((result) => contentText(result.content).includes("command-ran"))).toBe(true);
    const lastResult = first.events.lastIndexOf(toolResults.at(-1)!);
    const lastMessage = first.events.findLastIndex((event) => event.type === "agent.message");
    expect(lastMessage).toBeGreaterThan(lastResult);
    expect(messageText(first.events)).toContain("I created hello.txt and ran cat on it.");

    // Every call the harness made (including titles or summaries) used the agent's model and key.
    const firstCalls = requestsSince(before);
    expect(firstCalls.length).toBeGreaterThanOrEqual(3);
    expect(new Set(firstCalls.map((call) => call.model))).toEqual(new Set([MODEL]));
    expect(new Set(firstCalls.map((call) => call.authorization))).toEqual(new Set([KEY]));

    const secondStart = setup.model.requests.length;
    const second = await adapter.send("Thanks. what did I ask you before?");
    expect(second.outcome).toBe("end_turn");
    expect(messageText(second.events)).toContain("You asked me to create hello.txt.");
    const secondCalls = requestsSince(secondStart).filter((call) => call.tools.length > 0);
    expect(secondCalls.length).toBeGreaterThanOrEqual(1);
    // The harness sent the first turn along: it keeps its own conversation.
    expect(secondCalls[0]!.transcript).toContain("Please create hello.txt");
    expect(secondCalls[0]!.transcript).toContain("command-ran");
    expect(new Set(requestsSince(secondStart).map((call) => call.model))).toEqual(new Set([MODEL]));
  }, 120_000);

  test(`${name}: interrupt mid-turn ends the turn as interrupted and the session goes on`, async () => {
    const { adapter } = sharedSession();
    setup.model.setScript([
      { when: "take your time", steps: [{ kind: "hang", text: "Thinking about it" }] },
      { when: "say ready", steps: [{ kind: "text", text: "ready" }] },
    ]);
    await adapter.start();
    const before = setup.model.requests.length;
    const events: HarnessEvent[] = [];
    const turn = adapter.send("take your time on this one", (event) => events.push(event));
    await waitFor(() => requestsSince(before).some((call) => call.lastUserText.includes("take your time") && call.tools.length > 0));
    await Bun.sleep(300);
    await adapter.interrupt();
    const result = await turn;
    expect(result.outcome).toBe("interrupted");
    expect(result.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "interrupted" } });
    expect(eventTypes(events)).not.toContain("session.error");
    setup.model.releaseHangs();

    const next = await adapter.send("now say ready");
    expect(next.outcome).toBe("end_turn");
    expect(messageText(next.events)).toContain("ready");
  }, 120_000);

  test(`${name}: the CLI crashing mid-turn surfaces as session.error, and the next turn recovers`, async () => {
    const { adapter } = sharedSession();
    setup.model.setScript([
      { when: "remember the word", steps: [{ kind: "text", text: "Noted: pineapple." }] },
      { when: "hang now", steps: [{ kind: "hang" }] },
      { when: "which word", steps: [{ kind: "text", text: "The word was pineapple." }] },
    ]);
    await adapter.start();
    expect((await adapter.send("remember the word pineapple")).outcome).toBe("end_turn");
    const before = setup.model.requests.length;
    const turn = adapter.send("hang now please");
    await waitFor(() => requestsSince(before).some((call) => call.lastUserText.includes("hang now") && call.tools.length > 0));
    const pid = adapter.pid();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, "SIGKILL");
    const result = await turn;
    expect(result.outcome).toBe("error");
    const last = result.events.at(-1)!;
    expect(last.type).toBe("session.error");
    if (last.type === "session.error") expect(last.error.code).toBe("harness_crashed");
    setup.model.releaseHangs();

    const afterCrash = setup.model.requests.length;
    const next = await adapter.send("which word did I give you?");
    expect(next.outcome).toBe("end_turn");
    const calls = requestsSince(afterCrash).filter((call) => call.tools.length > 0);
    expect(calls[0]!.transcript).toContain("pineapple");
  }, 120_000);

  test(`${name}: a model the gateway does not know is a clear session error, never a fallback`, async () => {
    const { adapter } = make({ model: "no-such-model" });
    setup.model.setScript([{ when: "hello", steps: [{ kind: "text", text: "hi" }] }]);
    const before = setup.model.requests.length;
    await adapter.start();
    const result = await adapter.send("hello there");
    expect(result.outcome).toBe("error");
    const last = result.events.at(-1)!;
    expect(last.type).toBe("session.error");
    if (last.type === "session.error") {
      expect(last.error.code).toBe("model_error");
      expect(last.error.message).toContain("no-such-model");
    }
    const calls = requestsSince(before);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(new Set(calls.map((call) => call.model))).toEqual(new Set(["no-such-model"]));
    expect(eventTypes(result.events)).not.toContain("agent.message");
  }, 120_000);

  test(`${name}: recovered history is given to a fresh harness`, async () => {
    const { adapter } = make({
      history: [
        { role: "user", text: "my name is Ada" },
        { role: "assistant", text: "Hello Ada" },
      ],
    });
    setup.model.setScript([{ when: "my name?", steps: [{ kind: "text", text: "Your name is Ada." }] }]);
    await adapter.start();
    const before = setup.model.requests.length;
    const result = await adapter.send("what is my name?");
    expect(result.outcome).toBe("end_turn");
    const calls = requestsSince(before).filter((call) => call.tools.length > 0);
    expect(calls[0]!.transcript).toContain("my name is Ada");
  }, 120_000);

  // Harnesses that take instructions: the bound system prompt, with the agent's always-on memory (docs/memory.md).
  if (options.systemPrompt) {
    test(`${name}: the agent's system prompt, with its always-on memory, reaches the model`, async () => {
      const { adapter } = make({ systemPrompt: "You help.\n\n# Memory\n\n## colour\nThe user's favourite colour is octarine." });
      setup.model.setScript([{ when: "favourite colour", steps: [{ kind: "text", text: "Octarine." }] }]);
      const before = setup.model.requests.length;
      await adapter.start();
      const reply = await adapter.send("What is my favourite colour?");
      expect(reply.outcome).toBe("end_turn");
      const calls = requestsSince(before).filter((call) => call.tools.length > 0);
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) expect(call.system).toContain("The user's favourite colour is octarine.");
    }, 120_000);
  }
}
