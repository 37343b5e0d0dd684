// Tool approvals with the real Codex CLI (`codex app-server`) against the scripted model (standing for
// the LLM provider): a listed tool ends the turn with requires_action while the same Codex process
// waits; the confirmation turn answers it. The approval rows LAP writes are covered in approvals.api.test.ts.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { adapterSessions, replyText, toolResults, toolUses } from "../../../test/support/adapter-sessions.ts";
import { approvalKind, needsApproval } from "./approvals.ts";
import { contentText, type HarnessEvent } from "../types.ts";
import { CodexAdapter } from "./index.ts";

const { session, model: scripted } = adapterSessions("codex-approvals", (config) => new CodexAdapter(config));

test("LAP's tool names map to what Codex asks about: bash = commands, write/edit = file changes", () => {
  expect(approvalKind("item/commandExecution/requestApproval")).toBe("command");
  expect(approvalKind("item/fileChange/requestApproval")).toBe("file_change");
  expect(approvalKind("item/tool/requestUserInput")).toBeUndefined();
  expect(needsApproval("command", new Set(["bash"]))).toBe(true);
  expect(needsApproval("file_change", new Set(["bash"]))).toBe(false);
  expect(needsApproval("file_change", new Set(["edit"]))).toBe(true);
  expect(needsApproval("file_change", new Set(["write"]))).toBe(true);
  expect(needsApproval("command", new Set(["write", "read"]))).toBe(false);
});

describe("codex asks before a listed tool (real codex CLI)", () => {
  test("bash listed: a file change runs without asking; the command ends the turn requires_action and does not run; allow runs it in the same process and its result streams in the confirmation turn", async () => {
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
    const [change, command] = toolUses(first.events);
    expect(change).toMatchObject({ name: "file_change", evaluated_permission: "allow" });
    expect(readFileSync(join(workspace, "free.txt"), "utf8")).toContain("no approval needed");
    expect(command).toMatchObject({ name: "command_execution", evaluated_permission: "ask" });
    expect(first.events.at(-1)).toEqual({
      type: "session.status_idle",
      stop_reason: { type: "requires_action", event_ids: [command!.id] },
    });
    expect(toolResults(first.events).map((r) => r.tool_use_id)).toEqual([change!.id]);
    // Waiting costs nothing: the command has not run, and Codex stays up.
    await Bun.sleep(500);
    expect(existsSync(join(workspace, "guarded.txt"))).toBe(false);
    const pid = adapter.pid();
    expect(pid).toBeGreaterThan(0);

    const streamed: HarnessEvent[] = [];
    const second = await adapter.confirm({ tool_use_id: command!.id, result: "allow" }, (e) => streamed.push(e));
    expect(second.outcome).toBe("end_turn");
    expect(adapter.pid()).toBe(pid);
    expect(existsSync(join(workspace, "guarded.txt"))).toBe(true);
    expect(streamed[0]).toEqual({ type: "session.status_running" });
    expect(toolResults(second.events)).toEqual([expect.objectContaining({ tool_use_id: command!.id, is_error: false })]);
    expect(contentText(toolResults(second.events)[0]!.content)).toContain("guarded-command-ran");
    expect(replyText(second.events)).toContain("The guarded job is done.");
    expect(second.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
  }, 120_000);

  test("a read-only command asks too (`ls`: every command asks under the untrusted policy)", async () => {
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
    expect(toolUses(first.events)).toEqual([expect.objectContaining({ name: "command_execution", evaluated_permission: "ask" })]);
    expect(toolResults(first.events)).toEqual([]);
  }, 120_000);

  test("deny with a message: the command does not run and the model's next request carries the message; a decision on no waiting call is an error", async () => {
    const { adapter, workspace } = session(["bash"]);
    scripted().setScript([
      {
        when: "risky job",
        steps: [
          { kind: "run", command: "echo ran > risky.txt" },
          { kind: "text", text: "ran it" },
        ],
      },
      // Codex's refusal tells the model only "rejected by user"; the person's reason arrives as a user
      // message in the same turn (turn/steer), so the reply answers that.
      { when: "not on this machine", steps: [{ kind: "text", text: "Understood, I will not run it." }] },
    ]);
    const first = await adapter.send("Please do the risky job.");
    expect(first.outcome).toBe("requires_action");
    const [command] = toolUses(first.events);
    const before = scripted().requests.length;
    const second = await adapter.confirm({
      tool_use_id: command!.id,
      result: "deny",
      deny_message: "not on this machine, use the staging box",
    });
    expect(second.outcome).toBe("end_turn");
    expect(existsSync(join(workspace, "risky.txt"))).toBe(false);
    const [result] = toolResults(second.events);
    expect(result).toMatchObject({ tool_use_id: command!.id, is_error: true });
    expect(contentText(result!.content)).toContain("not on this machine, use the staging box");
    expect(scripted().requests.slice(before).at(-1)!.transcript).toContain("not on this machine, use the staging box");
    expect(replyText(second.events)).toContain("Understood, I will not run it.");

    const again = await adapter.confirm({ tool_use_id: command!.id, result: "allow" });
    expect(again.outcome).toBe("error");
    expect(again.events.at(-1)).toMatchObject({
      type: "session.error",
      error: { code: "harness_failed", message: `no tool call ${command!.id} is waiting for a decision` },
    });
    expect(existsSync(join(workspace, "risky.txt"))).toBe(false);
  }, 120_000);

  test("edit listed: the file change asks and is not written until allowed; a command runs without asking", async () => {
    const { adapter, workspace } = session(["edit"]);
    scripted().setScript([
      {
        when: "edit job",
        steps: [
          { kind: "run", command: "echo ran > free-command.txt" },
          { kind: "write_file", path: join(workspace, "guarded.txt"), content: "written after approval" },
          { kind: "text", text: "Edited." },
        ],
      },
    ]);
    const first = await adapter.send("Please do the edit job.");
    expect(first.outcome).toBe("requires_action");
    const [command, change] = toolUses(first.events);
    expect(command).toMatchObject({ name: "command_execution", evaluated_permission: "allow" });
    expect(existsSync(join(workspace, "free-command.txt"))).toBe(true);
    expect(change).toMatchObject({ name: "file_change", evaluated_permission: "ask" });
    expect(existsSync(join(workspace, "guarded.txt"))).toBe(false);
    const second = await adapter.confirm({ tool_use_id: change!.id, result: "allow" });
    expect(second.outcome).toBe("end_turn");
    expect(readFileSync(join(workspace, "guarded.txt"), "utf8")).toContain("written after approval");
    expect(replyText(second.events)).toContain("Edited.");
  }, 120_000);

  test("a new message instead of a decision refuses the waiting call in the new turn; the command never runs", async () => {
    const { adapter, workspace } = session(["bash"]);
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
    const [command] = toolUses(first.events);
    const next = await adapter.send("Never mind, do something else.");
    expect(next.outcome).toBe("end_turn");
    expect(toolResults(next.events)).toEqual([expect.objectContaining({ tool_use_id: command!.id, is_error: true })]);
    expect(replyText(next.events)).toContain("Doing something else.");
    expect(next.events.filter((e) => e.type === "session.status_idle")).toHaveLength(1);
    expect(existsSync(join(workspace, "pending.txt"))).toBe(false);
    expect((await adapter.confirm({ tool_use_id: command!.id, result: "allow" })).outcome).toBe("error");
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
    const [command] = toolUses(first.events);
    await adapter.interrupt();
    expect((await adapter.confirm({ tool_use_id: command!.id, result: "allow" })).outcome).toBe("error");
    await Bun.sleep(500);
    expect(existsSync(join(workspace, "stopped.txt"))).toBe(false);
    const next = await adapter.send("now say hello");
    expect(next.outcome).toBe("end_turn");
    expect(replyText(next.events)).toContain("hello after the interrupt");
    expect(next.events.filter((e) => e.type === "session.status_idle")).toHaveLength(1);
  }, 120_000);
});

describe("parallel calls (real codex CLI)", () => {
  test("two listed commands in one response: each waits for its own decision, none is lost or run unasked, and the turn ends once both are answered", async () => {
    const { adapter, workspace } = session(["bash"]);
    scripted().setScript([
      {
        when: "do both",
        steps: [
          {
            kind: "parallel",
            actions: [
              { kind: "run", command: "echo a > a.txt" },
              { kind: "run", command: "echo b > b.txt" },
            ],
          },
          { kind: "text", text: "Both done." },
        ],
      },
    ]);
    let result = await adapter.send("Please do both.");
    const turns = [result];
    const decided: string[] = [];
    // Answer whatever is waiting, one decision per turn, until the agent is done (bounded).
    while (result.outcome === "requires_action" && turns.length < 5) {
      const idle = result.events.at(-1)!;
      if (idle.type !== "session.status_idle" || idle.stop_reason.type !== "requires_action") throw new Error("expected requires_action");
      const next = idle.stop_reason.event_ids.find((id) => !decided.includes(id))!;
      // Nothing runs before its decision.
      expect(existsSync(join(workspace, "a.txt")) && existsSync(join(workspace, "b.txt"))).toBe(false);
      decided.push(next);
      result = await adapter.confirm({ tool_use_id: next, result: "allow" });
      turns.push(result);
    }
    expect(result.outcome).toBe("end_turn");
    const all = turns.flatMap((t) => t.events);
    const uses = toolUses(all);
    expect(uses.map((u) => u.evaluated_permission)).toEqual(["ask", "ask"]);
    expect(decided.sort()).toEqual(uses.map((u) => u.id).sort());
    expect(
      toolResults(all)
        .map((r) => r.tool_use_id)
        .sort(),
    ).toEqual(uses.map((u) => u.id).sort());
    expect(existsSync(join(workspace, "a.txt")) && existsSync(join(workspace, "b.txt"))).toBe(true);
    expect(replyText(all)).toContain("Both done.");
    for (const t of turns) expect(t.events.filter((e) => e.type === "session.status_idle" || e.type === "session.error")).toHaveLength(1);
  }, 120_000);
});
