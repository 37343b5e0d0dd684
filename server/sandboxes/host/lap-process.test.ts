/**
 * A real `lap up` process with a real bubblewrap sandbox, killed with SIGKILL and restarted on the
 * same data dir and database, with LAP_SANDBOX_ORPHAN_GRACE_SECONDS=0 (docs/sandboxes.md): host
 * sandboxes then die with the LAP that started them, and the next start owns only what it starts.
 * (With a grace period they are adopted instead: lap-restart-adopt.test.ts.)
 * After the final SIGTERM no process of this test is left (found by its unique LAP_DATA_DIR in
 * argv or environment).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lapClient, waitFor } from "../../../test/support/api-client";
import { TEST_DB_DRIVER, freshPostgresUrl } from "../../../test/support/db";
import { freePort, type LapChild, startLapChild } from "../../../test/support/lap-child";
import { commandOf, isRunning, killMarked, markedProcesses, noneMarkedWithin, withDescendants } from "../../../test/support/processes";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../test/support/scripted-openai";

const KEY = "lap-process-master-key-123";
let model: ScriptedOpenAI;
let dataDir: string;
let env: Record<string, string>;
let base = "";
let lap: LapChild | undefined;
let dropDb: (() => Promise<void>) | undefined;
const { api, events } = lapClient(() => base, KEY);

async function startLapProcess() {
  lap = await startLapChild(env, base);
}

/** The processes of the sandboxes running now: bwrap (LAP's child), the namespace's init, the supervisor. */
const sandboxProcesses = () => [...new Set(markedProcesses(join(dataDir, "run", "sbx_")).flatMap(withDescendants))];

beforeAll(async () => {
  model = startScriptedOpenAI();
  dataDir = mkdtempSync(join(tmpdir(), "lap-leak-"));
  const gateway = join(dataDir, "gateway.yaml");
  writeFileSync(
    gateway,
    `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: sk-provider-secret-123 }\n`,
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
    LAP_SANDBOX_ORPHAN_GRACE_SECONDS: "0",
  };
  if (TEST_DB_DRIVER === "postgres") {
    const db = await freshPostgresUrl("lap_leak");
    env.DATABASE_URL = db.url;
    dropDb = db.drop;
  }
}, 60_000);

afterAll(async () => {
  // Runs when an assertion failed too: nothing this test started may stay behind.
  if (lap && lap.child.exitCode === null) await lap.kill9();
  killMarked(dataDir);
  await model?.stop();
  await dropDb?.();
  rmSync(dataDir, { recursive: true, force: true });
});

test("SIGKILL of LAP takes its bubblewrap sandbox with it; the next LAP starts its own, and SIGTERM leaves no process behind", async () => {
  await startLapProcess();
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "leaky",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
  });
  expect(agent.status).toBe(201);
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  expect(session.status).toBe(201);
  const id = session.body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle", 60_000);

  const first = sandboxProcesses();
  // bwrap outside, bwrap as the namespace's init, the supervisor (and its harness, once bound).
  expect(first.length).toBeGreaterThanOrEqual(3);
  const lapPid = lap!.child.pid;
  for (const pid of first) expect(withDescendants(lapPid)).toContain(pid);

  await lap!.kill9();
  const gone = await waitFor("the sandbox to die with its LAP", () => first.every((pid) => !isRunning(pid)), 5_000).then(
    () => true,
    () => false,
  );
  expect(gone ? [] : first.filter(isRunning).map(commandOf)).toEqual([]);

  // The next LAP adopts nothing: the session gets a new sandbox on its workspace when it is used.
  await startLapProcess();
  expect((await api<{ data: unknown[] }>("GET", "/api/sandboxes")).body.data).toEqual([]);
  model.script([{ text: "back again" }]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "still there?" })).status).toBe(202);
  await waitFor("the turn after the restart", async () => (await events(id)).some((e) => e.type === "session.status_idle"), 60_000);
  const after = await events(id);
  expect(after.find((e) => e.type === "session.recovered")?.data.reason).toBe("LAP restarted");
  expect(
    after
      .filter((e) => e.type === "agent.message")
      .map((e) => (e.data.content as Array<{ text: string }>)[0]!.text)
      .join(""),
  ).toBe("back again");
  const second = sandboxProcesses();
  expect(second.length).toBeGreaterThanOrEqual(3);
  expect(second.some((pid) => first.includes(pid) && isRunning(pid))).toBe(false);

  // A clean stop takes down what this LAP started, and nothing of this test remains.
  lap!.child.kill("SIGTERM");
  expect(await lap!.child.exited).toBe(0);
  const clean = await noneMarkedWithin(dataDir, 5_000);
  expect(clean ? [] : markedProcesses(dataDir).map(commandOf)).toEqual([]);
}, 180_000);
