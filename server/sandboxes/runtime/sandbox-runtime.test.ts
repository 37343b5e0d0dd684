/**
 * The sandbox RuntimeAdapter end to end: real database (both drivers), real bubblewrap sandboxes,
 * the warm pool, a local bare git repository, and the scripted OpenAI-compatible model.
 */
import { agentsForSandboxes } from "../../agents/for-sandboxes";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "../../db/client";
import { createLogger } from "../../lib/logger";
import { type AgentDefinition, type RuntimeEvent, TurnLostError } from "../../runtimes/adapter";
import { testDatabase } from "../../../test/support/db";
import { type ScriptedOpenAI, startScriptedOpenAI } from "../../../test/support/scripted-openai";
import { LocalSandboxProvider } from "../local-provider";
import { requires } from "../../../test/support/skip";
import { cgroupMissing, providerOptions } from "../test-helpers";
import { SupervisorClient } from "../supervisor-client";
import { WarmPool } from "../warm-pool";
import { poolStats } from "../pool-stats";
import { SandboxRuntimeAdapter } from "./sandbox-runtime";
import { harnessSetup, slotHash } from "./harness-setup";
import { sandboxHostEnv } from "../settings";
import { sandboxSpecFor } from "./spec";
import { sessionsForSandboxes } from "../../sessions/for-sandboxes";

let database: Database;
let model: ScriptedOpenAI;
let provider: LocalSandboxProvider;
let repoDir: string;
const history = new Map<string, Array<{ type: string; [k: string]: unknown }>>();
const minted: string[] = [];

const agent: AgentDefinition = {
  id: "agent_rt",
  name: "rt",
  description: "",
  model: "scripted-model",
  systemPrompt: "",
  tools: [],
  approvalRequiredTools: [],
  mcpServers: [],
  environment: { PLAIN_SETTING: "on" },
  repoUrl: null,
  repoBranch: null,
};

/** LAP's CONTAINER_ENV_* as sandboxes see them: a secret's name set by mistake is dropped (server/config/load.ts `containerEnvFrom`). */
const LAP_CONTAINER_ENV = sandboxHostEnv({
  CONTAINER_ENV_TEAM: "platform",
  CONTAINER_ENV_LITELLM_API_KEY: "sk-real-should-not-pass",
}).containerEnv;

function adapter(p = provider, pool: WarmPool | null = null) {
  return new SandboxRuntimeAdapter({
    database,
    sessions: sessionsForSandboxes(database),
    agents: agentsForSandboxes(database),
    provider: p,
    pool,
    logger: createLogger("silent"),
    gatewayBaseUrl: "http://127.0.0.1:3000/v1",
    mintSessionKey: async ({ sessionId }) => {
      const key = `sk-lap-session-${sessionId}`;
      minted.push(key);
      return key;
    },
    history: async (id) => history.get(id) ?? [],
    containerEnv: LAP_CONTAINER_ENV,
    preinstalledRepo: repoDir,
    workspacePath: (ws) => p.workspacePath(ws),
    handOverWorkspace: (ws) => p.handOverWorkspace(ws),
  });
}

/**
 * One turn the way the session worker runs it: open the stream, send the message once it is open
 * (or resume from a cursor), collect normalized events until the turn ends, record them as history.
 * A stream that ends or fails before the turn's last event fails the test, unless `streamMayDrop`
 * (the sandbox is killed on purpose); running out of time always does.
 */
async function turn(
  a: SandboxRuntimeAdapter,
  sessionId: string,
  text: string | null,
  opts: { afterEventId?: string; onEvent?: (e: RuntimeEvent) => Promise<void> | void; streamMayDrop?: boolean } = {},
) {
  const events: RuntimeEvent[] = [];
  const log = history.get(sessionId) ?? [];
  history.set(sessionId, log);
  if (text !== null) log.push({ type: "user.message", content: [{ type: "text", text }] });
  let sending: Promise<void> = Promise.resolve();
  const onOpen = text === null ? undefined : () => void (sending = a.sendMessage(sessionId, [{ type: "text", text }]));
  let ended = false;
  try {
    for await (const e of a.streamEvents(sessionId, { signal: AbortSignal.timeout(20_000), afterEventId: opts.afterEventId, onOpen })) {
      events.push(e);
      log.push(e.event as any);
      await opts.onEvent?.(e);
      if (e.event.type === "session.status_idle" || e.event.type === "session.error") {
        ended = true;
        break;
      }
    }
  } catch (err) {
    const timedOut = ["TimeoutError", "AbortError"].includes((err as Error).name);
    if (timedOut || !opts.streamMayDrop)
      throw new Error(
        `turn "${text}": the stream ${timedOut ? "timed out" : `failed (${(err as Error).message})`} after ${JSON.stringify(events.map((e) => e.event.type))}`,
      );
  }
  if (!ended && !opts.streamMayDrop)
    throw new Error(`turn "${text}": the stream ended before the turn did, after ${JSON.stringify(events.map((e) => e.event.type))}`);
  await sending;
  return events;
}

const send = (a: SandboxRuntimeAdapter, sessionId: string, text: string) => turn(a, sessionId, text);
const textOf = (events: RuntimeEvent[]) =>
  events
    .filter((e) => e.event.type === "agent.message")
    .map((e) => (e.event as any).content[0].text)
    .join("");

beforeAll(async () => {
  database = await testDatabase();
  model = startScriptedOpenAI();
  provider = new LocalSandboxProvider(providerOptions(() => model.port));
  // A local bare repository stands in for the agent's GitHub repository.
  const src = mkdtempSync(join(tmpdir(), "lap-repo-src-"));
  repoDir = mkdtempSync(join(tmpdir(), "lap-repo-bare-"));
  const git = (cwd: string, ...args: string[]) => Bun.spawnSync(["git", "-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd });
  writeFileSync(join(src, "README.md"), "# project\n");
  git(src, "init", "-q", "-b", "main");
  git(src, "add", ".");
  git(src, "commit", "-qm", "init");
  git(repoDir, "clone", "-q", "--bare", src, ".");
  await database.query(`insert into agents (id, name, model) values ('agent_rt', 'rt', 'scripted-model')`);
}, 60_000);

afterAll(async () => {
  await provider.shutdown();
  await model.stop();
  await database.close();
});

const workspaceOf = async (sessionId: string) =>
  provider.workspacePath(
    (
      await database.query<{ workspace_id: string }>(
        `select workspace_id from sandboxes where session_id = $1 order by created_at desc limit 1`,
        [sessionId],
      )
    )[0]!.workspace_id,
  );

describe("sandbox runtime adapter", () => {
  test("a cold session: repo cloned, CONTAINER_ENV passed plain (never a LAP secret), the agent works in it", async () => {
    const a = adapter();
    const ref = await a.ensureAgent(agent, null);
    expect(ref.reused).toBe(false);
    expect((await a.ensureAgent(agent, ref)).reused).toBe(true);
    await a.startSession({ ref, agent, localSessionId: "ses_cold", title: "" });
    const ws = await workspaceOf("ses_cold");
    expect(readFileSync(join(ws, "README.md"), "utf8")).toBe("# project\n");
    model.script([
      {
        toolCalls: [
          {
            name: "bash",
            arguments: { command: "echo TEAM=$TEAM PLAIN=$PLAIN_SETTING KEY=${LITELLM_API_KEY:-none}; echo change >> README.md" },
          },
        ],
      },
      { text: "done" },
    ]);
    const events = await send(a, "ses_cold", "look around");
    const types = events.map((e) => e.event.type);
    expect(types[0]).toBe("session.status_running");
    expect(types.at(-1)).toBe("session.status_idle");
    expect(types).not.toContain("user.message");
    expect(JSON.stringify(events)).toContain("TEAM=platform PLAIN=on KEY=none");
    expect(events.every((e) => e.providerEventId?.includes(":"))).toBe(true);
    expect(model.requests.at(-1)!.authorization).toBe("Bearer sk-lap-session-ses_cold");
    // The clone (made on the host) belongs to the sandbox's user: the agent could change it.
    expect(readFileSync(join(ws, "README.md"), "utf8")).toBe("# project\nchange\n");
    expect(await a.sessionState("ses_cold")).toBe("idle");
  }, 60_000);

  test("a sandbox killed mid-turn: session.recovered, then the turn is lost (TurnLostError, not run again); same workspace, the next turn has the history", async () => {
    const a = adapter();
    const ref = await a.ensureAgent(agent, null);
    await a.startSession({ ref, agent, localSessionId: "ses_die", title: "" });
    model.script([{ toolCalls: [{ name: "write", arguments: { path: "notes.md", content: "remember me" } }] }, { text: "saved" }]);
    await send(a, "ses_die", "save a note");
    const ws = await workspaceOf("ses_die");

    model.script([{ hang: true, text: "working..." }]);
    const row = (
      await database.query<{ sandbox_id: string }>(`select sandbox_id from sandboxes where session_id = 'ses_die' and status = 'claimed'`)
    )[0]!;
    const first = await turn(a, "ses_die", "second question", {
      onEvent: async (e) => {
        if (e.event.type === "agent.message") process.kill((await provider.get(row.sandbox_id))!.info.pid as number, "SIGKILL");
      },
      streamMayDrop: true,
    });
    const firstPart = first.map((e) => e.event.type);
    const cursor = first.at(-1)!.providerEventId;
    expect(firstPart).toContain("agent.message");
    expect(firstPart).not.toContain("session.status_idle"); // the stream dropped with the sandbox
    // What the session worker does when a stream drops: ask the state (not gone), then stream again from its cursor.
    expect(["idle", "running"]).toContain(await a.sessionState("ses_die"));
    model.requests.length = 0;
    const again: RuntimeEvent[] = [];
    const lost = await (async () => {
      for await (const e of a.streamEvents("ses_die", { signal: AbortSignal.timeout(20_000), afterEventId: cursor })) again.push(e);
    })().then(
      () => null,
      (err: Error) => err,
    );
    expect(again.map((e) => e.event.type)).toEqual(["session.recovered"]);
    expect(lost).toBeInstanceOf(TurnLostError);
    expect((lost as TurnLostError).reason).toBe("sandbox_lost");
    expect(lost!.message).toContain("SIGKILL");
    // Not sent again: the new sandbox's model saw nothing of the lost turn.
    expect(model.requests).toEqual([]);
    history.get("ses_die")!.push(...again.map((e) => e.event as any));

    model.script([{ text: "next answer" }]);
    const next = await send(a, "ses_die", "third question");
    expect(next.map((e) => e.event.type)).not.toContain("session.recovered");
    expect(textOf(next)).toBe("next answer");
    expect(await workspaceOf("ses_die")).toBe(ws);
    expect(readFileSync(join(ws, "notes.md"), "utf8")).toBe("remember me");
    // The new harness was given the conversation so far, the lost turn's question and partial reply included.
    const seen = JSON.stringify(model.requests[0]!.messages);
    for (const said of ["save a note", "second question", "working...", "third question"]) expect(seen).toContain(said);
    const states = await database.query<{ status: string }>(
      `select status from sandboxes where session_id = 'ses_die' order by created_at`,
    );
    expect(states.map((s) => s.status)).toEqual(["dead", "claimed"]);
  }, 60_000);

  test("idle sandboxes stop and start again on the next message with the workspace intact", async () => {
    const a = adapter();
    const ref = await a.ensureAgent(agent, null);
    await a.startSession({ ref, agent, localSessionId: "ses_idle", title: "" });
    model.script([{ toolCalls: [{ name: "bash", arguments: { command: "echo 42 > answer.txt" } }] }, { text: "ok" }]);
    await send(a, "ses_idle", "write the answer");
    expect(await a.sweepIdle()).toEqual([]); // the agent allows 60 idle minutes by default
    await database.query(`update agents set idle_timeout_minutes = 0 where id = 'agent_rt'`);
    expect(await a.sweepIdle()).toEqual(["ses_idle"]);
    expect(await a.sweepIdle()).toEqual([]); // already stopped
    await database.query(`update agents set idle_timeout_minutes = 60 where id = 'agent_rt'`);
    const stoppedRow = (
      await database.query<{ status: string; sandbox_id: string }>(`select status, sandbox_id from sandboxes where session_id = 'ses_idle'`)
    )[0]!;
    expect(stoppedRow.status).toBe("stopped");
    expect((await provider.get(stoppedRow.sandbox_id))!.state).toBe("stopped");
    model.script([{ toolCalls: [{ name: "bash", arguments: { command: "cat answer.txt" } }] }, { text: "42" }]);
    const events = await send(a, "ses_idle", "what was it?");
    expect(events.map((e) => e.event.type)).not.toContain("session.recovered");
    expect(JSON.stringify(events)).toContain("42\\n");
  }, 60_000);

  test("after a LAP restart (new process, sandboxes gone) the session comes back on its workspace", async () => {
    const a = adapter();
    const ref = await a.ensureAgent(agent, null);
    await a.startSession({ ref, agent, localSessionId: "ses_restart", title: "" });
    model.script([{ toolCalls: [{ name: "write", arguments: { path: "state.txt", content: "before restart" } }] }, { text: "ok" }]);
    await send(a, "ses_restart", "write state");
    await provider.shutdown();
    const provider2 = new LocalSandboxProvider({ ...providerOptions(() => model.port), dataDir: join(provider.workspacesDir, "..") });
    const b = adapter(provider2);
    expect(await b.sessionState("ses_restart")).toBe("idle");
    model.script([{ toolCalls: [{ name: "read", arguments: { path: "state.txt" } }] }, { text: "ok" }]);
    const events = await send(b, "ses_restart", "read state");
    expect(events[0]!.event.type).toBe("session.recovered");
    expect(JSON.stringify(events)).toContain("before restart");
    expect(await b.sessionState("ses_unknown")).toBe("missing");
    await provider2.shutdown();
  }, 60_000);

  requires(cgroupMissing("memory")).test(
    "a process past SANDBOX_MEMORY_MB is killed and the turn ends in a session.error naming the limit; the session goes on",
    async () => {
      const limited = new LocalSandboxProvider(providerOptions(() => model.port, { defaultLimits: { memoryMb: 64 } }));
      try {
        const a = adapter(limited);
        const ref = await a.ensureAgent(agent, null);
        await a.startSession({ ref, agent, localSessionId: "ses_mem", title: "" });
        // bash holds ~300 MB in a variable, far past the limit (the idle sandbox uses ~20 MB). The kernel
        // kills the biggest process of the cgroup: this bash, or the harness running it.
        model.script([
          { toolCalls: [{ name: "bash", arguments: { command: "a=$(head -c 300000000 /dev/zero | tr '\\0' x); echo HELD=${#a}" } }] },
          { text: "held it" },
        ]);
        // Under memory pressure the stream may drop while the kernel kills; LAP's worker then reopens it
        // after the last event it stored (run-turn.ts), and so does this test.
        const events = await turn(a, "ses_mem", "hold a lot of memory", { streamMayDrop: true });
        for (let i = 0; i < 3 && !["session.error", "session.status_idle"].includes(events.at(-1)?.event.type ?? ""); i++) {
          events.push(...(await turn(a, "ses_mem", null, { afterEventId: events.at(-1)?.providerEventId, streamMayDrop: true })));
        }
        const last = events.at(-1)!.event as { type: string; error?: { type: string; message: string } };
        expect(last.type).toBe("session.error");
        expect(last.error!.type).toBe("memory_limit_exceeded");
        expect(last.error!.message).toContain("memory limit (64 MB, SANDBOX_MEMORY_MB)");
        expect(JSON.stringify(events)).not.toContain("HELD=300000000");
        // The sandbox and the session are still usable, and a turn without a kill ends normally: once the
        // supervisor has restarted a killed harness, and the command it ran (which outlives the harness and
        // goes on allocating until the kernel kills it too) is gone.
        // The session's newest sandbox: a new one when the kill took the old one's supervisor down.
        const [row] = await database.query<{ sandbox_id: string }>(
          `select sandbox_id from sandboxes where session_id = 'ses_mem' order by created_at desc limit 1`,
        );
        const supervisor = new SupervisorClient(await limited.connect(row!.sandbox_id), "ses_mem");
        const settled = async () =>
          (await supervisor.health()).harness?.state === "running" && Number((await limited.get(row!.sandbox_id))!.info.memoryBytes) < 40e6;
        for (let i = 0; i < 300 && !(await settled()); i++) await Bun.sleep(50);
        model.script([{ text: "still here" }]);
        const next = await send(a, "ses_mem", "are you there?");
        expect(next.at(-1)!.event.type).toBe("session.status_idle");
        expect(textOf(next)).toBe("still here");
      } finally {
        await limited.shutdown();
      }
    },
    60_000,
  );

  test("a warm sandbox is claimed (no cold start) when the agent's spec and harness setup match; its pre-started harness is kept (a hit), or restarted when it was set up otherwise (counted apart)", async () => {
    const p = new LocalSandboxProvider(providerOptions(() => model.port));
    await database.query(`insert into sessions (id, agent_id) values ('ses_recent', 'agent_rt') on conflict do nothing`);
    // What the pool starts for the agent: its sandbox spec and the harness setup a session binds (warm-spec.ts).
    /** After the first slot: the pool prepares the harness for another system prompt (the bind then restarts it). */
    let otherPrompt = false;
    const specFor = async () => {
      const base = sandboxSpecFor({ id: "agent_rt", harness: "builtin", environment: agent.environment }, LAP_CONTAINER_ENV);
      const setup = await harnessSetup({}, agent, null);
      return {
        spec: base.spec,
        hash: slotHash(base.hash, setup.hash),
        prepare: {
          preparation: otherPrompt ? { ...setup.preparation, systemPrompt: "set up for another prompt" } : setup.preparation,
          gatewayBaseUrl: "http://127.0.0.1:3000/v1",
        },
      };
    };
    const pool = new WarmPool({
      database,
      sessions: sessionsForSandboxes(database),
      provider: p,
      settings: { size: 1, ttlMinutes: 30, maxProvisioning: 1, recentAgentHours: 24 },
      specFor,
      logger: createLogger("silent"),
    });
    await pool.topUp();
    const [warm] = await database.query<{ sandbox_id: string }>(`select sandbox_id from sandboxes where status = 'warm'`);
    expect(warm).toBeTruthy();
    otherPrompt = true;
    const a = adapter(p, pool);
    await a.startSession({ ref: await a.ensureAgent(agent, null), agent, localSessionId: "ses_warm", title: "" });
    const [row] = await database.query<{ sandbox_id: string; status: string }>(
      `select sandbox_id, status from sandboxes where session_id = 'ses_warm'`,
    );
    // No cold start: the session runs in the sandbox the pool had started, and its harness was not restarted.
    expect(row).toEqual({ sandbox_id: warm!.sandbox_id, status: "claimed" });
    const health = await new SupervisorClient(await p.connect(warm!.sandbox_id), "ses_warm").health();
    expect([health.prepared, health.session_id]).toEqual(["kept", "ses_warm"]);
    model.script([{ text: "warm hello" }]);
    expect(JSON.stringify(await send(a, "ses_warm", "hi"))).toContain('"text":"hello"');

    // The refill's slot was prepared for another system prompt: the bind restarts its harness, and the
    // session is recorded as such (schema/sandboxes.ts start_kind), not as a pool hit.
    await pool.idle();
    const [refilled] = await database.query<{ sandbox_id: string }>(`select sandbox_id from sandboxes where status = 'warm'`);
    await a.startSession({ ref: await a.ensureAgent(agent, null), agent, localSessionId: "ses_warm_2", title: "" });
    const health2 = await new SupervisorClient(await p.connect(refilled!.sandbox_id), "ses_warm_2").health();
    expect([health2.prepared, health2.session_id]).toEqual(["restarted", "ses_warm_2"]);
    const kinds = await database.query<{ session_id: string; start_kind: string }>(
      `select session_id, start_kind from sandboxes where session_id in ('ses_warm', 'ses_warm_2') order by session_id`,
    );
    expect(kinds).toEqual([
      { session_id: "ses_warm", start_kind: "warm" },
      { session_id: "ses_warm_2", start_kind: "warm_restarted" },
    ]);
    expect((await poolStats(database, agentsForSandboxes(database), p.host)).find((r) => r.agent_id === "agent_rt")).toMatchObject({
      hits: 1,
      restarted: 1,
    });
    await pool.idle();
    await p.shutdown();
  }, 60_000);
});
