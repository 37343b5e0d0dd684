/**
 * Real CLIs pre-started in real bubblewrap sandboxes, as the warm pool does it (docs/sandboxes.md "Warm
 * pool"), against the scripted model (standing for the LLM provider) behind the sandbox's LAP bridge.
 * opencode's warm-up sends a real prompt before any session exists (answered by its in-sandbox stub
 * model, opencode/warm-stub.ts); its title call to LAP's gateway must be refused in the sandbox (the
 * model sees nothing), and after the bind the first turn carries the session's key. OpenClaw's warm-up
 * (openclaw/warm-up.ts) sends its throwaway prompt to the same in-sandbox stub and calls nothing else.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { realpathSync } from "node:fs";
import { openclawDir } from "../../../harness/adapters/binaries.ts";
import { startScriptedModel, type ScriptedModel } from "../../../test/support/scripted-model/index.ts";
import { BWRAP_MISSING, type Missing, OPENCLAW_MISSING, requires } from "../../../test/support/skip";
import { LocalSandboxProvider } from "../local-provider";
import { SupervisorClient } from "../supervisor-client";
import { binding, providerOptions } from "../test-helpers";

const MODEL = "scripted-model";
let model: ScriptedModel;
let provider: LocalSandboxProvider;

beforeAll(() => {
  model = startScriptedModel({ models: [MODEL], script: [{ when: "say hi", steps: [{ kind: "text", text: "hi from warm" }] }] });
  // OpenClaw's own install is bound into the sandbox as LAP does it (host-provider-for.ts).
  provider = new LocalSandboxProvider(
    providerOptions(() => Number(new URL(model.url).port), OPENCLAW_MISSING ? {} : { openclawDir: realpathSync(openclawDir()) }),
  );
});

afterAll(async () => {
  await provider?.shutdown();
  await model?.stop();
});

requires(BWRAP_MISSING).describe("a pre-started CLI in a warm sandbox", () => {
  const cases: Array<[string, Missing, number]> = [
    ["codex", null, 180_000],
    ["opencode", null, 180_000],
    // OpenClaw's Gateway takes 10-30 s to start on a quiet 2-core machine, minutes on a loaded one.
    ["openclaw", OPENCLAW_MISSING, 600_000],
  ];
  for (const [harness, missing, timeoutMs] of cases) {
    requires(missing).test(
      `${harness}: started and warmed up before any session, nothing reaches the model; the first turn after the bind answers with the session key`,
      async () => {
        const sessionId = `ses_warm_cli_${harness}`;
        const h = await provider.create({ harness, env: {}, workspaceId: `ws-warm-cli-${harness}` });
        await provider.waitReady(h.id, { timeoutMs: 60_000 });
        const bound = binding(sessionId, `${model.url}/v1`, MODEL);
        const before = model.requests.length;
        expect(
          (await provider.prepare(h.id, { agentId: bound.agentId, model: MODEL, holdSeconds: 600 }, bound.gatewayBaseUrl)).harness,
        ).toBe("ready");
        // Nothing reached the model before the bind.
        expect(model.requests.length).toBe(before);

        await provider.bind(h.id, bound);
        const client = new SupervisorClient(await provider.connect(h.id), sessionId);
        const health = await client.health();
        expect(health.prepared).toBe("kept");
        // opencode's warm-up did call LAP's gateway before the bind (its title call), refused in the
        // sandbox; Codex's start makes no call.
        const proxy = health.gateway_proxy as { bound: boolean; refused_unbound: number; abandoned: number };
        expect([proxy.bound, proxy.abandoned, proxy.refused_unbound > 0]).toEqual([true, 0, harness === "opencode"]);
        const events = await client.runTurn("say hi", { timeoutMs: timeoutMs - 60_000 });
        expect(events.at(-1)?.type).toBe("session.status_idle");
        expect(JSON.stringify(events.filter((e) => e.type === "agent.message"))).toContain("hi from warm");
        const calls = model.requests.slice(before);
        expect(calls.length).toBeGreaterThan(0);
        expect(new Set(calls.map((r) => r.authorization))).toEqual(new Set([bound.gatewayKey]));
        expect(calls.some((r) => r.transcript.includes("warm-up"))).toBe(false);
        await provider.destroy(h.id, { dropWorkspace: true });
      },
      timeoutMs,
    );
  }
});
