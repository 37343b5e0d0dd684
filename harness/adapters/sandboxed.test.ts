// Each real harness CLI driven by LAP's supervisor inside a local bubblewrap sandbox (the sandbox
// branch's LocalSandboxProvider), its model calls going out through the sandbox's only bridge to
// the scripted model (which stands for the LLM provider; LAP's gateway sits there in production).
// The CLIs' binaries come from the read-only node_modules bind, installed once for all sandboxes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LocalSandboxProvider } from "../../server/sandboxes/local-provider.ts";
import { type SandboxEvent, SupervisorClient } from "../../server/sandboxes/supervisor-client.ts";
import { binding, providerOptions } from "../../server/sandboxes/test-helpers.ts";
import { type ScriptedModel, startScriptedModel } from "../../test/support/scripted-model/index.ts";
import { HARNESS_NAMES } from "./types.ts";

const MODEL = "scripted-coder-1";
let model: ScriptedModel;
let provider: LocalSandboxProvider;
const hasBwrap = Boolean(Bun.which("bwrap"));

beforeAll(() => {
  model = startScriptedModel({ models: [MODEL] });
  provider = new LocalSandboxProvider(providerOptions(() => Number(new URL(model.url).port)));
}, 60_000);

afterAll(async () => {
  await provider?.shutdown();
  await model?.stop();
}, 60_000);

const text = (events: SandboxEvent[]) =>
  events.filter((e) => e.type === "agent.message").map((e) => (e.content as { text: string }[]).map((p) => p.text).join("")).join("");

describe.skipIf(!hasBwrap)("harnesses in a bubblewrap sandbox through the supervisor", () => {
  for (const harness of HARNESS_NAMES) {
    test(`${harness}: creates a file and runs a command in /workspace; events in order; second turn sees the first; agent's model and session key on every call`, async () => {
      const sessionId = `ses_sbx_${harness.replace("-", "_")}`;
      const handle = await provider.create({ harness, env: {}, workspaceId: `ws-${harness}` });
      await provider.waitReady(handle.id, { timeoutMs: 30_000 });
      const bound = binding(sessionId, `${model.url}/v1`, MODEL);
      await provider.bind(handle.id, bound);
      const client = new SupervisorClient(await provider.connect(handle.id), sessionId);
      model.setScript([
        {
          when: "make notes.txt",
          steps: [
            // Paths as the harness sees them inside the sandbox.
            { kind: "write_file", path: "/workspace/notes.txt", content: `written by ${harness}`, thinking: "Write it first." },
            { kind: "run", command: "cat /workspace/notes.txt; echo; uname -n" },
            { kind: "text", text: "notes.txt is in place." },
          ],
        },
        { when: "what did I ask", steps: [{ kind: "text", text: "You asked for notes.txt." }] },
      ]);
      const before = model.requests.length;
      const events = await client.runTurn("Please make notes.txt for me.", { timeoutMs: 90_000 });
      const types = events.map((e) => e.type);
      expect(types.at(-1)).toBe("session.status_idle");
      expect(types).not.toContain("session.error");
      const firstUse = types.indexOf("agent.tool_use");
      const firstResult = types.indexOf("agent.tool_result");
      expect(firstUse).toBeGreaterThan(types.indexOf("session.status_running"));
      expect(firstResult).toBeGreaterThan(firstUse);
      expect(types.lastIndexOf("agent.message")).toBeGreaterThan(types.lastIndexOf("agent.tool_result"));
      expect(text(events)).toContain("notes.txt is in place.");
      // The file landed in the session's workspace on the host; the command ran in the sandbox.
      const file = join(provider.workspacePath(`ws-${harness}`), "notes.txt");
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file, "utf8")).toBe(`written by ${harness}`);
      const outputs = events.filter((e) => e.type === "agent.tool_result").map((e) => JSON.stringify(e.content)).join("\n");
      expect(outputs).toContain("lap-sandbox");

      const calls = model.requests.slice(before);
      expect(new Set(calls.map((call) => call.model))).toEqual(new Set([MODEL]));
      expect(new Set(calls.map((call) => call.authorization))).toEqual(new Set([bound.gatewayKey]));

      const second = model.requests.length;
      const next = await client.runTurn("Thanks. what did I ask before?", { timeoutMs: 90_000 });
      expect(next.at(-1)?.type).toBe("session.status_idle");
      expect(text(next)).toContain("You asked for notes.txt.");
      const secondCall = model.requests.slice(second).find((call) => call.tools.length > 0);
      expect(secondCall?.transcript).toContain("Please make notes.txt");
      await provider.destroy(handle.id);
    }, 150_000);
  }
});
