/**
 * A sandbox whose supervisor is killed while the rest of it lives on (the harness, a command it runs):
 * the kernel's pick at the memory limit when the harness's oom_score_adj was not raised, or any other
 * kill. LAP must see that sandbox as dead, end the turn it ran (naming the memory limit when kills at
 * it came first), and carry the session on in a new sandbox. Real bubblewrap sandboxes, a real cgroup.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { agentsForSandboxes } from "../../agents/for-sandboxes";
import type { Database } from "../../db/client";
import { createLogger } from "../../lib/logger";
import { type AgentDefinition, type RuntimeEvent, TurnLostError } from "../../runtimes/adapter";
import { sessionsForSandboxes } from "../../sessions/for-sandboxes";
import { testDatabase } from "../../../test/support/db";
import { type ScriptedOpenAI, startScriptedOpenAI } from "../../../test/support/scripted-openai";
import { BWRAP_MISSING, requires } from "../../../test/support/skip";
import { LocalSandboxProvider } from "../local-provider";
import { cgroupMissing, providerOptions } from "../test-helpers";
import { SandboxRuntimeAdapter } from "./sandbox-runtime";

let database: Database;
let model: ScriptedOpenAI;

const agent: AgentDefinition = {
  id: "agent_sd",
  name: "sd",
  description: "",
  model: "scripted-model",
  systemPrompt: "",
  tools: [],
  approvalRequiredTools: [],
  mcpServers: [],
  environment: {},
  repoUrl: null,
  repoBranch: null,
};

const adapter = (provider: LocalSandboxProvider) =>
  new SandboxRuntimeAdapter({
    database,
    sessions: sessionsForSandboxes(database),
    agents: agentsForSandboxes(database),
    provider,
    logger: createLogger("silent"),
    gatewayBaseUrl: "http://127.0.0.1:3000/v1",
    mintSessionKey: async ({ sessionId }) => `sk-lap-session-${sessionId}`,
    history: async () => [],
    containerEnv: {},
    workspacePath: (ws) => provider.workspacePath(ws),
    handOverWorkspace: (ws) => provider.handOverWorkspace(ws),
  });

beforeAll(async () => {
  database = await testDatabase();
  model = startScriptedOpenAI();
  await database.query(`insert into agents (id, name, model) values ('agent_sd', 'sd', 'scripted-model')`);
}, 60_000);

afterAll(async () => {
  await model.stop();
  await database.close();
});

/** The sandbox's supervisor on the host: the first `bun` below the sandbox's process (the harness is its child). */
function supervisorPid(sandboxPid: number): number {
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const dir of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${dir}/stat`, "utf8");
      name.set(Number(dir), stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
      parent.set(Number(dir), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {} // gone while listed
  }
  const below = (pid: number): boolean => pid === sandboxPid || (pid > 1 && below(parent.get(pid) ?? 0));
  const buns = [...name].filter(([pid, n]) => n === "bun" && below(pid)).map(([pid]) => pid);
  const supervisor = buns.find((pid) => !buns.includes(parent.get(pid) ?? 0));
  if (!supervisor) throw new Error(`no supervisor below sandbox process ${sandboxPid}`);
  return supervisor;
}

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false; // reaped
  }
};

const parentOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
};

/** Runs a host process in the sandbox's memory cgroup that grows until the kernel kills it at the limit. */
async function killOneAtTheMemoryLimit(provider: LocalSandboxProvider, sandboxId: string, supervisor: number) {
  const lines = readFileSync(`/proc/${supervisor}/cgroup`, "utf8").split("\n");
  const v1 = lines.find((l) => l.split(":")[1]?.split(",").includes("memory"));
  const procs = v1
    ? join("/sys/fs/cgroup/memory", v1.split(":")[2]!, "cgroup.procs")
    : join("/sys/fs/cgroup", lines.find((l) => l.startsWith("0::"))!.slice(3), "cgroup.procs");
  // tail keeps the last 1 GB of its input in memory: far past the limit, and the biggest process there.
  const script = 'echo $$ > "$1" && echo 1000 > /proc/self/oom_score_adj && head -c 1000000000 /dev/zero | tail -c 1000000000 > /dev/null';
  const hog = Bun.spawn(["sh", "-c", script, "sh", procs], { stderr: "pipe" });
  expect(await hog.exited).toBe(128 + 9); // tail's SIGKILL
  expect((await provider.get(sandboxId))!.info.oomKills).toBe(1);
}

/**
 * Starts a turn whose command runs on and, once the agent called it, kills the sandbox's supervisor
 * (after `beforeKill`); returns the events seen before.
 */
async function turnWithSupervisorKilled(
  a: SandboxRuntimeAdapter,
  provider: LocalSandboxProvider,
  sessionId: string,
  beforeKill = async (_sandboxId: string, _supervisor: number) => {},
  opts: { stallInit?: boolean } = {},
) {
  model.script([{ toolCalls: [{ name: "bash", arguments: { command: "sleep 30" } }] }, { text: "slept" }]);
  const [row] = await database.query<{ sandbox_id: string }>(`select sandbox_id from sandboxes where session_id = $1`, [sessionId]);
  const events: RuntimeEvent[] = [];
  let sending: Promise<void> = Promise.resolve();
  for await (const e of a.streamEvents(sessionId, {
    signal: AbortSignal.timeout(20_000),
    onOpen: () => void (sending = a.sendMessage(sessionId, [{ type: "text", text: "sleep" }])),
  })) {
    events.push(e);
    if (e.event.type === "agent.tool_use") break;
  }
  await sending;
  expect(events.map((e) => e.event.type)).toEqual(["session.status_running", "agent.tool_use"]);
  const supervisor = supervisorPid(Number((await provider.get(row!.sandbox_id))!.info.pid));
  await beforeKill(row!.sandbox_id, supervisor);
  // The sandbox's init (bubblewrap's) ends the sandbox when the supervisor dies, but not at once when it
  // is stalled (in a cgroup at its memory limit, say): stopped, it keeps the sandbox's process running.
  if (opts.stallInit) process.kill(parentOf(supervisor), "SIGSTOP");
  process.kill(supervisor, "SIGKILL");
  // Dead once a zombie or reaped: until then its socket may still answer.
  for (let i = 0; i < 500 && alive(supervisor); i++) await Bun.sleep(10);
  expect(alive(supervisor)).toBe(false);
  return events;
}

/** Re-opens the stream after the last event, as the session worker does (run-turn.ts); the error it ended with, if any. */
async function reopen(a: SandboxRuntimeAdapter, sessionId: string, afterEventId: string) {
  const events: RuntimeEvent[] = [];
  try {
    for await (const e of a.streamEvents(sessionId, { signal: AbortSignal.timeout(20_000), afterEventId, resuming: true })) {
      events.push(e);
      if (e.event.type === "session.error" || e.event.type === "session.status_idle") break;
    }
  } catch (err) {
    return { events, error: err as Error };
  }
  return { events, error: null };
}

/** A next turn on the session works: in a new sandbox, with the model's reply. */
async function nextTurnWorks(a: SandboxRuntimeAdapter, sessionId: string) {
  model.script([{ text: "still here" }]);
  const events: RuntimeEvent[] = [];
  let sending: Promise<void> = Promise.resolve();
  for await (const e of a.streamEvents(sessionId, {
    signal: AbortSignal.timeout(20_000),
    onOpen: () => void (sending = a.sendMessage(sessionId, [{ type: "text", text: "are you there?" }])),
  })) {
    events.push(e);
    if (e.event.type === "session.error" || e.event.type === "session.status_idle") break;
  }
  await sending;
  expect(events.at(-1)!.event.type).toBe("session.status_idle");
  const text = events.map((e) =>
    e.event.type === "agent.message" ? (e.event as { content: Array<{ text: string }> }).content[0]!.text : "",
  );
  expect(text.join("")).toBe("still here");
  const rows = await database.query<{ status: string }>(`select status from sandboxes where session_id = $1 order by created_at`, [
    sessionId,
  ]);
  expect(rows.map((r) => r.status)).toEqual(["dead", "claimed"]);
}

describe("a sandbox whose supervisor was killed", () => {
  requires(BWRAP_MISSING).test(
    "is dead to LAP although the sandbox's process runs on: the turn is lost (TurnLostError saying why), and the session goes on in a new sandbox",
    async () => {
      const provider = new LocalSandboxProvider(providerOptions(() => model.port));
      try {
        const a = adapter(provider);
        await a.startSession({ ref: await a.ensureAgent(agent, null), agent, localSessionId: "ses_supkill", title: "" });
        const events = await turnWithSupervisorKilled(a, provider, "ses_supkill", undefined, { stallInit: true });
        const again = await reopen(a, "ses_supkill", events.at(-1)!.providerEventId!);
        expect(again.events.map((e) => e.event.type)).toEqual(["session.recovered"]);
        expect(again.error).toBeInstanceOf(TurnLostError);
        expect((again.error as TurnLostError).reason).toBe("sandbox_lost");
        expect(again.error!.message).toContain("its supervisor stopped answering");
        expect(again.error!.message).not.toContain("memory limit");
        await nextTurnWorks(a, "ses_supkill");
      } finally {
        await provider.shutdown();
      }
    },
    60_000,
  );

  requires(cgroupMissing("memory")).test(
    "after a kill at SANDBOX_MEMORY_MB: the turn ends in a session.error naming the limit, also for a stream re-opened after the last event",
    async () => {
      const provider = new LocalSandboxProvider(providerOptions(() => model.port, { defaultLimits: { memoryMb: 256 } }));
      try {
        const a = adapter(provider);
        await a.startSession({ ref: await a.ensureAgent(agent, null), agent, localSessionId: "ses_supmem", title: "" });
        const events = await turnWithSupervisorKilled(a, provider, "ses_supmem", (id, pid) => killOneAtTheMemoryLimit(provider, id, pid));
        const again = await reopen(a, "ses_supmem", events.at(-1)!.providerEventId!);
        expect(again.error).toBeNull();
        expect(again.events.map((e) => e.event.type)).toEqual(["session.recovered", "session.error"]);
        expect(JSON.stringify(again.events[0]!.event)).toContain("memory limit (256 MB, SANDBOX_MEMORY_MB)");
        const error = (again.events[1]!.event as unknown as { error: { type: string; message: string } }).error;
        expect(error.type).toBe("memory_limit_exceeded");
        expect(error.message).toContain("The sandbox running this turn died");
        expect(error.message).toContain("memory limit (256 MB, SANDBOX_MEMORY_MB)");
        await nextTurnWorks(a, "ses_supmem");
      } finally {
        await provider.shutdown();
      }
    },
    60_000,
  );
});
