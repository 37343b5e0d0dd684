// Tool approvals with the real Claude Code CLI against the scripted model (standing for the LLM
// provider): a listed tool ends the turn with requires_action while the same CLI process waits; the
// confirmation turn answers it. The approval rows LAP writes are covered in approvals.api.test.ts.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { adapterSessions, replyText, toolResults, toolUses } from "../../../test/support/adapter-sessions.ts";
import { contentText, type HarnessEvent } from "../types.ts";
import { ClaudeCodeAdapter } from "./index.ts";
import { claudeAskRules, lapToolName, needsApproval } from "./permissions.ts";

const { session, model: scripted } = adapterSessions("claude-approvals", (config) => new ClaudeCodeAdapter(config));

test("LAP's tool names map to Claude Code's, MCP tools without the mcp__ prefix", () => {
  expect(lapToolName("Bash")).toBe("bash");
  expect(lapToolName("MultiEdit")).toBe("edit");
  expect(lapToolName("WebFetch")).toBe("web_fetch");
  expect(lapToolName("mcp__github__create_issue")).toBe("github__create_issue");
  const required = new Set(["bash", "github__create_issue", "Glob"]);
  expect(needsApproval("Bash", required)).toBe(true);
  expect(needsApproval("mcp__github__create_issue", required)).toBe(true);
  expect(needsApproval("Glob", required)).toBe(true);
  expect(needsApproval("Write", required)).toBe(false);
  expect(needsApproval("mcp__github__list_issues", required)).toBe(false);
  expect(claudeAskRules(["bash", "edit", "github__create_issue", "TodoWrite"]).sort()).toEqual(
    ["Bash", "Edit", "MultiEdit", "NotebookEdit", "TodoWrite", "bash", "edit", "github__create_issue", "mcp__github__create_issue"].sort(),
  );
});

describe("claude-code asks before a listed tool (real claude CLI)", () => {
  test("bash listed: Write runs without asking; Bash ends the turn requires_action and does not run; allow runs it in the same process and the reply streams in the confirmation turn", async () => {
    const { adapter, workspace } = session(["bash"]);
    scripted().setScript([
      {
        when: "guarded job",
        steps: [
          { kind: "write_file", path: join(workspace, "free.txt"), content: "no approval needed" },
          { kind: "run", command: "echo ran > guarded.txt && echo guarded-command-ran" },
          { kind: "text", text: "The guarded job is done." },
        ],
      },
    ]);
    const first = await adapter.send("Please do the guarded job.");
    expect(first.outcome).toBe("requires_action");
    const [write, bash] = toolUses(first.events);
    expect(write).toMatchObject({ name: "Write", evaluated_permission: "allow" });
    expect(existsSync(join(workspace, "free.txt"))).toBe(true);
    expect(bash).toMatchObject({ name: "Bash", evaluated_permission: "ask" });
    expect(first.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "requires_action", event_ids: [bash!.id] } });
    expect(toolResults(first.events).map((r) => r.tool_use_id)).toEqual([write!.id]);
    // Waiting costs nothing: the command has not run, and the CLI stays up.
    await Bun.sleep(500);
    expect(existsSync(join(workspace, "guarded.txt"))).toBe(false);
    const pid = adapter.pid();
    expect(pid).toBeGreaterThan(0);

    const streamed: HarnessEvent[] = [];
    const second = await adapter.confirm({ tool_use_id: bash!.id, result: "allow" }, (e) => streamed.push(e));
    expect(second.outcome).toBe("end_turn");
    expect(adapter.pid()).toBe(pid);
    expect(existsSync(join(workspace, "guarded.txt"))).toBe(true);
    expect(streamed[0]).toEqual({ type: "session.status_running" });
    expect(toolResults(second.events)).toEqual([expect.objectContaining({ tool_use_id: bash!.id, is_error: false })]);
    expect(contentText(toolResults(second.events)[0]!.content)).toContain("guarded-command-ran");
    expect(replyText(second.events)).toContain("The guarded job is done.");
    expect(second.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
  }, 120_000);

  test("a read-only command asks too (Claude Code's default mode would let `ls` through)", async () => {
    const { adapter } = session(["bash"]);
    scripted().setScript([
      {
        when: "list the files",
        steps: [
          { kind: "run", command: "ls" },
          { kind: "text", text: "listed" },
        ],
      },
    ]);
    const first = await adapter.send("Please list the files.");
    expect(first.outcome).toBe("requires_action");
    expect(toolUses(first.events)).toEqual([expect.objectContaining({ name: "Bash", evaluated_permission: "ask" })]);
    expect(toolResults(first.events)).toEqual([]);
  }, 120_000);

  test("deny with a message: the command does not run and the model reads the message; a decision on no waiting call is an error", async () => {
    const { adapter, workspace } = session(["bash"]);
    scripted().setScript([
      {
        when: "risky job",
        steps: [
          { kind: "run", command: "echo ran > risky.txt" },
          { kind: "text", text: "Understood, I will not run it." },
        ],
      },
    ]);
    const first = await adapter.send("Please do the risky job.");
    expect(first.outcome).toBe("requires_action");
    const [bash] = toolUses(first.events);
    const before = scripted().requests.length;
    const second = await adapter.confirm({
      tool_use_id: bash!.id,
      result: "deny",
      deny_message: "not on this machine, use the staging box",
    });
    expect(second.outcome).toBe("end_turn");
    expect(existsSync(join(workspace, "risky.txt"))).toBe(false);
    const [result] = toolResults(second.events);
    expect(result).toMatchObject({ tool_use_id: bash!.id, is_error: true });
    expect(contentText(result!.content)).toContain("not on this machine, use the staging box");
    expect(scripted().requests.slice(before).at(-1)!.transcript).toContain("not on this machine, use the staging box");
    expect(replyText(second.events)).toContain("Understood, I will not run it.");

    const again = await adapter.confirm({ tool_use_id: bash!.id, result: "allow" });
    expect(again.outcome).toBe("error");
    expect(again.events.at(-1)).toMatchObject({
      type: "session.error",
      error: { code: "harness_failed", message: `no tool call ${bash!.id} is waiting for a decision` },
    });
    expect(existsSync(join(workspace, "risky.txt"))).toBe(false);
  }, 120_000);

  test("several listed calls in one response: each waits for its own decision, and the turn ends once all are answered", async () => {
    const { adapter, workspace } = session(["read", "bash"]);
    await Bun.write(join(workspace, "a.txt"), "alpha-content");
    await Bun.write(join(workspace, "b.txt"), "beta-content");
    scripted().setScript([
      {
        when: "read both",
        steps: [
          {
            kind: "parallel",
            actions: [
              { kind: "call_tool", tool: "^Read$", arguments: { file_path: join(workspace, "a.txt") } },
              { kind: "call_tool", tool: "^Read$", arguments: { file_path: join(workspace, "b.txt") } },
            ],
          },
          { kind: "run", command: "echo ran > after.txt" },
          { kind: "text", text: "Both files read." },
        ],
      },
    ]);
    let result = await adapter.send("Please read both files.");
    const reads = toolUses(result.events);
    expect(reads.map((u) => [u.name, u.evaluated_permission])).toEqual([
      ["Read", "ask"],
      ["Read", "ask"],
    ]);
    // Claude Code checks both reads at once (read-only tools run in parallel): one turn waits for both.
    expect(result.events.at(-1)).toEqual({
      type: "session.status_idle",
      stop_reason: { type: "requires_action", event_ids: reads.map((r) => r.id) },
    });
    const turns = [result];
    const decided: string[] = [];
    // Answer whatever is waiting, one decision per turn, until the agent is done (bounded).
    while (result.outcome === "requires_action" && turns.length < 6) {
      const idle = result.events.at(-1)!;
      if (idle.type !== "session.status_idle" || idle.stop_reason.type !== "requires_action") throw new Error("expected requires_action");
      const next = idle.stop_reason.event_ids.find((id) => !decided.includes(id))!;
      decided.push(next);
      result = await adapter.confirm({ tool_use_id: next, result: "allow" });
      turns.push(result);
    }
    expect(result.outcome).toBe("end_turn");
    const all = turns.flatMap((t) => t.events);
    // Both reads and then the command each asked once and ran once they were allowed.
    const bash = toolUses(all).find((u) => u.name === "Bash")!;
    expect(decided.sort()).toEqual([reads[0]!.id, reads[1]!.id, bash.id].sort());
    const results = toolResults(all);
    expect(contentText(results.find((r) => r.tool_use_id === reads[0]!.id)!.content)).toContain("alpha-content");
    expect(contentText(results.find((r) => r.tool_use_id === reads[1]!.id)!.content)).toContain("beta-content");
    expect(existsSync(join(workspace, "after.txt"))).toBe(true);
    expect(replyText(all)).toContain("Both files read.");
    for (const t of turns) expect(t.events.filter((e) => e.type === "session.status_idle" || e.type === "session.error")).toHaveLength(1);
  }, 120_000);

  test("a new message instead of a decision refuses the waiting call in the new turn; the command never runs", async () => {
    const { adapter, workspace } = session(["Bash"]);
    scripted().setScript([
      {
        when: "pending job",
        steps: [
          { kind: "run", command: "echo ran > pending.txt" },
          { kind: "text", text: "ran it" },
        ],
      },
      { when: "something else", steps: [{ kind: "text", text: "Doing something else." }] },
    ]);
    const first = await adapter.send("Please do the pending job.");
    expect(first.outcome).toBe("requires_action");
    const [bash] = toolUses(first.events);
    const next = await adapter.send("Never mind, do something else.");
    expect(next.outcome).toBe("end_turn");
    expect(toolResults(next.events)).toEqual([expect.objectContaining({ tool_use_id: bash!.id, is_error: true })]);
    expect(next.events.filter((e) => e.type === "session.status_idle")).toHaveLength(1);
    expect(existsSync(join(workspace, "pending.txt"))).toBe(false);
    // The refused call is no longer waiting.
    expect((await adapter.confirm({ tool_use_id: bash!.id, result: "allow" })).outcome).toBe("error");
    expect(existsSync(join(workspace, "pending.txt"))).toBe(false);
  }, 120_000);

  test("an interrupt while a call waits refuses it; the session goes on", async () => {
    const { adapter, workspace } = session(["bash"]);
    scripted().setScript([
      {
        when: "stoppable job",
        steps: [
          { kind: "run", command: "echo ran > stopped.txt" },
          { kind: "text", text: "ran it" },
        ],
      },
      { when: "say hello", steps: [{ kind: "text", text: "hello after the interrupt" }] },
    ]);
    const first = await adapter.send("Please do the stoppable job.");
    expect(first.outcome).toBe("requires_action");
    const [bash] = toolUses(first.events);
    await adapter.interrupt();
    expect((await adapter.confirm({ tool_use_id: bash!.id, result: "allow" })).outcome).toBe("error");
    await Bun.sleep(500);
    expect(existsSync(join(workspace, "stopped.txt"))).toBe(false);
    const next = await adapter.send("now say hello");
    expect(next.outcome).toBe("end_turn");
    expect(next.events.filter((e) => e.type === "session.status_idle")).toHaveLength(1);
  }, 120_000);
});
