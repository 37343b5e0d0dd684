// A real `lap up` (test/support/lap-child.ts) with one harness CLI on a local bubblewrap sandbox, its
// model calls through LAP's gateway to the scripted model (standing for the LLM provider), killed
// with SIGKILL mid-reply and started again on the same data (docs/sessions.md "A LAP restart on local
// sandboxes"), and a sandbox killed under a running LAP ("A lost turn ends interrupted").
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HarnessName } from "../../harness/adapters/types.ts";
import { lapClient, type SessionEvent, waitFor } from "./api-client.ts";
import { imageBlock, PNG_1X1 } from "./attachments.ts";
import { freshPostgresUrl, TEST_DB_DRIVER } from "./db.ts";
import { freePort, type LapChild, startLapChild } from "./lap-child.ts";
import { isRunning, killMarked, markedProcesses, withDescendants } from "./processes.ts";
import { startScriptedModel, type ScriptedModel } from "./scripted-model/index.ts";
import { readSse } from "./session-harness.ts";
import { BWRAP_MISSING, requires } from "./skip.ts";

const KEY = "lap-cli-restart-master-key";
const PROVIDER_KEY = "sk-provider-cli-restart-123";
const UPSTREAM = "scripted-coder-1";
const LAP_DOWN_MS = 20_000;
/** Claude Code speaks Anthropic Messages; the others OpenAI chat completions or Responses. */
const modelFor = (harness: HarnessName) => (harness === "claude-code" ? "claude-scripted" : "gpt-scripted");

/** SIGKILL; a process that already went with its parent is fine. */
function killIfRunning(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch (error) {
    if ((error as { code?: string }).code !== "ESRCH") throw error;
  }
}
const texts = (evs: SessionEvent[]) =>
  evs
    .filter((e) => e.type === "agent.message")
    .map((e) => ((e.data.content as Array<{ text?: string }>) ?? []).map((p) => p.text ?? "").join(""));
const turnEnded = (evs: SessionEvent[]) => evs.some((e) => e.turn_id && (e.type === "session.status_idle" || e.type === "session.error"));

export function cliRestartSuite(harness: HarnessName): void {
  let model: ScriptedModel;
  let dataDir = "";
  let base = "";
  let env: Record<string, string> = {};
  let lap: LapChild | undefined;
  let dropDb: (() => Promise<void>) | undefined;
  const { api, events } = lapClient(() => base, KEY);
  const startLap = async (grace: number) => {
    lap = await startLapChild({ ...env, LAP_SANDBOX_ORPHAN_GRACE_SECONDS: String(grace) }, base);
  };
  const sandboxProcesses = () => [...new Set(markedProcesses(join(dataDir, "run", "sbx_")).flatMap(withDescendants))];
  const newSession = async () => {
    const agent = await api<{ id: string }>("POST", "/api/agents", {
      name: `${harness}-restart-${Math.random().toString(36).slice(2, 8)}`,
      model: modelFor(harness),
      runtime_id: "rt_local_sandbox",
      harness,
    });
    expect(agent.status).toBe(201);
    const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
    expect(session.status).toBe(201);
    await waitFor(
      "the session to be idle",
      async () => (await api<{ status: string }>("GET", `/api/sessions/${session.body.id}`)).body.status === "idle",
      90_000,
    );
    return session.body.id;
  };
  const turnEnds = async (id: string) =>
    (await events(id)).filter((e) => e.turn_id && (e.type === "session.status_idle" || e.type === "session.error")).length;
  /** Posts a message and waits for its turn to end; returns the turn's events. */
  const runTurn = async (id: string, text: string, attachments: unknown[] = []): Promise<SessionEvent[]> => {
    const before = (await events(id)).length;
    const ended = await turnEnds(id);
    const body = attachments.length ? { content: [{ type: "text", text }, ...attachments] } : { text };
    expect((await api("POST", `/api/sessions/${id}/messages`, body)).status).toBe(202);
    await waitFor(`the turn "${text}" to end`, async () => (await turnEnds(id)) > ended, 180_000);
    return (await events(id)).slice(before);
  };
  const deltasSoFar = async (id: string) =>
    (await api<{ data: SessionEvent[] }>("GET", `/api/sessions/${id}/events?limit=1000&deltas=true`)).body.data.filter(
      (e) => e.type === "agent.message_delta",
    );

  requires(BWRAP_MISSING).describe(`${harness} on a local sandbox: LAP or the sandbox killed mid-turn`, () => {
    beforeAll(async () => {
      model = startScriptedModel({ models: [UPSTREAM], apiKey: PROVIDER_KEY });
      dataDir = mkdtempSync(join(tmpdir(), `lap-cli-restart-${harness}-`));
      const gateway = join(dataDir, "gateway.yaml");
      writeFileSync(
        gateway,
        `model_list:\n  - model_name: claude-scripted\n    litellm_params: { model: anthropic/${UPSTREAM}, api_base: "${model.url}", api_key: ${PROVIDER_KEY} }\n  - model_name: gpt-scripted\n    litellm_params: { model: openai/${UPSTREAM}, api_base: "${model.url}/v1", api_key: ${PROVIDER_KEY} }\n`,
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
        const db = await freshPostgresUrl("lap_cli_restart");
        env.DATABASE_URL = db.url;
        dropDb = db.drop;
      }
    }, 60_000);

    afterEach(async () => {
      if (lap && lap.child.exitCode === null) await lap.kill9();
      model.releaseHangs();
      killMarked(dataDir);
    });

    afterAll(async () => {
      killMarked(dataDir);
      await model?.stop();
      await dropDb?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test(`${harness}: LAP SIGKILLed mid-reply and started again within the grace period: the same sandbox finishes the reply in the same seq stream, gapless, nothing twice, one session.recovered`, async () => {
      await startLap(90);
      const id = await newSession();
      model.setScript([{ when: "tell me slowly", steps: [{ kind: "hang", text: "Let me think about this slowly" }] }]);
      const stream = await fetch(`${base}/api/sessions/${id}/stream?after=0`, { headers: { authorization: `Bearer ${KEY}` } });
      expect((await api("POST", `/api/sessions/${id}/messages`, { text: "please tell me slowly" })).status).toBe(202);
      const before = await readSse(stream, (seen) => seen.some((e) => e.type === "agent.message_delta"), 120_000);
      const sandbox = sandboxProcesses();
      expect(sandbox.length).toBeGreaterThanOrEqual(3);
      await lap!.kill9();
      // The provider's answer once the harness asks again (LAP's restart cut the first call).
      model.releaseHangs();
      model.setScript([{ when: "tell me slowly", steps: [{ kind: "text", text: "complete answer" }] }]);
      // LAP stays down a while, as a restart on a busy machine does (PGlite's start alone can take 20 s):
      // longer than Codex's default retries last (docs/sessions.md).
      await Bun.sleep(LAP_DOWN_MS);
      expect(sandbox.filter((pid) => !isRunning(pid))).toEqual([]);

      await startLap(90);
      const after = await readSse(
        await fetch(`${base}/api/sessions/${id}/stream`, {
          headers: { authorization: `Bearer ${KEY}`, "last-event-id": String(before.at(-1)!.seq) },
        }),
        turnEnded,
        180_000,
      );
      const stored = await events(id);
      const seen = [...before, ...after];
      expect(seen.map((e) => e.seq)).toEqual(seen.map((e) => e.seq).sort((a, b) => a - b));
      expect(new Set(seen.map((e) => e.seq)).size).toBe(seen.length);
      expect(seen.filter((e) => e.type !== "agent.message_delta").map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
      const turn = stored.filter((e) => e.turn_id);
      expect(turn.at(-1)).toMatchObject({ type: "session.status_idle", data: { stop_reason: { type: "end_turn" } } });
      expect(stored.filter((e) => e.type === "session.recovered")).toHaveLength(1);
      expect(stored.filter((e) => e.type === "session.error")).toEqual([]);
      // Live, the cut attempt's pieces came first, then (unless it reached the store with the message that
      // replaced it) the CLI's retry as a delta marked `restarted`, then the answer. Stored, the turn has
      // ONE message holding only the answer: the cut attempt's text is not glued to it.
      const pieces = seen.filter((e) => e.type === "agent.message_delta");
      const restartedAt = pieces.findIndex((e) => e.data.restarted);
      const live = pieces
        .slice(0, restartedAt < 0 ? undefined : restartedAt)
        .map((e) => String(e.data.text))
        .join("");
      // Without the marker (it reached the store in one batch with the answer), the answer's pieces follow
      // the cut attempt's directly: what came before them is the cut attempt.
      const cut = restartedAt < 0 && live.endsWith("complete answer") ? live.slice(0, -"complete answer".length) : live;
      expect(cut.length).toBeGreaterThan(0);
      expect("Let me think about this slowly".slice(0, cut.length)).toBe(cut);
      expect(texts(turn)).toEqual(["complete answer"]);
      expect(sandbox.filter((pid) => !isRunning(pid))).toEqual([]);
    }, 400_000);

    test(`${harness}: the sandbox killed mid-turn under a running LAP: the turn ends interrupted (sandbox_lost) with a session.error saying why, never end_turn; the history is intact and the next turn, in a new sandbox, has it, its image as an image`, async () => {
      await startLap(90);
      const id = await newSession();
      model.setScript([
        { when: "remember the word", steps: [{ kind: "text", text: "Noted: quokka." }] },
        { when: "take your time", steps: [{ kind: "hang", text: "Working on it slowly" }] },
        { when: "which word", steps: [{ kind: "text", text: "The word was quokka." }] },
      ]);
      // With an image: the CLI in the next sandbox gets it again as an image, not only as text.
      const first = await runTurn(id, "please remember the word quokka", [imageBlock()]);
      expect(first.at(-1)!.data.stop_reason).toEqual({ type: "end_turn" });
      const history = await events(id);

      expect((await api("POST", `/api/sessions/${id}/messages`, { text: "take your time with this one" })).status).toBe(202);
      await waitFor("the reply to start", async () => (await deltasSoFar(id)).length > 0, 120_000);
      const [box] = (await api<{ data: { pid: number | null }[] }>("GET", `/api/sandboxes?session_id=${id}`)).body.data;
      // The whole jail, as the OOM killer or a host reboot would leave it: nothing of it runs on.
      for (const pid of withDescendants(box!.pid!)) killIfRunning(pid);
      await waitFor("the cut turn to end", async () => (await turnEnds(id)) > 1, 60_000);
      model.releaseHangs();

      const stored = await events(id);
      expect(stored.slice(0, history.length)).toEqual(history);
      const cut = stored.slice(history.length);
      expect(cut.at(-1)).toMatchObject({
        type: "session.status_idle",
        data: { stop_reason: { type: "interrupted", reason: "sandbox_lost" }, incomplete: true },
      });
      expect(cut.at(-2)).toMatchObject({ type: "session.error", data: { error: { type: "turn_lost", reason: "sandbox_lost" } } });
      expect(cut.filter((e) => e.type === "session.recovered")).toHaveLength(1);
      expect(cut.filter((e) => e.type === "agent.message").map((e) => e.data.incomplete)).toEqual([true]);
      expect(JSON.stringify(cut)).not.toContain("end_turn");
      expect((await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status).toBe("idle");

      const asked = model.requests.length;
      const next = await runTurn(id, "which word did I ask you to remember?");
      expect(next.at(-1)!.data.stop_reason).toEqual({ type: "end_turn" });
      expect(texts(next)).toEqual(["The word was quokka."]);
      // The CLI in the new sandbox was given the conversation, the lost turn included.
      const call = model.requests.slice(asked).find((c) => c.tools.length > 0);
      expect(call?.transcript).toContain("please remember the word quokka");
      expect(call?.transcript).toContain("take your time with this one");
      expect(call?.transcript).toContain("[attached image: image/png]");
      expect(call?.media.map((m) => [m.mediaType, m.data])).toContainEqual(["image/png", PNG_1X1]);
      expect((await events(id)).filter((e) => e.type === "session.recovered")).toHaveLength(1);
    }, 400_000);
  });
}
