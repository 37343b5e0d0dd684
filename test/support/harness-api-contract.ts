// One real harness CLI (opencode, Claude Code or Codex) used exactly as a user uses it, through LAP's
// HTTP API: an agent with that harness and a gateway model on the built-in local-sandbox runtime, a
// session, messages. The CLI runs in a bubblewrap sandbox under the supervisor; its model calls go
// through LAP's gateway with the session key to the scripted model (standing for the LLM provider).
// One LAP and one session per harness file: starting a harness is the slow part.
import { afterAll, beforeAll, test as bunTest, expect } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { HarnessName } from "../../harness/adapters/types.ts";
import { sessionEventData } from "../../schema/session-events.ts";
import { describeToolCall } from "../../ui/src/lib/tool-calls.ts";
import { platformToolsTests } from "./harness-platform-tools.ts";
import { BWRAP_MISSING, firstMissing, OPENCLAW_MISSING, requires } from "./skip.ts";
import {
  descendants,
  GATEWAY_MODELS,
  type LapUnderTest,
  MASTER_KEY,
  PROVIDER_KEY,
  readSse,
  type StoredEvent,
  startLapWithScriptedModel,
  UPSTREAM_MODEL,
  waitFor as waitForBase,
} from "./lap-api.ts";

/** The wire format each CLI speaks, hence the gateway model its agent uses, and its binary's name. */
const HARNESS: Record<HarnessName, { model: string; binary: string }> = {
  opencode: { model: GATEWAY_MODELS.openai, binary: "opencode" },
  "claude-code": { model: GATEWAY_MODELS.anthropic, binary: "claude" },
  codex: { model: GATEWAY_MODELS.openai, binary: "codex" },
  // DeepAgents is a library: its process is LAP's Bun running the adapter's runner, named deepagents.
  deepagents: { model: GATEWAY_MODELS.openai, binary: "deepagents" },
  // OpenClaw's ACP bridge (the process a turn talks to) runs on OpenClaw's Node, named openclaw-acp.
  openclaw: { model: GATEWAY_MODELS.openai, binary: "openclaw-acp" },
};

const replyText = (events: StoredEvent[]) =>
  events
    .filter((e) => e.type === "agent.message")
    .map((e) => ((e.data.content as { text?: string }[] | undefined) ?? []).map((part) => part.text ?? "").join(""))
    .join("");

export function harnessApiSuite(harness: HarnessName): void {
  const { model: agentModel, binary } = HARNESS[harness];
  // OpenClaw's Gateway starts in ~10 s on an idle machine but took up to 3 min under load: its waits are longer.
  const slow = harness === "openclaw" ? 4 : 1;
  const test = (name: string, fn: () => Promise<void>, ms: number) => bunTest(name, fn, ms * slow);
  const waitFor = (what: string, check: () => unknown, ms = 30_000) => waitForBase(what, check, ms * slow);
  let t: LapUnderTest;
  let sessionId = "";
  /** Upstream requests before this file's session started: everything after is this session's. */
  let upstreamAtStart = 0;

  const session = async (id: string) => (await t.api<{ status: string; error?: string | null }>("GET", `/api/sessions/${id}`)).body;
  const turnEnds = async (id: string) =>
    (await t.events(id)).filter((e) => e.type === "session.status_idle" || e.type === "session.error").length;
  /** Posts a message and waits for the turn it starts to end; returns that turn's events. */
  const runTurn = async (id: string, text: string, ms = 120_000): Promise<StoredEvent[]> => {
    const ended = await turnEnds(id);
    const before = (await t.events(id)).length;
    expect((await t.api("POST", `/api/sessions/${id}/messages`, { text })).status).toBe(202);
    await waitFor(`${harness}: the turn "${text}" to end`, async () => (await turnEnds(id)) > ended, ms).catch(async (err) => {
      console.error(harness, JSON.stringify((await t.events(id)).slice(before).map((e) => [e.type, JSON.stringify(e.data).slice(0, 300)])));
      throw err;
    });
    return (await t.events(id)).slice(before);
  };
  const sessionOf = async (agentId: string) => {
    const created = await t.api<{ id: string }>("POST", "/api/sessions", { agent_id: agentId });
    expect(created.status).toBe(201);
    await waitFor("the session to be idle", async () => (await session(created.body.id)).status === "idle", 60_000);
    return created.body.id;
  };
  const newSession = async (name: string, model: string) => {
    const agent = await t.api<{ id: string }>("POST", "/api/agents", { name, model, runtime_id: "rt_local_sandbox", harness });
    expect(agent.status).toBe(201);
    return sessionOf(agent.body.id);
  };

  // OpenClaw has an install of its own (node scripts/bootstrap.mjs openclaw).
  const missing = firstMissing(BWRAP_MISSING, harness === "openclaw" ? OPENCLAW_MISSING : null);
  requires(missing).describe(`${harness} through LAP's sessions API`, () => {
    beforeAll(async () => {
      t = await startLapWithScriptedModel();
      upstreamAtStart = t.model.requests.length;
      sessionId = await newSession(`${harness}-coder`, agentModel);
    }, 90_000 * slow);

    afterAll(async () => {
      t?.model.releaseHangs();
      await t?.stop();
    }, 60_000);

    test(`${harness}: writes a file and runs a command in the workspace; events stream in order in LAP's format; spend on the session key; a second turn sees the first`, async () => {
      t.model.setScript([
        {
          when: "write report.md",
          steps: [
            { kind: "write_file", path: "/workspace/report.md", content: `# report by ${harness}`, thinking: "Write the file first." },
            // Outside the workspace too (/tmp): no harness may stop to ask for permission nobody can give.
            { kind: "run", command: "wc -c /workspace/report.md && uname -n && ls /tmp > /dev/null && echo command-ran" },
            { kind: "text", text: "report.md is written and counted." },
          ],
        },
        { when: "what did I ask", steps: [{ kind: "text", text: "You asked me to write report.md." }] },
      ]);
      const lastSeq = (await t.events(sessionId)).at(-1)?.seq ?? 0;
      // A dashboard tab following the session over SSE while the turn runs.
      const sse = readSse(`${t.lap.url}/api/sessions/${sessionId}/stream?after=${lastSeq}`, MASTER_KEY, (seen) =>
        seen.some((e) => e.type === "session.status_idle" || e.type === "session.error"),
      );
      const turn = await runTurn(sessionId, "Please write report.md and count its bytes.");
      const types = turn.map((e) => e.type);

      // The file is in the session's workspace on the host.
      const [box] = (await t.api<{ data: { workspace_id: string }[] }>("GET", `/api/sandboxes?session_id=${sessionId}`)).body.data;
      const file = join(t.dataDir, "workspaces", box!.workspace_id, "report.md");
      expect(existsSync(file)).toBe(true);
      // opencode writes through apply_patch for gpt-* models, which ends the file with a newline.
      expect(readFileSync(file, "utf8").trimEnd()).toBe(`# report by ${harness}`);

      // Every event is one of LAP's normalized events, in a turn's order.
      for (const e of turn) expect(sessionEventData.safeParse({ ...e.data, type: e.type }).success).toBe(true);
      expect(types[0]).toBe("user.message");
      expect(types[1]).toBe("session.status_running");
      expect(types.at(-1)).toBe("session.status_idle");
      expect(turn.at(-1)!.data.stop_reason).toMatchObject({ type: "end_turn" });
      expect(types).not.toContain("session.error");
      const uses = turn.filter((e) => e.type === "agent.tool_use");
      const results = turn.filter((e) => e.type === "agent.tool_result");
      expect(uses.length).toBeGreaterThanOrEqual(2);
      expect(results.length).toBe(uses.length);
      for (const result of results) {
        const use = uses.find((u) => u.data.id === result.data.tool_use_id);
        expect(use).toBeDefined();
        expect(use!.seq).toBeLessThan(result.seq);
      }
      expect(types.lastIndexOf("agent.message")).toBeGreaterThan(types.lastIndexOf("agent.tool_result"));
      expect(replyText(turn)).toContain("report.md is written and counted.");
      // The provider sends the reply in 12-character pieces: they stream as deltas and are stored as ONE
      // agent.message (docs/sessions.md "Messages and deltas"), which replaced them.
      expect(
        turn.filter((e) => e.type === "agent.message" && JSON.stringify(e.data).includes("report.md is written and counted.")).length,
      ).toBe(1);
      expect(types).not.toContain("agent.message_delta");
      expect(JSON.stringify(results.map((r) => r.data.content))).toContain("command-ran");
      // The command ran inside the bubblewrap sandbox (its own UTS namespace), not on the host.
      expect(JSON.stringify(results.map((r) => r.data.content))).toContain("lap-sandbox");
      // The dashboard renders each of these tool calls as a diff or a command with its output, never raw JSON.
      const views = uses.map((use) =>
        describeToolCall(use.data as { name: string; input?: unknown }, results.find((r) => r.data.tool_use_id === use.data.id)?.data),
      );
      expect(views.map((view) => view.kind)).not.toContain("other");
      expect(views.some((view) => view.kind === "command" && view.output.includes("command-ran"))).toBe(true);
      expect(views.some((view) => view.kind === "file" && view.path.endsWith("report.md"))).toBe(true);

      // The SSE stream carried the same events in the same order (the user's message came before it opened),
      // and besides them only the deltas the stored message replaced.
      const streamed = await sse.events;
      expect(streamed.filter((e) => e.type !== "agent.message_delta").map((e) => e.seq)).toEqual(turn.map((e) => e.seq));
      expect(streamed.map((e) => e.seq).every((seq, i, all) => i === 0 || seq > all[i - 1]!)).toBe(true);

      // Upstream saw the provider's key and model only; the session key never left LAP.
      const upstream = t.model.requests.slice(upstreamAtStart);
      expect(upstream.length).toBeGreaterThanOrEqual(3);
      expect(new Set(upstream.map((call) => call.authorization))).toEqual(new Set([PROVIDER_KEY]));
      expect(new Set(upstream.map((call) => call.model))).toEqual(new Set([UPSTREAM_MODEL]));

      const second = await runTurn(sessionId, "Thanks. what did I ask you before?");
      expect(second.at(-1)!.type).toBe("session.status_idle");
      expect(replyText(second)).toContain("You asked me to write report.md.");
      const calls = t.model.requests.slice(upstreamAtStart);
      // The harness sent the first turn along with the second: it keeps its own conversation.
      expect(calls.find((call) => call.lastUserText.includes("what did I ask") && call.tools.length > 0)?.transcript).toContain(
        "Please write report.md",
      );

      // Every call (titles and side calls included) is costed against this session's key, as the agent's model.
      type SpendRow = { model_group: string; key_alias: string; session_id: string; status: string };
      const spend = async () => (await t.api<SpendRow[]>("GET", `/spend/logs?session_id=${sessionId}`)).body ?? [];
      await waitFor("spend rows", async () => (await spend()).length >= calls.length, 10_000);
      const rows = await spend();
      expect(rows.length).toBe(calls.length);
      for (const row of rows)
        expect(row).toMatchObject({ model_group: agentModel, key_alias: `session-${sessionId}`, session_id: sessionId, status: "success" });
    }, 300_000);

    test(`${harness}: POST /interrupt mid-turn ends the turn as interrupted; the next message works`, async () => {
      t.model.setScript([
        { when: "take your time", steps: [{ kind: "hang", text: "Thinking it over" }] },
        { when: "say ready", steps: [{ kind: "text", text: "ready again" }] },
      ]);
      const before = t.model.requests.length;
      const ended = await turnEnds(sessionId);
      expect((await t.api("POST", `/api/sessions/${sessionId}/messages`, { text: "take your time on this one" })).status).toBe(202);
      await waitFor(
        "the model call to hang",
        () => t.model.requests.slice(before).some((call) => call.lastUserText.includes("take your time") && call.tools.length > 0),
        60_000,
      );
      expect((await session(sessionId)).status).toBe("running");
      const interrupted = await t.api<{ interrupted: boolean }>("POST", `/api/sessions/${sessionId}/interrupt`);
      expect(interrupted).toEqual({ status: 200, body: { interrupted: true } });
      await waitFor("the interrupted turn to end", async () => (await turnEnds(sessionId)) > ended, 20_000);
      const end = (await t.events(sessionId)).filter((e) => e.type === "session.status_idle" || e.type === "session.error").at(-1)!;
      expect(end.type).toBe("session.status_idle");
      expect(end.data.stop_reason).toMatchObject({ type: "interrupted" });
      t.model.releaseHangs();

      const next = await runTurn(sessionId, "now say ready");
      expect(next.at(-1)!.type).toBe("session.status_idle");
      expect(replyText(next)).toContain("ready again");
      expect((await session(sessionId)).status).toBe("idle");
    }, 240_000);

    test(`${harness}: the CLI killed inside the sandbox mid-turn is a clear session.error, never stuck running; the next message picks the conversation up`, async () => {
      t.model.setScript([
        { when: "hang now", steps: [{ kind: "hang" }] },
        { when: "which file", steps: [{ kind: "text", text: "It was report.md." }] },
      ]);
      const before = t.model.requests.length;
      const ended = await turnEnds(sessionId);
      expect((await t.api("POST", `/api/sessions/${sessionId}/messages`, { text: "hang now please" })).status).toBe(202);
      await waitFor(
        "the model call to hang",
        () => t.model.requests.slice(before).some((call) => call.lastUserText.includes("hang now") && call.tools.length > 0),
        60_000,
      );
      const [box] = (await t.api<{ data: { pid: number | null }[] }>("GET", `/api/sandboxes?session_id=${sessionId}`)).body.data;
      const clis = descendants(box!.pid!).filter((p) => basename(p.argv[0] ?? "") === binary);
      expect(clis.length).toBeGreaterThanOrEqual(1);
      for (const cli of clis) process.kill(cli.pid, "SIGKILL");
      await waitFor("the crashed turn to end", async () => (await turnEnds(sessionId)) > ended, 30_000);
      t.model.releaseHangs();
      const error = (await t.events(sessionId)).filter((e) => e.type === "session.status_idle" || e.type === "session.error").at(-1)!;
      expect(error.type).toBe("session.error");
      expect(error.data.error).toMatchObject({ code: "harness_crashed" });
      const message = String((error.data.error as { message: string }).message);
      expect(message).toContain(binary);
      expect(message).toContain("exited mid-turn");
      await waitFor("the session to leave running", async () => (await session(sessionId)).status === "idle", 10_000);

      const after = t.model.requests.length;
      const next = await runTurn(sessionId, "which file did you write for me earlier?");
      expect(next.at(-1)!.type).toBe("session.status_idle");
      expect(replyText(next)).toContain("It was report.md.");
      // The restarted CLI resumed its own conversation: the first turn is in what it sent.
      expect(t.model.requests.slice(after).find((call) => call.tools.length > 0)?.transcript).toContain("Please write report.md");
    }, 240_000);

    test(`${harness}: a model the gateway does not know is refused at creation, and one removed since is a clear session.error naming it; nothing is sent upstream`, async () => {
      const refused = await t.api<{ error: { fields?: { field: string; message: string }[] } }>("POST", "/api/agents", {
        name: `${harness}-unknown`,
        model: "no-such-model",
        runtime_id: "rt_local_sandbox",
        harness,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.fields?.[0]).toMatchObject({ field: "model" });
      expect(refused.body.error.fields?.[0]?.message).toContain("no-such-model");

      // A model the agent was created with, then removed from the gateway.
      const anthropic = agentModel === GATEWAY_MODELS.anthropic;
      const params = {
        model: `${anthropic ? "anthropic" : "openai"}/${UPSTREAM_MODEL}`,
        api_base: anthropic ? t.model.url : `${t.model.url}/v1`,
        api_key: PROVIDER_KEY,
      };
      const added = await t.api<{ model_info: { id: string } }>("POST", "/model/new", {
        model_name: `${harness}-soon-gone`,
        litellm_params: params,
      });
      expect(added.status).toBe(200);
      const id = await newSession(`${harness}-misconfigured`, `${harness}-soon-gone`);
      expect((await t.api("POST", "/model/delete", { id: added.body.model_info.id })).status).toBe(200);
      const before = t.model.requests.length;
      const turn = await runTurn(id, "hello there");
      const end = turn.at(-1)!;
      expect(end.type).toBe("session.error");
      expect(end.data.error).toMatchObject({ code: "model_error" });
      expect(String((end.data.error as { message: string }).message)).toContain(`${harness}-soon-gone`);
      expect(turn.map((e) => e.type)).not.toContain("agent.message");
      // No silent fallback: the provider saw nothing at all.
      expect(t.model.requests.length).toBe(before);
      await waitFor("the session to leave running", async () => (await session(id)).status !== "running", 10_000);
    }, 180_000);

    platformToolsTests({ harness, lap: () => t, sessionId: () => sessionId, runTurn, sessionOf, slow });
  });
}
