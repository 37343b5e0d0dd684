/**
 * Local sandboxes outlive a LAP that dies (LAP_SANDBOX_ORPHAN_GRACE_SECONDS) and a provider started
 * again on the same data dir adopts them: real processes, real bubblewrap, the scripted model standing
 * in for LAP's gateway. "LAP" here is a child Bun process running the provider, killed with SIGKILL.
 * The leak protections stay: an orphan stops itself once LAP has been gone for the grace period, a
 * provider without a grace period kills leftovers, and start-up reaps an adopted sandbox no row owns.
 */
import { afterAll, afterEach, beforeAll, describe, expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChildOutput } from "../../../test/support/child-output";
import { testDatabase } from "../../../test/support/db";
import { commandOf, isRunning, killMarked, markedProcesses, withDescendants } from "../../../test/support/processes";
import { type ScriptedOpenAI, startScriptedOpenAI } from "../../../test/support/scripted-openai";
import { BWRAP_MISSING, requires } from "../../../test/support/skip";
import { LocalSandboxProvider } from "../local-provider";
import { settleRowsAfterRestart } from "../reconcile";
import { sessionsForSandboxes } from "../../sessions/for-sandboxes";
import { SupervisorClient } from "../supervisor-client";
import { providerOptions } from "../test-helpers";
import { adoptionRecordPath } from "./adoption";

let model: ScriptedOpenAI;
const dataDirs: string[] = [];
const providers: LocalSandboxProvider[] = [];
beforeAll(() => {
  model = startScriptedOpenAI();
});
afterEach(async () => {
  for (const p of providers.splice(0)) await p.shutdown();
  for (const d of dataDirs.splice(0)) killMarked(d);
});
afterAll(() => model?.stop());

/** A "LAP": a child process whose provider starts one bound sandbox; answers its id and run dir. */
async function lapWithSandbox(graceSeconds: number) {
  const dataDir = mkdtempSync(join(tmpdir(), "lap-adopt-"));
  dataDirs.push(dataDir);
  const script = `
    const { LocalSandboxProvider } = await import(${JSON.stringify(join(import.meta.dir, "../local-provider.ts"))});
    const { providerOptions, binding } = await import(${JSON.stringify(join(import.meta.dir, "../test-helpers.ts"))});
    const p = new LocalSandboxProvider({ ...providerOptions(() => ${model.port}), dataDir: ${JSON.stringify(dataDir)}, orphanGraceSeconds: ${graceSeconds} });
    const h = await p.create({ harness: "builtin", env: {}, workspaceId: "ws_adopt", labels: { session_id: "ses_adopt" } });
    await p.waitReady(h.id, { timeoutMs: 60000 });
    await p.bind(h.id, binding("ses_adopt", "http://127.0.0.1:${model.port}/v1"));
    console.log(h.id);
    setInterval(() => {}, 1000);`;
  const lap = Bun.spawn([process.execPath, "-e", script], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, LAP_DATA_DIR: dataDir },
  });
  const stderr = new ChildOutput(lap.stderr);
  const reader = lap.stdout.getReader();
  const { value } = await reader.read();
  const id = new TextDecoder().decode(value).trim();
  if (!id.startsWith("sbx_")) throw new Error(`the LAP child did not start a sandbox: ${await stderr.finished}`);
  const sandbox = () => [...new Set(markedProcesses(join(dataDir, "run", id)).flatMap(withDescendants))];
  return { dataDir, id, lap, sandbox };
}

const adopter = (dataDir: string, graceSeconds: number) => {
  const p = new LocalSandboxProvider({ ...providerOptions(() => model.port), dataDir, orphanGraceSeconds: graceSeconds });
  providers.push(p);
  return p;
};

async function gone(pids: number[], ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until && pids.some(isRunning)) await Bun.sleep(100);
  return pids.filter(isRunning).map(commandOf);
}

describe("local sandboxes across a LAP crash", () => {
  requires(BWRAP_MISSING).test(
    "the sandbox outlives a SIGKILLed LAP; the next provider adopts it (same processes, still bound) and serves its way to the model again",
    async () => {
      const { dataDir, id, lap, sandbox } = await lapWithSandbox(60);
      const before = sandbox();
      expect(before.length).toBeGreaterThanOrEqual(3);
      // The record that lets the next LAP adopt it (with the supervisor's token) is LAP's alone.
      expect(statSync(adoptionRecordPath(join(dataDir, "run", id))).mode & 0o777).toBe(0o600);
      lap.kill("SIGKILL");
      await lap.exited;
      await Bun.sleep(1_000);
      expect(before.filter((pid) => !isRunning(pid))).toEqual([]);

      const p = adopter(dataDir, 60);
      const [h] = await p.list();
      expect(h).toMatchObject({
        id,
        state: "ready",
        workspaceId: "ws_adopt",
        labels: { session_id: "ses_adopt" },
        info: { adopted: true },
      });
      const client = new SupervisorClient(await p.connect(id), "ses_adopt");
      expect(await client.health()).toMatchObject({ bound: true, session_id: "ses_adopt" });
      // The harness reaches the model through the LAP bridge this provider serves again.
      model.script([{ text: "still here" }]);
      const turn = await client.runTurn("are you there?");
      expect(turn.at(-1)).toMatchObject({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
      expect(
        turn
          .filter((e) => e.type === "agent.message")
          .map((e) => (e.content as Array<{ text: string }>)[0]!.text)
          .join(""),
      ).toBe("still here");
      expect(sandbox().filter((pid) => before.includes(pid)).length).toBe(before.length);

      // Its death is seen without a child handle, and a stop leaves nothing.
      await p.destroy(id);
      expect(await gone(before, 5_000)).toEqual([]);
      expect(readdirSync(join(dataDir, "run")).filter((n) => n.startsWith("sbx_"))).toEqual([]);
    },
    120_000,
  );

  requires(BWRAP_MISSING).test(
    "an orphan whose LAP stays away stops itself after the grace period",
    async () => {
      const { lap, sandbox } = await lapWithSandbox(2);
      const before = sandbox();
      lap.kill("SIGKILL");
      await lap.exited;
      // Grace 2 s, checked every 2 s: well within 15 s.
      expect(await gone(before, 15_000)).toEqual([]);
    },
    60_000,
  );

  requires(BWRAP_MISSING).test(
    "a LAP started without a grace period kills what a dead LAP left instead of adopting it",
    async () => {
      const { dataDir, id, lap, sandbox } = await lapWithSandbox(60);
      const before = sandbox();
      lap.kill("SIGKILL");
      await lap.exited;
      const p = adopter(dataDir, 0);
      expect(await p.list()).toEqual([]);
      expect(await gone(before, 5_000)).toEqual([]);
      expect(existsSync(adoptionRecordPath(join(dataDir, "run", id)))).toBe(false);
    },
    60_000,
  );

  requires(BWRAP_MISSING).test(
    "an adopted sandbox that no live row owns is reaped at start-up",
    async () => {
      const database = await testDatabase();
      try {
        const { dataDir, id, lap, sandbox } = await lapWithSandbox(60);
        const before = sandbox();
        lap.kill("SIGKILL");
        await lap.exited;
        const p = adopter(dataDir, 60);
        expect((await p.list()).map((h) => h.id)).toEqual([id]);
        // No sandbox row at all (its session ended and its rows went while LAP was away).
        // As the service does it: the start time as the database tells it.
        const [{ started }] = (await database.query<{ started: Date }>("select now() as started")) as [{ started: Date }];
        expect(await settleRowsAfterRestart(database, sessionsForSandboxes(database), p, started)).toMatchObject({ reaped: 1 });
        expect(await p.list()).toEqual([]);
        expect(await gone(before, 5_000)).toEqual([]);
      } finally {
        await database.close();
      }
    },
    120_000,
  );
});
