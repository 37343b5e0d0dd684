import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ScriptedOpenAI, startScriptedOpenAI } from "../../test/support/scripted-openai";
import { LocalSandboxProvider } from "./local-provider";
import { SandboxError } from "./provider";
import { SupervisorClient } from "./supervisor-client";
import { requires } from "../../test/support/skip";
import { binding, cgroupMissing, providerOptions, toolOutputs } from "./test-helpers";

let model: ScriptedOpenAI;
let provider: LocalSandboxProvider;
const exits: string[] = [];

beforeAll(() => {
  model = startScriptedOpenAI();
  provider = new LocalSandboxProvider(providerOptions(() => model.port, { onExit: (h) => exits.push(h.id) }));
}, 60_000);

afterAll(async () => {
  await provider.shutdown();
  await model.stop();
});

async function boundSandbox(
  workspaceId: string,
  sessionId: string,
  limits?: { cpuSeconds?: number; maxProcesses?: number; memoryMb?: number },
) {
  const h = await provider.create({ harness: "builtin", env: { GREETING: "hello" }, workspaceId, limits });
  await provider.waitReady(h.id, { timeoutMs: 20_000 });
  await provider.bind(h.id, binding(sessionId, `${model.url}`));
  return { id: h.id, client: new SupervisorClient(await provider.connect(h.id), sessionId) };
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {}
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
  return out;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });

describe("local bubblewrap provider", () => {
  test("the built-in agent edits files and runs commands in its sandbox, through the bridged gateway", async () => {
    const { id, client } = await boundSandbox("ws-basic", "ses_basic");
    model.script([
      { toolCalls: [{ name: "write", arguments: { path: "hello.txt", content: "hi from the agent\n" } }] },
      bash("cat hello.txt && echo GREETING=$GREETING && pwd"),
      { text: "All done." },
    ]);
    const events = await client.runTurn("make a file");
    expect(events.map((e) => e.type)).toEqual([
      "session.status_running",
      "agent.tool_use",
      "agent.tool_result",
      "agent.tool_use",
      "agent.tool_result",
      "agent.message",
      "agent.message",
      "session.status_idle",
    ]);
    expect(toolOutputs(events)).toContain("hi from the agent\nGREETING=hello\n/workspace");
    expect(readFileSync(join(provider.workspacePath("ws-basic"), "hello.txt"), "utf8")).toBe("hi from the agent\n");
    // The model was called with the session key and the agent's model, never anything else.
    expect(model.requests.every((r) => r.authorization === "Bearer sk-session-ses_basic" && r.model === "scripted-model")).toBe(true);
    await provider.destroy(id);
  }, 30_000);

  test("isolation: read-only system, private /tmp, no network but LAP, own pid namespace, no host secrets", async () => {
    const marker = `/tmp/lap-host-marker-${process.pid}`;
    writeFileSync(marker, "host");
    process.env.LAP_TEST_REAL_PROVIDER_KEY = "sk-real-provider-key-0123456789";
    const { id, client } = await boundSandbox("ws-iso", "ses_iso");
    model.script([
      bash(
        [
          "touch /usr/lap-x 2>&1 || echo USR_READONLY",
          "touch /etc/lap-x 2>&1 || echo ETC_READONLY",
          `test -e ${marker} && echo HOST_TMP_VISIBLE || echo TMP_PRIVATE`,
          "test -e /etc/shadow && echo SHADOW_VISIBLE || echo NO_SHADOW",
          "(exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && echo PG_REACHABLE || echo PG_UNREACHABLE",
          "(exec 3<>/dev/tcp/1.1.1.1/53) 2>/dev/null && echo NET_REACHABLE || echo NET_UNREACHABLE",
          "(exec 3<>/dev/tcp/127.0.0.1/4000) 2>/dev/null && echo LAP_REACHABLE",
          "echo PIDS=$(ls /proc | grep -c '^[0-9]')",
          "echo HOSTNAME=$(hostname)",
          "grep -rl sk-real-provider-ke[y] /proc/[0-9]*/environ /proc/[0-9]*/cmdline /workspace /tmp /run /etc 2>/dev/null; echo SECRET_SCAN_DONE",
          "env | grep -c sk-real || true",
          "ls /run/lap",
        ].join("; "),
      ),
      { text: "checked" },
    ]);
    const out = toolOutputs(await client.runTurn("check isolation"));
    rmSync(marker);
    delete process.env.LAP_TEST_REAL_PROVIDER_KEY;
    for (const want of [
      "USR_READONLY",
      "ETC_READONLY",
      "TMP_PRIVATE",
      "NO_SHADOW",
      "PG_UNREACHABLE",
      "NET_UNREACHABLE",
      "LAP_REACHABLE",
      "HOSTNAME=lap-sandbox",
      "SECRET_SCAN_DONE",
    ]) {
      expect(out).toContain(want);
    }
    expect(out).not.toContain("/proc/");
    // supervisor, its harness, bash and a few children: nothing from the host.
    expect(Number(/PIDS=(\d+)/.exec(out)![1])).toBeLessThan(12);
    // The supervisor's one-time token file is gone before the agent runs.
    expect(out).not.toMatch(/\btoken\b/);
    await provider.destroy(id);
  }, 30_000);

  test("the workspace survives a stop and comes back in a new sandbox", async () => {
    const first = await boundSandbox("ws-keep", "ses_keep1");
    model.script([bash("echo kept > notes.md"), { text: "ok" }]);
    await first.client.runTurn("write notes");
    await provider.stop(first.id);
    expect((await provider.get(first.id))!.state).toBe("stopped");
    const second = await boundSandbox("ws-keep", "ses_keep2");
    model.script([bash("cat notes.md"), { text: "ok" }]);
    expect(toolOutputs(await second.client.runTurn("read notes"))).toContain("kept");
    await provider.destroy(second.id, { dropWorkspace: true });
    expect(existsSync(provider.workspacePath("ws-keep"))).toBe(false);
  }, 30_000);

  test("a killed sandbox is reported as failed and LAP is told", async () => {
    const { id } = await boundSandbox("ws-kill", "ses_kill");
    const pid = (await provider.get(id))!.info.pid as number;
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 200 && !exits.includes(id); i++) await Bun.sleep(10);
    expect(exits).toContain(id);
    const h = (await provider.get(id))!;
    expect(h.state).toBe("failed");
    expect(h.error).toContain("SIGKILL");
    await expect(provider.connect(id)).rejects.toBeInstanceOf(SandboxError);
  }, 30_000);

  requires(cgroupMissing("pids")).test(
    "limits: a fork bomb is stopped by the pids cgroup",
    async () => {
      const { id, client } = await boundSandbox("ws-pids", "ses_pids", { maxProcesses: 60 });
      const started = (await provider.get(id))!;
      expect(String(started.info.limits)).toContain("pids");
      expect(started.info.pidsRefused).toBe(0);
      model.script([bash("for i in $(seq 200); do sleep 60 >/dev/null & done 2>&1 | tail -1; echo FORKS_DONE"), { text: "ok" }]);
      // Bash keeps retrying refused forks, so the turn may not end soon: watch the sandbox instead.
      const turn = client.runTurn("fork a lot", { timeoutMs: 30_000 }).catch(() => []);
      const root = started.info.pid as number;
      let most = 0;
      let refused = 0;
      let state = started.state;
      for (let i = 0; i < 300 && refused === 0 && state === "ready"; i++) {
        await Bun.sleep(100);
        most = Math.max(most, descendants(root).length);
        const now = (await provider.get(id))!;
        state = now.state;
        refused = Number(now.info.pidsRefused ?? 0);
      }
      // The kernel refused forks at the limit (or the harness, unable to start a thread, died and LAP
      // was told), and the sandbox never held more than its 60 processes (+1: the launcher outside it).
      expect(refused > 0 || (state === "failed" && exits.includes(id))).toBe(true);
      expect(most).toBeLessThanOrEqual(61);
      await provider.destroy(id);
      await turn;
    },
    60_000,
  );

  test("limits: CPU seconds end a spinning process with SIGXCPU", async () => {
    const { id, client } = await boundSandbox("ws-cpu", "ses_cpu", { cpuSeconds: 1 });
    model.script([bash("timeout 10 bash -c 'while :; do :; done'; echo SPIN_EXIT=$?"), { text: "ok" }]);
    const out = toolOutputs(await client.runTurn("spin", { timeoutMs: 30_000 }));
    // RLIMIT_CPU applies per process: the shell gets SIGXCPU (exit 152) long before `timeout` (124).
    expect(out).toMatch(/SPIN_EXIT=(152|137)/);
    await provider.destroy(id);
  }, 40_000);

  test("sandboxes die with the LAP process that started them (--die-with-parent)", async () => {
    const lap = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures", "hold-one-sandbox.ts")], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const reader = (lap.stdout as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    const { pid } = JSON.parse(new TextDecoder().decode(value)) as { pid: number };
    const tree = descendants(pid);
    expect(tree.length).toBeGreaterThanOrEqual(3); // bwrap, its init, the supervisor, the harness
    lap.kill("SIGKILL");
    await lap.exited;
    for (let i = 0; i < 100 && tree.some(alive); i++) await Bun.sleep(20);
    expect(tree.filter(alive)).toEqual([]);
  }, 30_000);

  test("a clear error pointing at `lap doctor` when bubblewrap is missing", async () => {
    const missing = new LocalSandboxProvider(
      providerOptions(() => model.port),
      "/nonexistent/bwrap",
    );
    const err = await missing.create({ harness: "builtin", env: {}, workspaceId: "ws-x" }).catch((e) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect(err.reason).toBe("unavailable");
    expect(err.message).toContain("lap doctor");
    expect(err.message).toContain("apt-get install -y bubblewrap");
  });
});
