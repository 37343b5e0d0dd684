import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { type ScriptedOpenAI, startScriptedOpenAI } from "../../test/support/scripted-openai";
import { ProcessSandboxProvider } from "./process-provider";
import { SupervisorClient } from "./supervisor-client";
import { binding, providerOptions, toolOutputs } from "./test-helpers";

let model: ScriptedOpenAI;
const logLines: string[] = [];
let provider: ProcessSandboxProvider;

beforeAll(() => {
  model = startScriptedOpenAI();
  const sink = new Writable({ write: (chunk, _e, cb) => (logLines.push(String(chunk)), cb()) });
  provider = new ProcessSandboxProvider(providerOptions(() => model.port, { logger: pino({ level: "warn" }, sink) }));
}, 60_000);
afterAll(async () => {
  await provider.shutdown();
  await model.stop();
});

test("process provider: runs the agent without isolation and warns on every sandbox it starts", async () => {
  for (const n of [1, 2]) {
    const h = await provider.create({ harness: "builtin", env: { CONTAINER_THING: "x" }, workspaceId: `ws-proc-${n}` });
    await provider.waitReady(h.id, { timeoutMs: 20_000 });
    await provider.bind(h.id, binding(`ses_proc${n}`, model.url));
    const client = new SupervisorClient(await provider.connect(h.id), `ses_proc${n}`);
    model.script([{ toolCalls: [{ name: "bash", arguments: { command: "echo made > out.txt; echo $CONTAINER_THING" } }] }, { text: "ok" }]);
    const out = toolOutputs(await client.runTurn("go"));
    expect(out).toContain("x");
    expect(readFileSync(join(provider.workspacePath(`ws-proc-${n}`), "out.txt"), "utf8")).toBe("made\n");
    await provider.destroy(h.id);
  }
  const warnings = logLines.filter((l) => l.includes("NO isolation"));
  expect(warnings).toHaveLength(2);
  expect(JSON.parse(warnings[0]!).level).toBe(40);
}, 30_000);
