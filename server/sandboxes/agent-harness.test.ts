/**
 * The built-in agent harness end to end: a real bubblewrap sandbox, the supervisor, the agent loop
 * calling a scripted OpenAI-compatible model through the bridged gateway address.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ScriptedOpenAI, startScriptedOpenAI } from "../../test/support/scripted-openai";
import { LocalSandboxProvider } from "./local-provider";
import { SupervisorClient } from "./supervisor-client";
import { binding, providerOptions, toolOutputs } from "./test-helpers";

let model: ScriptedOpenAI;
let provider: LocalSandboxProvider;

beforeAll(() => {
  model = startScriptedOpenAI();
  provider = new LocalSandboxProvider(providerOptions(() => model.port));
}, 60_000);
afterAll(async () => {
  await provider.shutdown();
  await model.stop();
});

async function session(name: string, extra: Record<string, unknown> = {}) {
  const h = await provider.create({ harness: "builtin", env: {}, workspaceId: `ws-${name}` });
  await provider.waitReady(h.id, { timeoutMs: 20_000 });
  await provider.bind(h.id, { ...binding(`ses_${name}`, model.url), ...extra });
  const conn = await provider.connect(h.id);
  return { id: h.id, conn, client: new SupervisorClient(conn, `ses_${name}`), workspace: provider.workspacePath(`ws-${name}`) };
}

describe("built-in agent harness", () => {
  test("read, edit, glob and grep work on the workspace; a second turn sees the first", async () => {
    const s = await session("tools");
    writeFileSync(join(s.workspace, "app.ts"), "export const greeting = 'hello';\n");
    // Written on the host (as root in CI): the sandbox's user gets it, as after a clone.
    await provider.handOverWorkspace("ws-tools");
    model.script([
      {
        toolCalls: [
          { name: "glob", arguments: { pattern: "**/*.ts" } },
          { name: "read", arguments: { path: "app.ts" } },
        ],
      },
      { toolCalls: [{ name: "edit", arguments: { path: "app.ts", old_string: "'hello'", new_string: "'bonjour'" } }] },
      {
        toolCalls: [
          { name: "grep", arguments: { pattern: "bonjour" } },
          { name: "read", arguments: { path: "../../etc/passwd" } },
        ],
      },
      { text: "Changed the greeting." },
    ]);
    const events = await s.client.runTurn("translate the greeting");
    const out = toolOutputs(events);
    expect(out).toContain("app.ts");
    expect(out).toContain("1\texport const greeting = 'hello';");
    expect(out).toContain("replaced 1 occurrence(s) in app.ts");
    expect(out).toContain("app.ts:1:export const greeting = 'bonjour';");
    expect(out).toContain("outside the workspace");
    expect(events.find((e) => e.type === "agent.tool_result" && e.name === "read" && e.is_error === true)).toBeTruthy();
    expect(readFileSync(join(s.workspace, "app.ts"), "utf8")).toBe("export const greeting = 'bonjour';\n");
    // agent.message deltas concatenate to the model's text.
    const text = events
      .filter((e) => e.type === "agent.message")
      .map((e) => (e.content as any)[0].text)
      .join("");
    expect(text).toBe("Changed the greeting.");

    model.requests.length = 0;
    model.script([{ text: "You asked me to translate the greeting." }]);
    await s.client.runTurn("what did I ask before?");
    const seen = model.requests[0]!.messages;
    expect(seen.filter((m) => m.role === "user").map((m) => m.content)).toEqual(["translate the greeting", "what did I ask before?"]);
    expect(seen.some((m) => m.role === "tool" && String(m.content).includes("bonjour"))).toBe(true);
    expect(model.requests[0]!.tools.map((t) => t.function.name).sort()).toEqual([
      "bash",
      "edit",
      "glob",
      "grep",
      "read",
      "web_fetch",
      "write",
    ]);
    await provider.destroy(s.id);
  }, 30_000);

  test("interrupt stops a streaming model call and a running command", async () => {
    const s = await session("interrupt");
    model.script([{ hang: true, text: "thinking..." }]);
    const after = await s.client.sendMessage("take your time");
    const seen: string[] = [];
    for await (const e of s.client.stream(after, { untilIdle: true, signal: AbortSignal.timeout(15_000) })) {
      seen.push(e.type);
      if (e.type === "agent.message") await s.client.interrupt();
      if (e.type === "session.status_idle") expect(e.stop_reason).toEqual({ type: "interrupted" });
    }
    expect(seen.at(-1)).toBe("session.status_idle");

    // A 5-minute command: a turn that ran it to the end would outlast the stream's 15 s guard.
    model.script([{ toolCalls: [{ name: "bash", arguments: { command: "sleep 300; echo never" } }] }]);
    const after2 = await s.client.sendMessage("sleep");
    const types: string[] = [];
    for await (const e of s.client.stream(after2, { untilIdle: true, signal: AbortSignal.timeout(15_000) })) {
      types.push(e.type);
      if (e.type === "agent.tool_use") setTimeout(() => void s.client.interrupt(), 200);
    }
    expect(types.at(-1)).toBe("session.status_idle");
    await provider.destroy(s.id);
  }, 40_000);

  test("reasoning deltas become agent.thinking events before the answer", async () => {
    const s = await session("thinking");
    model.script([{ thinking: "The user wants a greeting.", text: "Hello!" }]);
    const events = await s.client.runTurn("greet me");
    expect(events.map((e) => e.type)).toEqual([
      "session.status_running",
      "agent.thinking",
      "agent.message",
      "agent.message",
      "session.status_idle",
    ]);
    expect(events[1]).toMatchObject({
      thinking: "The user wants a greeting.",
      content: [{ type: "thinking", text: "The user wants a greeting." }],
    });
    await provider.destroy(s.id);
  }, 30_000);

  test("the step limit ends a turn that keeps calling tools", async () => {
    const s = await session("steps", { maxSteps: 3 });
    model.script(Array.from({ length: 10 }, () => ({ toolCalls: [{ name: "bash", arguments: { command: "echo again" } }] })));
    const events = await s.client.runTurn("loop forever");
    expect(events.filter((e) => e.type === "agent.tool_use")).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ type: "session.status_idle", stop_reason: { type: "step_limit", steps: 3 } });
    await provider.destroy(s.id);
  }, 30_000);

  test("a gateway error (unknown model) ends the turn with session.error naming it", async () => {
    const s = await session("gwerr");
    model.script([{ status: 400, error: "model 'nope' is not allowed for this key" }]);
    const events = await s.client.runTurn("hi");
    expect(events.at(-1)).toMatchObject({ type: "session.error" });
    expect(JSON.stringify(events.at(-1))).toContain("model 'nope' is not allowed for this key");
    await provider.destroy(s.id);
  }, 30_000);

  test("a harness crash mid-turn is reported, the harness restarts and still knows the conversation", async () => {
    const s = await session("crash");
    model.script([{ text: "first answer" }]);
    await s.client.runTurn("remember the word zebra");
    // The agent kills its own harness process (its parent) in the middle of a turn.
    model.script([{ toolCalls: [{ name: "bash", arguments: { command: "kill -9 $PPID; sleep 5" } }] }]);
    const crashed = await s.client.runTurn("crash now");
    expect(crashed.at(-1)!.type).toBe("session.error");
    expect(JSON.stringify(crashed.at(-1))).toContain("harness process exited");
    for (let i = 0; i < 100 && (await s.client.health()).harness.state !== "running"; i++) await Bun.sleep(20);
    expect((await s.client.health()).harness.restarts).toBe(1);
    model.requests.length = 0;
    model.script([{ text: "zebra" }]);
    const events = await s.client.runTurn("which word?");
    expect(events.at(-1)!.type).toBe("session.status_idle");
    expect(JSON.stringify(model.requests[0]!.messages)).toContain("remember the word zebra");
    await provider.destroy(s.id);
  }, 30_000);

  test("history replayed after a recovery reaches the model on the next turn", async () => {
    const s = await session("replay");
    await s.client.replayHistory([
      { type: "user.message", content: [{ type: "text", text: "my name is Ada" }] },
      { type: "agent.message", content: [{ type: "text", text: "Hello Ada" }] },
      { type: "session.status_idle" },
    ] as any);
    model.script([{ text: "Ada" }]);
    await s.client.runTurn("what is my name?");
    const roles = model.requests.at(-1)!.messages.map((m) => `${m.role}:${typeof m.content === "string" ? m.content : ""}`);
    expect(roles.slice(1)).toEqual(["user:my name is Ada", "assistant:Hello Ada", "user:what is my name?"]);
    await provider.destroy(s.id);
  }, 30_000);

  test("the supervisor API checks its token, validates input (400 naming the field) and refuses a second session", async () => {
    const s = await session("api");
    const sock = join((provider as any).entries.get(s.id).runDir, "supervisor.sock");
    const raw = (path: string, init: RequestInit = {}) => fetch(`http://sandbox${path}`, { ...init, unix: sock } as RequestInit);
    expect((await raw("/health")).status).toBe(200);
    expect((await raw("/v1/sessions/ses_api/events")).status).toBe(401);
    expect((await raw("/v1/sessions/ses_api/events", { headers: { "x-api-key": "wrong" } })).status).toBe(401);
    const bad = await s.conn.fetch("http://sandbox/v1/sessions/ses_api/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events: [{ type: "user.message", content: "not a list" }] }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("events.0.content");
    expect(await s.client.events()).toEqual([expect.objectContaining({ type: "session.bound" })]);
    const rebind = await s.conn.fetch("http://sandbox/lap/bind", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(binding("ses_other", model.url)),
    });
    expect(rebind.status).toBe(409);
    expect((await s.conn.fetch("http://sandbox/v1/sessions/ses_other/events")).status).toBe(404);
    await provider.destroy(s.id);
  }, 30_000);
});
