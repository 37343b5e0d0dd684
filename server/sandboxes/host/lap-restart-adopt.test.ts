/**
 * Issue 16: a turn survives a LAP restart on local sandboxes. A real `lap up` (built-in agent, a
 * bubblewrap sandbox, the scripted model behind LAP's gateway) is SIGKILLed while the model streams a
 * reply, and started again on the same data dir and database:
 * - within LAP_SANDBOX_ORPHAN_GRACE_SECONDS the sandbox is adopted (same processes), the agent's
 *   broken model step is tried again once LAP answers, and the turn finishes in the same seq stream:
 *   gapless, nothing twice, one session.recovered;
 * - past the grace period the sandbox has stopped itself: the turn ends `interrupted` with a
 *   session.error saying why (never end_turn), one session.recovered, and the next message works.
 */
import { afterAll, afterEach, beforeAll, describe, expect } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lapClient, type SessionEvent, waitFor } from "../../../test/support/api-client";
import { TEST_DB_DRIVER, freshPostgresUrl } from "../../../test/support/db";
import { freePort, type LapChild, startLapChild } from "../../../test/support/lap-child";
import { isRunning, killMarked, markedProcesses, withDescendants } from "../../../test/support/processes";
import { readSse } from "../../../test/support/session-harness";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { BWRAP_MISSING, requires } from "../../../test/support/skip";

const KEY = "lap-adopt-master-key-123456";
let model: ScriptedOpenAI;
let dataDir: string;
let env: Record<string, string>;
let base = "";
let lapChild: LapChild | undefined;
let dropDb: (() => Promise<void>) | undefined;
const { api, events } = lapClient(() => base, KEY);

async function startLap(graceSeconds: number) {
  lapChild = await startLapChild({ ...env, LAP_SANDBOX_ORPHAN_GRACE_SECONDS: String(graceSeconds) }, base);
}

const kill9 = () => lapChild!.kill9();

const sandboxProcesses = () => [...new Set(markedProcesses(join(dataDir, "run", "sbx_")).flatMap(withDescendants))];
const texts = (evs: SessionEvent[]) =>
  evs.filter((e) => e.type === "agent.message").map((e) => (e.data.content as Array<{ text: string }>)[0]?.text ?? "");
/** Streamed pieces as a live client sees them (docs/sessions.md "Messages and deltas"). */
const deltas = (evs: SessionEvent[]) => evs.filter((e) => e.type === "agent.message_delta");
const increasing = (seqs: number[]) => seqs.every((s, i) => i === 0 || s > seqs[i - 1]!);
const slowReply = Array.from({ length: 24 }, (_, i) => `p${i} `);

async function sessionWithAgent() {
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: `survivor-${Math.random().toString(36).slice(2, 8)}`,
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
  });
  expect(agent.status).toBe(201);
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  expect(session.status).toBe(201);
  await waitFor(
    "session idle",
    async () => (await api<{ status: string }>("GET", `/api/sessions/${session.body.id}`)).body.status === "idle",
    60_000,
  );
  return session.body.id;
}

beforeAll(async () => {
  model = startScriptedOpenAI();
  dataDir = mkdtempSync(join(tmpdir(), "lap-adopt-e2e-"));
  const gateway = join(dataDir, "gateway.yaml");
  writeFileSync(
    gateway,
    `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: sk-provider-secret-123 }\n`,
  );
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = {
    PORT: String(port),
    HOST: "127.0.0.1",
    LAP_DATA_DIR: dataDir,
    MASTER_KEY: KEY,
    LOG_LEVEL: "warn",
    LAP_GATEWAY_CONFIG: gateway,
    WARM_POOL_SIZE: "0",
  };
  if (TEST_DB_DRIVER === "postgres") {
    const db = await freshPostgresUrl("lap_adopt");
    env.DATABASE_URL = db.url;
    dropDb = db.drop;
  }
}, 60_000);

afterEach(async () => {
  if (lapChild && lapChild.child.exitCode === null) await kill9();
  killMarked(dataDir);
});

afterAll(async () => {
  killMarked(dataDir);
  await model?.stop();
  await dropDb?.();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("SIGKILL of LAP mid-reply on a local sandbox", () => {
  requires(BWRAP_MISSING).test(
    "within the grace period: the sandbox is adopted and the reply completes in the same seq stream, gapless, nothing twice, one session.recovered",
    async () => {
      await startLap(90);
      const id = await sessionWithAgent();
      model.script([{ pieces: slowReply, pieceDelayMs: 250 }, { text: "complete answer" }]);
      const res = await fetch(`${base}/api/sessions/${id}/stream?after=0`, { headers: { authorization: `Bearer ${KEY}` } });
      expect((await api("POST", `/api/sessions/${id}/messages`, { text: "tell me slowly" })).status).toBe(202);
      const before = await readSse(res, (ev) => deltas(ev).length >= 4, 60_000);
      const sandbox = sandboxProcesses();
      expect(sandbox.length).toBeGreaterThanOrEqual(3);
      await kill9();
      await Bun.sleep(500);
      expect(sandbox.filter((pid) => !isRunning(pid))).toEqual([]);

      await startLap(90);
      const after = await readSse(
        await fetch(`${base}/api/sessions/${id}/stream`, {
          headers: { authorization: `Bearer ${KEY}`, "last-event-id": String(before.at(-1)!.seq) },
        }),
        (ev) => ev.some((e) => e.type === "session.status_idle"),
        90_000,
      );
      const stored = await events(id);
      // One seq stream: the client's two connections saw every stored event once, in order; what else they
      // saw were the pieces the whole message replaced (compacted, so the log has holes only there).
      const seen = [...before, ...after];
      expect(increasing(seen.map((e) => e.seq))).toBe(true);
      expect(seen.filter((e) => e.type !== "agent.message_delta").map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
      expect(increasing(stored.map((e) => e.seq))).toBe(true);
      const turn = stored.filter((e) => e.turn_id);
      expect(turn.at(-1)).toMatchObject({ type: "session.status_idle", data: { stop_reason: { type: "end_turn" } } });
      expect(stored.filter((e) => e.type === "session.recovered")).toHaveLength(1);
      expect(stored.some((e) => e.type === "session.error")).toBe(false);
      // Live, the broken attempt's pieces arrived in order, none lost, none twice; then the step was tried
      // again (a delta marked `restarted`) and its answer completed the reply. Stored, it is one message
      // holding only the answer.
      const pieces = deltas(seen);
      const restartedAt = pieces.findIndex((e) => e.data.restarted);
      expect(restartedAt).toBeGreaterThanOrEqual(4);
      expect(pieces.slice(0, restartedAt).map((e) => e.data.text)).toEqual(slowReply.slice(0, restartedAt));
      // Pieces that arrive with their message's end are not sent as deltas (the message has them).
      expect(
        "complete answer".startsWith(
          pieces
            .slice(restartedAt + 1)
            .map((e) => e.data.text)
            .join(""),
        ),
      ).toBe(true);
      expect(texts(turn)).toEqual(["complete answer"]);
      // The very same sandbox did it.
      expect(sandbox.filter((pid) => !isRunning(pid))).toEqual([]);
      expect((await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status).toBe("idle");
    },
    240_000,
  );

  requires(BWRAP_MISSING).test(
    "past the grace period: the sandbox stopped itself; the turn ends interrupted with a session.error, one session.recovered, and the next message works",
    async () => {
      await startLap(2);
      const id = await sessionWithAgent();
      model.script([{ pieces: slowReply, pieceDelayMs: 250 }]);
      expect((await api("POST", `/api/sessions/${id}/messages`, { text: "tell me slowly" })).status).toBe(202);
      await waitFor(
        "the reply streaming",
        async () =>
          deltas((await api<{ data: SessionEvent[] }>("GET", `/api/sessions/${id}/events?limit=1000&deltas=true`)).body.data).length >= 3,
        60_000,
      );
      const sandbox = sandboxProcesses();
      await kill9();
      await waitFor("the orphan to stop itself", () => sandbox.every((pid) => !isRunning(pid)), 20_000);

      await startLap(2);
      await waitFor("the turn to end", async () => (await events(id)).some((e) => e.type === "session.status_idle" && e.turn_id), 60_000);
      const stored = await events(id);
      expect(increasing(stored.map((e) => e.seq))).toBe(true);
      // The reply so far is one message, marked incomplete.
      expect(stored.filter((e) => e.type === "agent.message")).toHaveLength(1);
      expect(stored.find((e) => e.type === "agent.message")!.data).toMatchObject({ incomplete: true });
      const end = stored.find((e) => e.type === "session.status_idle" && e.turn_id)!;
      expect(end.data).toMatchObject({ stop_reason: { type: "interrupted", reason: "sandbox_lost" }, incomplete: true });
      expect(stored.find((e) => e.type === "session.error")!.data.error).toMatchObject({ type: "turn_lost", reason: "sandbox_lost" });
      expect(stored.filter((e) => e.type === "session.recovered")).toHaveLength(1);
      expect(JSON.stringify(stored)).not.toContain("end_turn");

      model.requests.length = 0;
      model.script([{ text: "fresh start" }]);
      expect((await api("POST", `/api/sessions/${id}/messages`, { text: "again please" })).status).toBe(202);
      await waitFor("the next turn", async () => (await events(id)).filter((e) => e.type === "session.status_idle").length >= 2, 60_000);
      const all = await events(id);
      expect(all.at(-1)!.data.stop_reason).toEqual({ type: "end_turn" });
      expect(texts(all).at(-1)).toBe("fresh start");
      expect(all.filter((e) => e.type === "session.recovered")).toHaveLength(1);
      // The new sandbox's agent was given the conversation, the lost turn included.
      expect(JSON.stringify(model.requests[0]!.messages)).toContain("tell me slowly");
    },
    240_000,
  );
});
