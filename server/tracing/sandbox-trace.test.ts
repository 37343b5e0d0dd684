/**
 * One trace from the API request through the turn, the sandbox start and the harness's model call
 * (issue 18): a real LAP (startLap) with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP
 * receiver, a built-in-harness agent in a bubblewrap sandbox, its model calls through LAP's bridge and
 * gateway to a scripted provider (test/support/scripted-openai.ts). The harness sends no trace context
 * of its own: the LAP bridge puts the turn's `traceparent` on its calls.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLap, type RunningLap } from "../main";
import { testDatabase } from "../../test/support/db";
import { newTraceparent, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../../test/support/otlp-receiver";
import { killMarked } from "../../test/support/processes";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../test/support/scripted-openai";
import { BWRAP_MISSING, requires } from "../../test/support/skip";

const MASTER = "trace-e2e-master-key-0123";
let lap: RunningLap | undefined;
let model: ScriptedOpenAI | undefined;
let receiver: OtlpReceiver | undefined;
let dataDir = "";

const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${lap!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};

beforeAll(async () => {
  if (BWRAP_MISSING) return;
  receiver = startOtlpReceiver();
  model = startScriptedOpenAI();
  dataDir = mkdtempSync(join(tmpdir(), "lap-trace-e2e-"));
  const config = join(dataDir, "gateway.yaml");
  writeFileSync(
    config,
    `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: sk-provider-secret-456 }\n`,
  );
  lap = await startLap(
    {
      LAP_DATA_DIR: dataDir,
      PORT: "0",
      MASTER_KEY: MASTER,
      LOG_LEVEL: "silent",
      LAP_GATEWAY_CONFIG: config,
      WARM_POOL_SIZE: "0",
      PATH: process.env.PATH ?? "",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    },
    { database: await testDatabase() },
  );
}, 90_000);

afterAll(async () => {
  try {
    await lap?.stop();
  } finally {
    if (dataDir) killMarked(dataDir);
    await model?.stop();
    await receiver?.stop();
  }
});

requires(BWRAP_MISSING).test(
  "a session's trace: request → provisioning → sandbox start; → turn → the harness's model call → gateway call → upstream attempt",
  async () => {
    const agent = await api("POST", "/api/agents", {
      name: "traced",
      model: "scripted-model",
      runtime_id: "rt_local_sandbox",
      harness: "builtin",
    });
    expect(agent.status).toBe(201);
    model!.script([{ text: "Traced hello." }]);
    const client = newTraceparent();
    const session = await api(
      "POST",
      "/api/sessions",
      { agent_id: agent.body.id, prompt: "say hello" },
      { traceparent: client.traceparent },
    );
    expect(session.status).toBe(201);

    const wanted = [
      "POST /api/sessions",
      "lap.session.provision",
      "lap.sandbox.start",
      "lap.turn",
      "POST /v1/chat/completions",
      "lap.gateway.call",
      "lap.gateway.upstream",
    ];
    let spans: ReceivedSpan[] = [];
    const until = Date.now() + 60_000;
    while (!wanted.every((n) => spans.some((s) => s.name === n))) {
      if (Date.now() > until)
        throw new Error(
          `trace has ${JSON.stringify(spans.map((s) => s.name))}; session ${JSON.stringify((await api("GET", `/api/sessions/${session.body.id}`)).body)}`,
        );
      await Bun.sleep(200);
      spans = receiver!.spans.filter((s) => s.traceId === client.traceId);
    }
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    const parentOf = (s: ReceivedSpan) => spans.find((p) => p.spanId === s.parentSpanId);

    const request = byName("POST /api/sessions");
    expect(request.parentSpanId).toBe(client.spanId);
    expect(parentOf(byName("lap.session.provision"))?.name).toBe("POST /api/sessions");
    // The sandbox starts while the session is provisioned.
    const start = byName("lap.sandbox.start");
    expect(["lap.session.provision", "lap.turn"]).toContain(parentOf(start)!.name);
    expect(start.attributes["lap.sandbox.kind"]).toBe("cold");
    const turn = byName("lap.turn");
    expect(turn.parentSpanId).toBe(request.spanId);
    expect(turn.attributes["lap.turn.outcome"]).toBe("completed");
    // The harness's call, through the LAP bridge, is a child of the turn.
    const modelCall = byName("POST /v1/chat/completions");
    expect(modelCall.parentSpanId).toBe(turn.spanId);
    expect(parentOf(byName("lap.gateway.call"))?.spanId).toBe(modelCall.spanId);
    expect(parentOf(byName("lap.gateway.upstream"))?.name).toBe("lap.gateway.call");
    // No key or prompt in any span.
    const all = JSON.stringify(receiver!.spans);
    for (const secret of [MASTER, "sk-provider-secret-456", "say hello", "Traced hello"]) expect(all).not.toContain(secret);
  },
  120_000,
);
