/**
 * The sandbox runtime under the real sessions module: sessions API → turn worker → sandbox adapter →
 * bubblewrap sandbox → built-in agent → scripted model (given to the sandbox as its gateway URL, so
 * LAP's gateway is not on this test's path). Proves that a killed sandbox is survived at the session level, and
 * that a turn it was running ends `interrupted` (never `end_turn`) with a session.error saying why.
 */
import { agentsForSandboxes } from "../../agents/for-sandboxes";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { killMarked } from "../../../test/support/processes";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../lib/logger";
import type { RuntimeAdapter } from "../../runtimes/adapter";
import { sessionHarness, type SessionHarness } from "../../../test/support/session-harness";
import { type ScriptedOpenAI, startScriptedOpenAI } from "../../../test/support/scripted-openai";
import { LocalSandboxProvider } from "../local-provider";
import { providerOptions } from "../test-helpers";
import { SandboxRuntimeAdapter } from "./sandbox-runtime";
import { sessionsForSandboxes } from "../../sessions/for-sandboxes";
import { sessionHistory } from "../../sessions/history";

let h: SessionHarness;
let model: ScriptedOpenAI;
let provider: LocalSandboxProvider;
let adapter: SandboxRuntimeAdapter | null = null;

beforeAll(async () => {
  model = startScriptedOpenAI();
  provider = new LocalSandboxProvider(providerOptions(() => model.port));
  h = await sessionHarness({ session: { adapterFactory: (): RuntimeAdapter => adapter! } });
  adapter = new SandboxRuntimeAdapter({
    database: h.t.database,
    sessions: sessionsForSandboxes(h.t.database),
    agents: agentsForSandboxes(h.t.database),
    provider,
    logger: createLogger("silent"),
    gatewayBaseUrl: `${model.url}`,
    mintSessionKey: async ({ sessionId }) => `sk-session-${sessionId}`,
    history: (sessionId) => sessionHistory(h.t.database, sessionId),
    containerEnv: {},
    workspacePath: (ws) => provider.workspacePath(ws),
  });
}, 60_000);

afterAll(async () => {
  try {
    await h?.close();
  } finally {
    // The sandboxes go even if closing the harness failed, and anything naming the data dir with them.
    await provider?.shutdown();
    if (provider) killMarked(join(provider.workspacesDir, ".."));
    await model?.stop();
  }
});

test("a session runs its turns in a sandbox and survives the sandbox being killed", async () => {
  const session = await h.createSession();
  await h.waitForStatus(session.id, "idle", 20_000);

  model.script([{ toolCalls: [{ name: "write", arguments: { path: "plan.md", content: "step 1" } }] }, { text: "Wrote the plan." }]);
  expect((await h.send(session.id, "write a plan")).status).toBe(202);
  await h.waitForEvent(session.id, (e) => e.type === "session.status_idle", 20_000);
  const [row] = await h.t.database.query<{ sandbox_id: string; workspace_id: string }>(
    `select sandbox_id, workspace_id from sandboxes where session_id = $1`,
    [session.id],
  );
  const ws = provider.workspacePath(row!.workspace_id);
  expect(readFileSync(join(ws, "plan.md"), "utf8")).toBe("step 1");
  const first = await h.events(session.id);
  expect(first.map((e) => e.type)).toEqual(
    expect.arrayContaining([
      "user.message",
      "session.status_running",
      "agent.tool_use",
      "agent.tool_result",
      "agent.message",
      "session.status_idle",
    ]),
  );

  // The sandbox dies between turns (kill its process).
  process.kill((await provider.get(row!.sandbox_id))!.info.pid as number, "SIGKILL");
  for (let i = 0; i < 100 && (await provider.get(row!.sandbox_id))!.state !== "failed"; i++) await Bun.sleep(20);

  model.requests.length = 0;
  model.script([{ toolCalls: [{ name: "read", arguments: { path: "plan.md" } }] }, { text: "Still here." }]);
  expect((await h.send(session.id, "what is in the plan?")).status).toBe(202);
  await h.waitFor(
    "second turn to end",
    async () => (await h.events(session.id)).filter((e) => e.type === "session.status_idle").length >= 2,
    30_000,
  );
  const all = await h.events(session.id);
  const second = all.slice(first.length);
  expect(second.map((e) => e.type)).toContain("session.recovered");
  expect(JSON.stringify(second)).toContain("step 1");
  // The new harness was given the conversation before the death.
  expect(JSON.stringify(model.requests[0]!.messages)).toContain("write a plan");
  const rows = await h.t.database.query<{ status: string; workspace_id: string }>(
    `select status, workspace_id from sandboxes where session_id = $1 order by created_at`,
    [session.id],
  );
  expect(rows.map((r) => r.status)).toEqual(["dead", "claimed"]);
  expect(new Set(rows.map((r) => r.workspace_id)).size).toBe(1);
  expect(existsSync(ws)).toBe(true);
}, 90_000);

test("a message sent the moment its sandbox was killed between turns goes to the next sandbox: answered, one session.recovered, never 'did not accept'", async () => {
  const session = await h.createSession();
  await h.waitForStatus(session.id, "idle", 20_000);
  model.script([{ text: "first" }]);
  expect((await h.send(session.id, "hello")).status).toBe(202);
  await h.waitForEvent(session.id, (e) => e.type === "session.status_idle", 20_000);
  const before = (await h.events(session.id)).length;
  const [row] = await h.t.database.query<{ sandbox_id: string }>(`select sandbox_id from sandboxes where session_id = $1`, [session.id]);
  // No waiting for LAP to notice the death: the message may reach the dead supervisor's socket first.
  process.kill((await provider.get(row!.sandbox_id))!.info.pid as number, "SIGKILL");
  model.script([{ text: "second answer" }]);
  expect((await h.send(session.id, "are you there?")).status).toBe(202);
  await h.waitFor(
    "the second turn to end",
    async () => (await h.events(session.id)).slice(before).some((e) => e.type === "session.status_idle" || e.type === "session.error"),
    30_000,
  );
  const second = (await h.events(session.id)).slice(before);
  expect(second.filter((e) => e.type === "session.error")).toEqual([]);
  expect(second.at(-1)!.data.stop_reason).toEqual({ type: "end_turn" });
  expect(second.filter((e) => e.type === "session.recovered")).toHaveLength(1);
  expect(JSON.stringify(second)).toContain("second answer");
}, 90_000);

test("a sandbox killed in the middle of a turn: the turn ends interrupted with a session.error saying why, one session.recovered, and the next turn works", async () => {
  const session = await h.createSession();
  await h.waitForStatus(session.id, "idle", 20_000);
  model.script([{ hang: true, text: "thinking hard" }]);
  expect((await h.send(session.id, "a long question")).status).toBe(202);
  // Mid-reply: the text streams as agent.message_delta until the message ends (docs/sessions.md "Messages and deltas").
  await h.waitFor(
    "the reply to start",
    async () =>
      (await h.t.json("GET", `/api/sessions/${session.id}/events?deltas=true`)).body.data.some(
        (e: { type: string }) => e.type === "agent.message_delta",
      ),
    20_000,
  );
  const [row] = await h.t.database.query<{ sandbox_id: string }>(`select sandbox_id from sandboxes where session_id = $1`, [session.id]);
  process.kill((await provider.get(row!.sandbox_id))!.info.pid as number, "SIGKILL");
  const idle = await h.waitForEvent(session.id, (e) => e.type === "session.status_idle", 30_000);
  expect(idle.data.stop_reason).toEqual({ type: "interrupted", reason: "sandbox_lost" });
  expect(idle.data.incomplete).toBe(true);
  const events = await h.events(session.id);
  const types = events.map((e) => e.type);
  expect(types.filter((t) => t === "session.recovered")).toHaveLength(1);
  expect(types.indexOf("session.recovered")).toBeGreaterThan(types.indexOf("agent.message"));
  const error = events.find((e) => e.type === "session.error")!;
  expect(types.indexOf("session.error")).toBe(types.indexOf("session.status_idle") - 1);
  expect(error.data.error).toMatchObject({ type: "turn_lost", reason: "sandbox_lost" });
  expect((error.data.error as { message: string }).message).toContain("SIGKILL");
  expect(JSON.stringify(events)).not.toContain("end_turn");
  // The turn and session rows follow the stored idle event (turn-worker endTurn), not in its transaction.
  await h.waitForStatus(session.id, "idle", 5_000);
  const [turnRow] = await h.t.database.query<{ status: string }>(`select status from session_turns where session_id = $1`, [session.id]);
  expect(turnRow!.status).toBe("interrupted");
  const s = (await h.t.json("GET", `/api/sessions/${session.id}`)).body;
  expect(s.error).toContain("was lost");

  // The next message continues with the history on the new sandbox.
  model.requests.length = 0;
  model.script([{ text: "Here is the answer." }]);
  expect((await h.send(session.id, "try again please")).status).toBe(202);
  await h.waitFor(
    "second turn to end",
    async () => (await h.events(session.id)).filter((e) => e.type === "session.status_idle").length >= 2,
    30_000,
  );
  const all = await h.events(session.id);
  expect(all.at(-1)!.data.stop_reason).toEqual({ type: "end_turn" });
  expect(all.filter((e) => e.type === "session.recovered")).toHaveLength(1);
  const seen = JSON.stringify(model.requests[0]!.messages);
  for (const said of ["a long question", "thinking hard", "try again please"]) expect(seen).toContain(said);
  expect((await h.t.json("GET", `/api/sessions/${session.id}`)).body.error).toBeNull();
}, 90_000);
