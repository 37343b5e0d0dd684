// Tool approvals with the real opencode CLI (`opencode serve`) against the scripted model (standing
// for the LLM provider): a listed tool ends the turn with requires_action while opencode's loop
// waits on its permission request; the confirmation turn answers it through opencode's API. The
// approval rows LAP writes are covered in approvals.api.test.ts. One opencode server carries the
// tests in order (a start takes seconds), as users' long-lived sessions do.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { adapterSessions, replyText, toolResults, toolUses } from "../../../test/support/adapter-sessions.ts";
import { KEY, MODEL } from "../../../test/support/harness-contract.ts";
import { contentText, type HarnessEvent } from "../types.ts";
import { opencodeConfig } from "./config.ts";
import { OpencodeAdapter } from "./index.ts";
import { opencodePermission, opencodePermissionConfig, permissionOfTool } from "./permissions.ts";

const { session, model: scripted } = adapterSessions("opencode-approvals", (config) => new OpencodeAdapter(config));
let adapter: OpencodeAdapter;
let workspace: string;
beforeAll(() => void ({ adapter, workspace } = session(["bash"])));

test("LAP's tool names map to opencode's permissions; only listed ones ask", () => {
  expect(opencodePermission("bash")).toBe("bash");
  expect(opencodePermission("write")).toBe("edit");
  expect(opencodePermission("web_fetch")).toBe("webfetch");
  expect(opencodePermission("github__create_issue")).toBe("github_create_issue");
  expect(opencodePermission("my.server__do it")).toBe("my_server_do_it");
  expect(permissionOfTool("apply_patch")).toBe("edit");
  expect(permissionOfTool("bash")).toBe("bash");
  expect(opencodePermissionConfig([])).toBe("allow");
  expect(opencodePermissionConfig(["bash", "write", "edit", "github__create_issue"])).toEqual({
    "*": "allow",
    bash: "ask",
    edit: "ask",
    github_create_issue: "ask",
  });
  const config = { workspace: "/w", home: "/h", gatewayUrl: "http://127.0.0.1:1", apiKey: KEY, model: MODEL };
  expect(opencodeConfig(config).permission).toBe("allow");
  expect(opencodeConfig({ ...config, approvalRequiredTools: ["bash"] }).permission).toEqual({ "*": "allow", bash: "ask" });
  // The `*` rule must come first: opencode's last matching rule wins.
  expect(Object.keys(opencodeConfig({ ...config, approvalRequiredTools: ["bash"] }).permission as object)).toEqual(["*", "bash"]);
});

describe("opencode asks before a listed tool (real opencode serve)", () => {
  test("bash listed: write runs without asking; bash ends the turn requires_action and does not run; allow runs it in the same server and the reply streams in the confirmation turn", async () => {
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
    await adapter.start();
    const first = await adapter.send("Please do the guarded job.");
    expect(first.outcome).toBe("requires_action");
    const [write, bash] = toolUses(first.events);
    expect(write).toMatchObject({ name: "write", evaluated_permission: "allow" });
    expect(existsSync(join(workspace, "free.txt"))).toBe(true);
    expect(bash).toMatchObject({ name: "bash", evaluated_permission: "ask" });
    expect(first.events.at(-1)).toEqual({ type: "session.status_idle", stop_reason: { type: "requires_action", event_ids: [bash!.id] } });
    expect(toolResults(first.events).map((r) => r.tool_use_id)).toEqual([write!.id]);
    // Waiting costs nothing: the command has not run, and the server stays up.
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
  }, 180_000);

  test("deny with a message: the command does not run and the model's next request carries the message; a decision on no waiting call is an error", async () => {
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
    expect(scripted().requests.length).toBeGreaterThan(before);
    expect(scripted().requests.slice(before).at(-1)!.transcript).toContain("not on this machine, use the staging box");
    expect(replyText(second.events)).toContain("Understood, I will not run it.");

    const again = await adapter.confirm({ tool_use_id: bash!.id, result: "allow" });
    expect(again.outcome).toBe("error");
    expect(again.events.at(-1)).toMatchObject({
      type: "session.error",
      error: { code: "harness_failed", message: `no tool call ${bash!.id} is waiting for a decision` },
    });
    expect(existsSync(join(workspace, "risky.txt"))).toBe(false);
  }, 180_000);

  test("two listed calls in one response wait together; each gets its own decision, and the turn ends once both are answered", async () => {
    scripted().setScript([
      {
        when: "two commands",
        steps: [
          {
            kind: "parallel",
            actions: [
              { kind: "run", command: "echo one > one.txt" },
              { kind: "run", command: "echo two > two.txt" },
            ],
          },
          { kind: "text", text: "Both commands ran." },
        ],
      },
    ]);
    const first = await adapter.send("Please run the two commands.");
    expect(first.outcome).toBe("requires_action");
    const uses = toolUses(first.events);
    expect(uses.map((u) => [u.name, u.evaluated_permission])).toEqual([
      ["bash", "ask"],
      ["bash", "ask"],
    ]);
    expect(first.events.at(-1)).toEqual({
      type: "session.status_idle",
      stop_reason: { type: "requires_action", event_ids: uses.map((u) => u.id) },
    });
    expect(existsSync(join(workspace, "one.txt")) || existsSync(join(workspace, "two.txt"))).toBe(false);

    const second = await adapter.confirm({ tool_use_id: uses[0]!.id, result: "allow" });
    // The other call still waits: this turn ends requires_action again once the allowed call's result is in.
    expect(second.outcome).toBe("requires_action");
    expect(toolResults(second.events).map((r) => r.tool_use_id)).toEqual([uses[0]!.id]);
    expect(second.events.at(-1)).toEqual({
      type: "session.status_idle",
      stop_reason: { type: "requires_action", event_ids: [uses[1]!.id] },
    });
    expect(existsSync(join(workspace, "one.txt"))).toBe(true);
    expect(existsSync(join(workspace, "two.txt"))).toBe(false);

    const third = await adapter.confirm({ tool_use_id: uses[1]!.id, result: "allow" });
    expect(third.outcome).toBe("end_turn");
    expect(existsSync(join(workspace, "two.txt"))).toBe(true);
    expect(replyText(third.events)).toContain("Both commands ran.");
  }, 180_000);

  test("a new message instead of a decision refuses the waiting call in the new turn; the command never runs", async () => {
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
    expect(replyText(next.events)).toContain("Doing something else.");
    expect(next.events.filter((e) => e.type === "session.status_idle")).toHaveLength(1);
    expect(existsSync(join(workspace, "pending.txt"))).toBe(false);
    expect((await adapter.confirm({ tool_use_id: bash!.id, result: "allow" })).outcome).toBe("error");
    expect(existsSync(join(workspace, "pending.txt"))).toBe(false);
  }, 180_000);

  test("an interrupt while a call waits refuses it; the session goes on", async () => {
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
    await Bun.sleep(1000);
    expect(existsSync(join(workspace, "stopped.txt"))).toBe(false);
    const next = await adapter.send("now say hello");
    expect(next.outcome).toBe("end_turn");
    expect(replyText(next.events)).toContain("hello after the interrupt");
    expect(next.events.filter((e) => e.type === "session.status_idle")).toHaveLength(1);
  }, 180_000);
});
