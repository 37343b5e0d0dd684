// Tool approvals with real OpenClaw (its exec approvals, relayed by `openclaw acp` as
// session/request_permission) against the scripted model (standing for the LLM provider). One
// session carries every case: a Gateway start is the slow part. The commands use no shell redirection:
// OpenClaw refuses a command it cannot bind to its executables (`echo x > file`) without asking.
import { expect } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { adapterSessions, replyText, toolResults, toolUses } from "../../../test/support/adapter-sessions.ts";
import { OPENCLAW_MISSING, requires } from "../../../test/support/skip.ts";
import { contentText } from "../types.ts";
import { OpenclawAdapter } from "./index.ts";

const { session, model: scripted } = adapterSessions("openclaw-approvals", (config) => new OpenclawAdapter(config));

requires(OPENCLAW_MISSING).test(
  "openclaw with bash approval-required: a command waits (requires_action) while a file write runs; allow runs it in the same run; deny does not; a new message refuses a waiting command; a decision on nothing is an error",
  async () => {
    const { adapter, workspace } = session(["bash"]);
    scripted().setScript([
      {
        when: "write then run",
        steps: [
          { kind: "write_file", path: "note.txt", content: "written without asking" },
          { kind: "run", command: "touch allowed.txt && echo allowed-ran" },
          { kind: "text", text: "Ran it." },
        ],
      },
      {
        when: "run the denied one",
        steps: [
          { kind: "run", command: "touch denied.txt" },
          { kind: "text", text: "It was denied." },
        ],
      },
      {
        when: "run a third",
        steps: [
          { kind: "run", command: "touch refused.txt" },
          { kind: "text", text: "never" },
        ],
      },
      { when: "say ready", steps: [{ kind: "text", text: "ready" }] },
    ]);
    await adapter.start();

    const asked = await adapter.send("Please write then run.");
    expect(asked.outcome).toBe("requires_action");
    expect(existsSync(join(workspace, "note.txt"))).toBe(true);
    expect(existsSync(join(workspace, "allowed.txt"))).toBe(false);
    const command = toolUses(asked.events).find((use) => use.name === "exec")!;
    expect(command.evaluated_permission).toBe("ask");
    expect(command.input).toEqual({ command: "touch allowed.txt && echo allowed-ran" });
    expect(asked.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "requires_action", event_ids: [command.id] } });

    const allowed = await adapter.confirm!({ tool_use_id: command.id, result: "allow" });
    expect(allowed.outcome).toBe("end_turn");
    expect(existsSync(join(workspace, "allowed.txt"))).toBe(true);
    expect(toolResults(allowed.events).some((r) => r.tool_use_id === command.id && contentText(r.content).includes("allowed-ran"))).toBe(
      true,
    );
    expect(replyText(allowed.events)).toContain("Ran it.");

    const second = await adapter.send("Now run the denied one.");
    expect(second.outcome).toBe("requires_action");
    const denied = toolUses(second.events).at(-1)!;
    const afterDeny = await adapter.confirm!({ tool_use_id: denied.id, result: "deny", deny_message: "not today" });
    expect(afterDeny.outcome).toBe("end_turn");
    expect(existsSync(join(workspace, "denied.txt"))).toBe(false);
    expect(toolResults(afterDeny.events).find((r) => r.tool_use_id === denied.id)?.is_error).toBe(true);

    const third = await adapter.send("Please run a third.");
    expect(third.outcome).toBe("requires_action");
    const waiting = toolUses(third.events).at(-1)!;
    const next = await adapter.send("Forget it and say ready.");
    expect(next.outcome).toBe("end_turn");
    expect(toolResults(next.events).find((r) => r.tool_use_id === waiting.id)).toMatchObject({ is_error: true });
    expect(existsSync(join(workspace, "refused.txt"))).toBe(false);
    expect(replyText(next.events)).toContain("ready");

    const nothing = await adapter.confirm!({ tool_use_id: waiting.id, result: "allow" });
    expect(nothing.outcome).toBe("error");
    expect(nothing.events.at(-1)).toMatchObject({ type: "session.error", error: { code: "harness_failed" } });
  },
  600_000,
);
