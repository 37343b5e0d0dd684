// Tool approvals with real DeepAgents (its human-in-the-loop middleware) against the scripted model
// (standing for the LLM provider): parallel asks, allow and deny in one interrupt, an interrupt or a
// crash while a call waits. The approval rows LAP writes are covered in approvals.api.test.ts.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { adapterSessions, replyText, toolResults, toolUses } from "../../../test/support/adapter-sessions.ts";
import { contentText, type TurnResult } from "../types.ts";
import { DeepAgentsAdapter } from "./index.ts";
import { interruptOn, lapToolName, needsApproval } from "./tools.ts";

const { session, model: scripted } = adapterSessions("deepagents-approvals", (config) => new DeepAgentsAdapter(config));

test("LAP's tool names cover DeepAgents' own: bash = execute, write = write_file, edit = edit_file", () => {
  expect(lapToolName("execute")).toBe("bash");
  expect(needsApproval("execute", new Set(["bash"]))).toBe(true);
  expect(needsApproval("execute", new Set(["execute"]))).toBe(true);
  expect(needsApproval("write_file", new Set(["bash"]))).toBe(false);
  expect(needsApproval("everything__echo", new Set(["everything__echo"]))).toBe(true);
  expect(interruptOn(new Set(["bash", "edit", "everything__echo"]), ["everything__echo", "everything__add"])).toEqual({
    execute: true,
    edit_file: true,
    everything__echo: true,
  });
  expect(interruptOn(new Set(["task", "delete"]), [])).toEqual({ delete: true, task: true });
});

const ends = (result: TurnResult) => result.events.filter((e) => e.type === "session.status_idle" || e.type === "session.error");

describe("deepagents asks before a listed tool (real DeepAgents)", () => {
  test("two listed commands in one response: each gets its own decision; nothing runs before both are in; a denial's result carries the person's message, and the allowed call of that step is reported as not run (LangChain drops it)", async () => {
    const { adapter, workspace } = session(["bash"]);
    scripted().setScript([
      {
        when: "do both",
        steps: [
          {
            kind: "parallel",
            actions: [
              { kind: "run", command: "echo a > a.txt && echo a-ran" },
              { kind: "run", command: "echo b > b.txt" },
            ],
          },
          { kind: "text", text: "Both handled." },
        ],
      },
    ]);
    const first = await adapter.send("Please do both.");
    expect(first.outcome).toBe("requires_action");
    const [a, b] = toolUses(first.events);
    expect([a?.evaluated_permission, b?.evaluated_permission]).toEqual(["ask", "ask"]);
    expect(first.events.at(-1)).toEqual({
      type: "session.status_idle",
      stop_reason: { type: "requires_action", event_ids: [a!.id, b!.id] },
    });

    // The first decision alone resumes nothing: the turn waits again for the other call.
    const second = await adapter.confirm({ tool_use_id: a!.id, result: "allow" });
    expect(second.outcome).toBe("requires_action");
    expect(second.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "requires_action", event_ids: [b!.id] } });
    expect(existsSync(join(workspace, "a.txt"))).toBe(false);

    const third = await adapter.confirm({ tool_use_id: b!.id, result: "deny", deny_message: "not b" });
    expect(third.outcome).toBe("end_turn");
    expect(existsSync(join(workspace, "a.txt"))).toBe(false);
    expect(existsSync(join(workspace, "b.txt"))).toBe(false);
    const results = toolResults(third.events);
    expect(results.map((r) => r.tool_use_id).sort()).toEqual([a!.id, b!.id].sort());
    expect(results.find((r) => r.tool_use_id === a!.id)).toMatchObject({ is_error: true });
    expect(contentText(results.find((r) => r.tool_use_id === a!.id)!.content)).toContain(
      "Not run: another tool call of the same step was denied",
    );
    expect(contentText(results.find((r) => r.tool_use_id === b!.id)!.content)).toContain("The user denied this tool call: not b");
    expect(replyText(third.events)).toContain("Both handled.");
    for (const turn of [first, second, third]) expect(ends(turn)).toHaveLength(1);

    // Both allowed: both run, each with its result.
    scripted().setScript([
      {
        when: "both again",
        steps: [
          {
            kind: "parallel",
            actions: [
              { kind: "run", command: "echo c > c.txt && echo c-ran" },
              { kind: "run", command: "echo d > d.txt" },
            ],
          },
          { kind: "text", text: "Both ran." },
        ],
      },
    ]);
    const again = await adapter.send("Please do both again.");
    const [c, d] = toolUses(again.events);
    expect((await adapter.confirm({ tool_use_id: c!.id, result: "allow" })).outcome).toBe("requires_action");
    const ran = await adapter.confirm({ tool_use_id: d!.id, result: "allow" });
    expect(ran.outcome).toBe("end_turn");
    expect(readFileSync(join(workspace, "c.txt"), "utf8").trim()).toBe("c");
    expect(readFileSync(join(workspace, "d.txt"), "utf8").trim()).toBe("d");
    expect(toolResults(ran.events).map((r) => [r.tool_use_id, r.is_error])).toEqual([
      [c!.id, false],
      [d!.id, false],
    ]);
    expect(contentText(toolResults(ran.events)[0]!.content)).toContain("c-ran");
    expect(replyText(ran.events)).toContain("Both ran.");

    // A decision on a call that no longer waits is an error, not a hang.
    const stale = await adapter.confirm({ tool_use_id: a!.id, result: "allow" });
    expect(stale.outcome).toBe("error");
    expect(stale.events.at(-1)).toMatchObject({ type: "session.error", error: { code: "harness_failed" } });
  }, 120_000);

  test("the process dying while a call waits: the decision is a clear error, the command never runs, and the next message carries on", async () => {
    const { adapter, workspace } = session(["bash"]);
    scripted().setScript([
      {
        when: "guarded job",
        steps: [
          { kind: "run", command: "echo ran > guarded.txt" },
          { kind: "text", text: "ran it" },
        ],
      },
      { when: "say hello", steps: [{ kind: "text", text: "hello after the crash" }] },
    ]);
    const first = await adapter.send("Please do the guarded job.");
    expect(first.outcome).toBe("requires_action");
    const [command] = toolUses(first.events);
    process.kill(adapter.pid()!, "SIGKILL");
    await Bun.sleep(300);
    expect((await adapter.confirm({ tool_use_id: command!.id, result: "allow" })).outcome).toBe("error");
    const next = await adapter.send("now say hello");
    expect(next.outcome).toBe("end_turn");
    expect(replyText(next.events)).toContain("hello after the crash");
    expect(existsSync(join(workspace, "guarded.txt"))).toBe(false);
  }, 120_000);
});
