/**
 * The whole path a user takes, through the HTTP API of a real LAP (startLap, listening on a port):
 * an agent with the built-in harness on the built-in local-sandbox runtime → a session → turns in a
 * bubblewrap sandbox → the built-in agent calls LAP's gateway with the session's key → the gateway
 * routes the agent's model to a scripted provider (test/support/scripted-openai.ts, standing in for
 * an LLM provider). Then the sandbox is killed and the conversation carries on.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLap, type RunningLap } from "../../main";
import { testDatabase } from "../../../test/support/db";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../../test/support/api-client";
import { killMarked } from "../../../test/support/processes";

const MASTER = "sandbox-e2e-master-key";
let lap: RunningLap;
let model: ScriptedOpenAI;
let dataDir: string;

const { api, events } = lapClient(() => lap.url, MASTER);
const idleCount = async (id: string) => (await events(id)).filter((e) => e.type === "session.status_idle").length;

beforeAll(async () => {
  model = startScriptedOpenAI();
  dataDir = mkdtempSync(join(tmpdir(), "lap-sbx-e2e-"));
  const config = join(dataDir, "gateway.yaml");
  writeFileSync(
    config,
    `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: sk-provider-secret-123 }\n`,
  );
  const env: Record<string, string> = {
    LAP_DATA_DIR: dataDir,
    PORT: "0",
    MASTER_KEY: MASTER,
    LOG_LEVEL: "silent",
    LAP_GATEWAY_CONFIG: config,
    WARM_POOL_SIZE: "0",
    PATH: process.env.PATH ?? "",
  };
  // A copy of the migrated template (PGlite), or a fresh PostgreSQL database dropped when LAP closes it.
  lap = await startLap(env, { database: await testDatabase() });
}, 90_000);

afterAll(async () => {
  try {
    await lap?.stop();
  } finally {
    // Even if stop failed: no sandbox of this test outlives it.
    if (dataDir) killMarked(dataDir);
    await model?.stop();
  }
});

test("every LAP has the local-sandbox runtime; it cannot be removed", async () => {
  const list = await api<{ data: { id: string; alias: string; protocol: string }[] }>("GET", "/api/runtimes");
  expect(list.body.data).toContainEqual(expect.objectContaining({ alias: "local-sandbox", protocol: "sandbox" }));
  const removed = await api("DELETE", "/api/runtimes/rt_local_sandbox");
  expect(removed.status).toBe(409);
});

test("a built-in-harness agent edits files and runs commands in its sandbox through the gateway, and survives the sandbox dying", async () => {
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "builder",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
  });
  expect(agent.status).toBe(201);
  const session = await api<{ id: string; status: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  expect(session.status).toBe(201);
  const id = session.body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");

  model.script([
    { toolCalls: [{ name: "write", arguments: { path: "notes.md", content: "hello from the agent" } }] },
    { toolCalls: [{ name: "bash", arguments: { command: "wc -c notes.md > count.txt && cat count.txt" } }] },
    { text: "Wrote notes.md and counted it." },
  ]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "write notes and count them" })).status).toBe(202);
  await waitFor("first turn", async () => (await idleCount(id)) >= 1).catch(async (err) => {
    console.error(
      JSON.stringify(
        (await events(id)).map((e) => [e.type, JSON.stringify(e.data).slice(0, 300)]),
        null,
        1,
      ),
      model.requests.length,
    );
    throw err;
  });

  const [row] = await lap.database.query<{ workspace_id: string; sandbox_id: string }>(
    "select workspace_id, sandbox_id from sandboxes where session_id = $1",
    [id],
  );
  const ws = join(dataDir, "workspaces", row!.workspace_id);
  expect(readFileSync(join(ws, "notes.md"), "utf8")).toBe("hello from the agent");
  expect(readFileSync(join(ws, "count.txt"), "utf8")).toContain("20 notes.md");
  const first = await events(id);
  const types = first.map((e) => e.type);
  for (const t of ["user.message", "session.status_running", "agent.tool_use", "agent.tool_result", "agent.message"])
    expect(types).toContain(t);
  expect(types.indexOf("agent.tool_use")).toBeLessThan(types.lastIndexOf("agent.message"));

  // Every model call went through the gateway: the provider saw the real key, never the sandbox.
  expect(model.requests.length).toBe(3);
  for (const r of model.requests) {
    expect(r.model).toBe("scripted-model");
    expect(r.authorization).toBe("Bearer sk-provider-secret-123");
  }
  // Spend rows are written in batches, off the request path.
  await waitFor("spend rows", async () => ((await api<unknown[]>("GET", `/spend/logs?session_id=${id}`)).body ?? []).length >= 3, 10_000);
  const spend = (await api<{ model_group: string; key_alias: string; status: string }[]>("GET", `/spend/logs?session_id=${id}`)).body;
  for (const s of spend) expect(s).toMatchObject({ model_group: "scripted-model", key_alias: `session-${id}` });

  // The sandbox dies (its process is killed); the next message gets a new sandbox on the same workspace.
  const sandboxes = (await api<{ data: { session_id: string | null; pid: number | null }[] }>("GET", `/api/sandboxes?session_id=${id}`))
    .body.data;
  const pid = sandboxes.find((x) => x.session_id === id)?.pid ?? 0;
  expect(pid).toBeGreaterThan(0);
  process.kill(pid, "SIGKILL");
  await Bun.sleep(300);
  model.requests.length = 0;
  model.script([{ toolCalls: [{ name: "read", arguments: { path: "notes.md" } }] }, { text: "It says hello." }]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "what do the notes say?" })).status).toBe(202);
  await waitFor("second turn", async () => (await idleCount(id)) >= 2, 45_000);
  const after = (await events(id)).slice(first.length).map((e) => e.type);
  expect(after).toContain("session.recovered");
  // The new harness was given the first turn: the second turn sees the first.
  expect(JSON.stringify(model.requests[0]!.messages)).toContain("write notes and count them");
  expect(JSON.stringify(await events(id))).toContain("hello from the agent");

  // Ending the session ends its gateway key.
  expect((await api("POST", `/api/sessions/${id}/stop`)).status).toBe(200);
  await waitFor(
    "session key revoked",
    async () => {
      const keys = await lap.database.query<{ n: number }>(
        "select count(*)::int as n from gateway_keys g join api_keys k on k.id = g.key_id where g.session_id = $1 and k.revoked_at is null",
        [id],
      );
      return keys[0]!.n === 0;
    },
    10_000,
  );
  expect(existsSync(ws)).toBe(true);
}, 120_000);

test("a tool that needs approval waits for a person: allow runs it in the sandbox, deny tells the model why", async () => {
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "careful",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    approval_required_tools: ["bash"],
  });
  expect(agent.status).toBe(201);
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  const id = session.body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");
  const pending = async () =>
    (await api<{ data: { id: string; tool_use_id: string; input: unknown }[] }>("GET", `/api/approvals?status=pending&session_id=${id}`))
      .body.data;

  // write runs at once; bash asks. The turn ends with requires_action and the command has not run.
  model.script([
    {
      toolCalls: [
        { name: "write", arguments: { path: "a.txt", content: "x" } },
        { name: "bash", arguments: { command: "echo approved > ran.txt" } },
      ],
    },
  ]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "write then run" })).status).toBe(202);
  await waitFor("the approval", async () => (await pending()).length === 1);
  await waitFor("requires_action", async () => (await idleCount(id)) >= 1);
  const [row] = await lap.database.query<{ workspace_id: string }>("select workspace_id from sandboxes where session_id = $1", [id]);
  const ws = join(dataDir, "workspaces", row!.workspace_id);
  expect(existsSync(join(ws, "a.txt"))).toBe(true);
  expect(existsSync(join(ws, "ran.txt"))).toBe(false);
  const idle = (await events(id)).filter((e) => e.type === "session.status_idle").at(-1)!;
  const [approval] = await pending();
  expect(idle.data.stop_reason).toEqual({ type: "requires_action", event_ids: [approval!.tool_use_id] });
  expect(approval!.input).toEqual({ command: "echo approved > ran.txt" });

  // Allow: the harness runs the command, then the model carries on in the same loop.
  model.script([{ text: "Ran it." }]);
  expect((await api("POST", `/api/approvals/${approval!.id}/decision`, { decision: "allow" })).status).toBe(200);
  await waitFor("the confirmed turn", async () => (await idleCount(id)) >= 2);
  expect(readFileSync(join(ws, "ran.txt"), "utf8")).toBe("approved\n");
  const result = (await events(id)).find((e) => e.type === "agent.tool_result" && e.data.tool_use_id === approval!.tool_use_id)!;
  expect(result.data.is_error).toBe(false);
  // The model saw the command's result next to its call.
  expect(JSON.stringify(model.requests.at(-1)!.messages)).toContain(approval!.tool_use_id);

  // Deny: the model is told, with the person's reason, and answers.
  model.script([{ toolCalls: [{ name: "bash", arguments: { command: "rm -rf ." } }] }, { text: "OK, I left it." }]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "clean up" })).status).toBe(202);
  await waitFor("the second approval", async () => (await pending()).length === 1);
  const [second] = await pending();
  await waitFor("requires_action again", async () => (await idleCount(id)) >= 3);
  expect((await api("POST", `/api/approvals/${second!.id}/decision`, { decision: "deny", message: "keep the files" })).status).toBe(200);
  await waitFor("the refused turn", async () => (await idleCount(id)) >= 4);
  expect(existsSync(join(ws, "a.txt"))).toBe(true);
  expect(JSON.stringify(model.requests.at(-1)!.messages)).toContain("The user denied this tool call: keep the files");
  const texts = (await events(id))
    .filter((e) => e.type === "agent.message")
    .map((e) => ((e.data.content as { text?: string }[]) ?? []).map((c) => c.text ?? "").join(""))
    .join("");
  expect(texts).toContain("OK, I left it.");
}, 90_000);

test("a provider that numbers its tool calls call_0 in every response: each call that asks gets its own approval, tied to its event", async () => {
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "reused-ids",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    approval_required_tools: ["bash"],
  });
  expect(agent.status).toBe(201);
  const id = (await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id })).body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");
  type Approval = { id: string; tool_use_id: string; event_seq: number; status: string; input: { command: string } };
  const approvals = async () => (await api<{ data: Approval[] }>("GET", `/api/approvals?session_id=${id}`)).body.data;
  const status = async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status;
  const asks = async () => (await events(id)).filter((e) => e.type === "agent.tool_use");

  model.script([
    { toolCalls: [{ id: "call_0", name: "bash", arguments: { command: "echo one >> log.txt" } }] },
    { toolCalls: [{ id: "call_0", name: "bash", arguments: { command: "echo two >> log.txt" } }] },
    { text: "Both ran." },
  ]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "two steps" })).status).toBe(202);
  await waitFor("the first approval", async () => (await approvals()).length === 1);
  await waitFor("the session to await the decision", async () => (await status()) === "awaiting_approval");
  const [first] = await approvals();
  expect(first!.event_seq).toBe((await asks())[0]!.seq);
  expect((await api("POST", `/api/approvals/${first!.id}/decision`, { decision: "allow" })).status).toBe(200);

  // The confirmation runs call_0; the model's next response asks again under the same id: a new approval, nothing run.
  await waitFor("the second approval", async () => (await approvals()).some((a) => a.status === "pending"), 30_000);
  await waitFor("the session to await the second decision", async () => (await status()) === "awaiting_approval");
  const [uses, rows] = [await asks(), await approvals()];
  expect(uses.map((u) => u.data.id)).toEqual(["call_0", "call_0"]);
  const second = rows.find((a) => a.status === "pending")!;
  expect(second).toMatchObject({ tool_use_id: "call_0", event_seq: uses[1]!.seq, input: { command: "echo two >> log.txt" } });
  expect(rows.find((a) => a.id === first!.id)).toMatchObject({ status: "allowed", event_seq: uses[0]!.seq });
  const [row] = await lap.database.query<{ workspace_id: string }>("select workspace_id from sandboxes where session_id = $1", [id]);
  const log = join(dataDir, "workspaces", row!.workspace_id, "log.txt");
  expect(readFileSync(log, "utf8")).toBe("one\n");

  expect((await api("POST", `/api/approvals/${second.id}/decision`, { decision: "allow" })).status).toBe(200);
  await waitFor("the reply", async () => (await status()) === "idle" && (await events(id)).some((e) => e.type === "agent.message"), 30_000);
  expect(readFileSync(log, "utf8")).toBe("one\ntwo\n");
  // Each confirmation names the call it decided by its event, not only by the provider's id.
  const confirmations = (await events(id))
    .filter((e) => e.type === "user.tool_confirmation")
    .map((e) => [e.data.approval_id, e.data.tool_use_seq]);
  expect(confirmations).toEqual([
    [first!.id, uses[0]!.seq],
    [second.id, uses[1]!.seq],
  ]);
}, 120_000);

test("an agent whose model the gateway does not know is refused with a 400 naming model and the models it has; nothing is made or changed", async () => {
  const made = await api<{ error: { fields: { field: string; message: string }[] } }>("POST", "/api/agents", {
    name: "typo",
    model: "claude-sonnet-4-5",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
  });
  expect(made.status).toBe(400);
  expect(made.body.error.fields).toEqual([
    { field: "model", message: expect.stringContaining("no model named claude-sonnet-4-5 on this gateway (it has scripted-model)") },
  ]);
  expect((await api<{ data: { name: string }[] }>("GET", "/api/agents?q=typo")).body.data).toHaveLength(0);
  const ok = await api<{ id: string; model: string }>("POST", "/api/agents", {
    name: "typo-later",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
  });
  expect(ok.status).toBe(201);
  const changed = await api("PATCH", `/api/agents/${ok.body.id}`, { model: "gpt-4o" });
  expect(changed.status).toBe(400);
  expect((await api<{ model: string }>("GET", `/api/agents/${ok.body.id}`)).body.model).toBe("scripted-model");
  // Only agents using a model are listed for it (what the dashboard shows before a model is removed).
  const using = await api<{ data: { id: string }[] }>("GET", "/api/agents?model=scripted-model&limit=200");
  expect(using.body.data.map((a) => a.id)).toContain(ok.body.id);
  expect((await api<{ data: unknown[] }>("GET", "/api/agents?model=gpt-4o")).body.data).toHaveLength(0);
});

test("a model removed after its agent was made ends the turn with a clear session.error, never another model", async () => {
  const added = await api<{ model_info: { id: string } }>("POST", "/model/new", {
    model_name: "short-lived",
    litellm_params: { model: "openai/scripted-model", api_base: model.url, api_key: "sk-provider-secret-123" },
  });
  expect(added.status).toBe(200);
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "misconfigured",
    model: "short-lived",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
  });
  expect(agent.status).toBe(201);
  expect((await api("POST", "/model/delete", { id: added.body.model_info.id })).status).toBe(200);
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  const id = session.body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");
  const before = model.requests.length;
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "hello?" })).status).toBe(202);
  await waitFor("the turn to end", async () =>
    (await events(id)).some((e) => e.type === "session.error" || e.type === "session.status_idle"),
  );
  const error = (await events(id)).find((e) => e.type === "session.error");
  expect(error).toBeDefined();
  expect(JSON.stringify(error!.data)).toContain("short-lived");
  // Nothing reached the provider: no silent fallback to a model that exists.
  expect(model.requests.length).toBe(before);
}, 60_000);

test("interrupt stops a running turn in the sandbox and the next message still runs", async () => {
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "interruptible",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
  });
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  const id = session.body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");
  model.script([{ hang: true, text: "thinking very slowly" }]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "take your time" })).status).toBe(202);
  // The reply streams as agent.message_delta until it ends (docs/sessions.md "Messages and deltas").
  await waitFor("the reply to start", async () =>
    (await api<{ data: { type: string }[] }>("GET", `/api/sessions/${id}/events?deltas=true`)).body.data.some(
      (e) => e.type === "agent.message_delta",
    ),
  );
  expect((await api("POST", `/api/sessions/${id}/interrupt`)).status).toBe(200);
  await waitFor(
    "the turn to end",
    async () => (await idleCount(id)) >= 1 || (await events(id)).some((e) => e.type === "session.error"),
    20_000,
  );
  model.script([{ text: "Back again." }]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "still there?" })).status).toBe(202);
  // Join the text of the agent's messages (the interrupted one, then the next).
  const replyText = async () =>
    (await events(id))
      .filter((e) => e.type === "agent.message")
      .map((e) => ((e.data.content as { text?: string }[]) ?? []).map((c) => c.text ?? "").join(""))
      .join("");
  await waitFor("the next turn", async () => (await replyText()).includes("Back again."), 30_000);
  const all = (await events(id)).map((e) => e.type);
  expect(all.filter((t) => t === "session.status_idle").length).toBe(2);
  const firstIdle = (await events(id)).find((e) => e.type === "session.status_idle")!;
  expect(firstIdle.data.stop_reason).toEqual({ type: "interrupted" });
  expect((await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status).not.toBe("error");
}, 90_000);
