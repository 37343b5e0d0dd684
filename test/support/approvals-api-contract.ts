/**
 * Tool approvals through LAP's HTTP API, the same for every CLI harness that asks: the real CLI in a
 * bubblewrap sandbox under the supervisor, its model calls through LAP's gateway to the scripted model
 * (standing for the LLM provider). The ask writes a pending approval row; a decision through
 * /api/approvals resumes the same CLI. Each harness's `approvals.api.test.ts` calls this with what
 * differs: its tool names and how its model reads a denial.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GATEWAY_MODELS, type LapUnderTest, type StoredEvent, startLapWithScriptedModel, waitFor } from "./lap-api.ts";
import type { ScriptRule } from "./scripted-model/script.ts";
import { BWRAP_MISSING, requires } from "./skip.ts";

export interface ApprovalsApiContract {
  harness: "claude-code" | "codex" | "opencode" | "deepagents";
  model: keyof typeof GATEWAY_MODELS;
  /** The tool names the harness reports for a file write (not listed) and a shell command (listed as bash). */
  tools: { write: string; bash: string };
  /**
   * The model's script for the deny test. By default the denial reaches the model as the tool's result
   * and its one rule answers; a harness that hands the reason over as a user message (Codex) adds a rule
   * for that message. Either way the model's answer ("Understood, not running it.") ends the turn.
   */
  denyScript?: ScriptRule[];
}

type Approval = {
  id: string;
  session_id: string;
  tool_use_id: string;
  tool_name: string;
  input: Record<string, unknown>;
  status: string;
  decided_by: string | null;
  message: string | null;
};

export function approvalsApiContract(c: ApprovalsApiContract) {
  requires(BWRAP_MISSING).describe(`${c.harness} asks before approval-required tools, through LAP's API`, () => {
    let t: LapUnderTest;
    let sessionId = "";
    let workspace = "";

    const turnEnds = async () => (await t.events(sessionId)).filter((e) => e.type === "session.status_idle" || e.type === "session.error");
    /** Runs `start` (a message or a decision) and waits for the turn it queues to end; returns that turn's events. */
    const turn = async (what: string, start: () => Promise<void>): Promise<StoredEvent[]> => {
      const ended = (await turnEnds()).length;
      const before = (await t.events(sessionId)).length;
      await start();
      await waitFor(`the turn "${what}" to end`, async () => (await turnEnds()).length > ended, 120_000).catch(async (err) => {
        console.error(JSON.stringify((await t.events(sessionId)).slice(before).map((e) => [e.type, JSON.stringify(e.data).slice(0, 300)])));
        throw err;
      });
      return (await t.events(sessionId)).slice(before);
    };
    const message = (text: string) =>
      turn(text, async () => expect((await t.api("POST", `/api/sessions/${sessionId}/messages`, { text })).status).toBe(202));
    const decide = (approval: Approval, body: { decision: "allow" | "deny"; message?: string }) =>
      turn(`${body.decision} ${approval.id}`, async () =>
        expect((await t.api("POST", `/api/approvals/${approval.id}/decision`, body)).status).toBe(200),
      );
    const approvals = async () => (await t.api<{ data: Approval[] }>("GET", `/api/approvals?session_id=${sessionId}`)).body.data;
    const replyText = (events: StoredEvent[]) =>
      events
        .filter((e) => e.type === "agent.message")
        .flatMap((e) => (e.data.content as { text?: string }[]).map((part) => part.text ?? ""))
        .join("");
    const resultText = (events: StoredEvent[], toolUseId: string) =>
      JSON.stringify(events.find((e) => e.type === "agent.tool_result" && e.data.tool_use_id === toolUseId)?.data.content ?? null);

    beforeAll(async () => {
      t = await startLapWithScriptedModel();
      const agent = await t.api<{ id: string }>("POST", "/api/agents", {
        name: `${c.harness}-asks`,
        model: GATEWAY_MODELS[c.model],
        runtime_id: "rt_local_sandbox",
        harness: c.harness,
        approval_required_tools: ["bash"],
      });
      expect(agent.status).toBe(201);
      const created = await t.api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
      expect(created.status).toBe(201);
      sessionId = created.body.id;
      await waitFor(
        "the session to be idle",
        async () => (await t.api<{ status: string }>("GET", `/api/sessions/${sessionId}`)).body.status === "idle",
        60_000,
      );
      const [box] = (await t.api<{ data: { workspace_id: string }[] }>("GET", `/api/sandboxes?session_id=${sessionId}`)).body.data;
      workspace = join(t.dataDir, "workspaces", box!.workspace_id);
    }, 90_000);

    afterAll(async () => {
      await t?.stop();
    }, 60_000);

    test("bash asks: the turn ends requires_action with a pending approval and the command not run; a tool not listed runs; allow runs it and the result streams in the confirmation turn", async () => {
      t.model.setScript([
        {
          when: "guarded job",
          steps: [
            { kind: "write_file", path: "/workspace/free.txt", content: "written without asking" },
            { kind: "run", command: "echo ran > /workspace/guarded.txt && echo guarded-command-ran" },
            { kind: "text", text: "The guarded job is done." },
          ],
        },
      ]);
      const asked = await message("Please do the guarded job.");
      const end = asked.at(-1)!;
      const uses = asked.filter((e) => e.type === "agent.tool_use");
      expect(uses.map((u) => [u.data.name, u.data.evaluated_permission])).toEqual([
        [c.tools.write, "allow"],
        [c.tools.bash, "ask"],
      ]);
      const bash = uses[1]!;
      expect(end.type).toBe("session.status_idle");
      expect(end.data.stop_reason).toEqual({ type: "requires_action", event_ids: [bash.data.id] });
      expect(readFileSync(join(workspace, "free.txt"), "utf8")).toContain("written without asking");
      expect(existsSync(join(workspace, "guarded.txt"))).toBe(false);
      const [approval] = await approvals();
      expect(approval).toMatchObject({ session_id: sessionId, tool_use_id: bash.data.id, tool_name: c.tools.bash, status: "pending" });
      expect(approval!.input.command).toContain("guarded.txt");

      const confirmed = await decide(approval!, { decision: "allow" });
      expect(confirmed[0]!.type).toBe("user.tool_confirmation");
      expect(confirmed.at(-1)!.data.stop_reason).toEqual({ type: "end_turn" });
      expect(resultText(confirmed, String(bash.data.id))).toContain("guarded-command-ran");
      expect(existsSync(join(workspace, "guarded.txt"))).toBe(true);
      expect(replyText(confirmed)).toContain("The guarded job is done.");
      expect((await approvals())[0]).toMatchObject({ status: "allowed", decided_by: "master key" });
    }, 240_000);

    test("deny with a message: the command does not run, the model reads the message and its reply ends the turn", async () => {
      t.model.setScript(
        c.denyScript ?? [
          {
            when: "risky job",
            steps: [
              { kind: "run", command: "echo ran > /workspace/risky.txt" },
              { kind: "text", text: "Understood, not running it." },
            ],
          },
        ],
      );
      const asked = await message("Please do the risky job.");
      expect(asked.at(-1)!.data.stop_reason).toMatchObject({ type: "requires_action" });
      const approval = (await approvals()).find((a) => a.status === "pending")!;
      const before = t.model.requests.length;
      const denied = await decide(approval, { decision: "deny", message: "not on this machine, use the staging box" });
      expect(denied.at(-1)!.data.stop_reason).toEqual({ type: "end_turn" });
      expect(existsSync(join(workspace, "risky.txt"))).toBe(false);
      expect(resultText(denied, approval.tool_use_id)).toContain("not on this machine, use the staging box");
      expect(t.model.requests.slice(before).at(-1)!.transcript).toContain("not on this machine, use the staging box");
      expect(replyText(denied)).toContain("Understood, not running it.");
      expect((await approvals()).find((a) => a.id === approval.id)).toMatchObject({
        status: "denied",
        message: "not on this machine, use the staging box",
      });
    }, 240_000);

    test("a new message instead of a decision refuses the call and expires the approval; the command never runs", async () => {
      t.model.setScript([
        {
          when: "pending job",
          steps: [
            { kind: "run", command: "echo ran > /workspace/pending.txt" },
            { kind: "text", text: "ran it" },
          ],
        },
        { when: "something else", steps: [{ kind: "text", text: "Doing something else." }] },
      ]);
      const asked = await message("Please do the pending job.");
      expect(asked.at(-1)!.data.stop_reason).toMatchObject({ type: "requires_action" });
      const approval = (await approvals()).find((a) => a.status === "pending")!;
      const next = await message("Never mind, do something else.");
      expect(next.at(-1)!.type).toBe("session.status_idle");
      expect(next.find((e) => e.type === "agent.tool_result")?.data).toMatchObject({ tool_use_id: approval.tool_use_id, is_error: true });
      expect((await approvals()).find((a) => a.id === approval.id)!.status).toBe("expired");
      expect(existsSync(join(workspace, "pending.txt"))).toBe(false);
    }, 240_000);
  });
}
