/**
 * Host sandboxes never outlive their LAP: real processes, real bubblewrap. The launcher arms the
 * parent-death signal before anything runs and refuses to run for a parent already gone; a LAP that
 * starts finds and kills what an earlier, dead LAP on the same data dir left, and spares sandboxes
 * whose LAP is alive.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killMarked, markedProcesses, noneMarkedWithin } from "../../../test/support/processes";
import { LocalSandboxProvider } from "../local-provider";
import { providerOptions, REPO_ROOT } from "../test-helpers";
import { bwrapFeatures, localSandboxCommand } from "./bwrap";
import { SandboxUsers } from "./sandbox-user";
import { PARENT_GONE_EXIT, parentBoundCommand } from "../../lib/parent-bound";
import { processIdentity, RUN_DIR_MARK } from "./processes";

const markers: string[] = [];
const marker = () => {
  const m = `lap-proc-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  markers.push(m);
  return m;
};
afterEach(() => {
  for (const m of markers.splice(0)) killMarked(m);
});

/** A bun process that spawns `command` the way LAP does (parent-bound or not), prints the child's pid, and waits. */
function intermediate(command: string[], bound: boolean, mark: string) {
  const script = `
    const { parentBoundCommand } = await import(${JSON.stringify(join(import.meta.dir, "../../lib/parent-bound.ts"))});
    const command = ${JSON.stringify(command)};
    const p = Bun.spawn(${bound ? "parentBoundCommand(command)" : "command"}, { stdout: "ignore", stderr: "ignore" });
    console.log(p.pid);
    setInterval(() => {}, 1000);`;
  // The mark is in the environment, which the command inherits (argv would be lost at its exec).
  return Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit", env: { ...process.env, LAP_TEST_MARK: mark } });
}
async function firstLine(proc: ReturnType<typeof intermediate>) {
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  return Number(new TextDecoder().decode(value).trim());
}

describe("parentBoundCommand", () => {
  test("runs the command when its parent is the LAP it names", async () => {
    const m = marker();
    const out = Bun.spawnSync(parentBoundCommand(["/bin/sh", "-c", `echo ran ${m}`]));
    expect(out.exitCode).toBe(0);
    expect(out.stdout.toString()).toContain(`ran ${m}`);
  });

  test("exits without running the command when its parent is not that LAP any more (the race bwrap leaves open)", () => {
    const dir = mkdtempSync(join(tmpdir(), "lap-proc-"));
    // As if LAP had died between spawning and the check: the named parent is some other process.
    const out = Bun.spawnSync(parentBoundCommand(["/bin/sh", "-c", `touch ${dir}/ran`], 1));
    expect(out.exitCode).toBe(PARENT_GONE_EXIT);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("SIGKILL of the spawning process kills the command; without the wrapper it would survive", async () => {
    const bound = marker();
    const loose = marker();
    const boundParent = intermediate(["/bin/sleep", "300"], true, bound);
    const looseParent = intermediate(["/bin/sleep", "300"], false, loose);
    await Promise.all([firstLine(boundParent), firstLine(looseParent)]);
    expect(markedProcesses(bound).length).toBeGreaterThan(0);
    expect(markedProcesses(loose).length).toBeGreaterThan(0);
    boundParent.kill("SIGKILL");
    looseParent.kill("SIGKILL");
    await Promise.all([boundParent.exited, looseParent.exited]);
    expect(await noneMarkedWithin(bound, 5_000)).toBe(true);
    await Bun.sleep(200);
    expect(markedProcesses(loose).length).toBeGreaterThan(0);
  }, 30_000);
});

describe("start-up recovery of host sandboxes", () => {
  /** A real bubblewrap jail naming `runDir` the way a sandbox does, orphaned (its launching shell exits at once). */
  function orphanSandbox(dataDir: string, id: string) {
    const runDir = join(dataDir, "run", id);
    const workspace = join(dataDir, "workspaces", "ws");
    mkdirSync(runDir, { recursive: true });
    markers.push(runDir);
    mkdirSync(workspace, { recursive: true });
    const user = new SandboxUsers().forProbe();
    const cmd = localSandboxCommand(
      { bunPath: realpathSync(process.execPath), harnessRoot: join(REPO_ROOT, "harness"), workspace, runDir },
      ["/bin/sleep", "300"],
      {
        user,
        disableUserns: bwrapFeatures().disableUserns,
        unsetEnv: [RUN_DIR_MARK],
        parentPid: null, // orphaned on purpose: no parent to check
      },
    );
    const quoted = cmd.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    // The provider marks a sandbox's outer processes with its run dir in the environment (their argv does not name it).
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", [RUN_DIR_MARK]: runDir };
    expect(Bun.spawnSync(["/bin/sh", "-c", `${quoted} </dev/null >/dev/null 2>&1 &`], { env }).exitCode).toBe(0);
    return runDir;
  }
  const pidsNaming = (runDir: string) => markedProcesses(runDir);

  test("a sandbox whose LAP is gone is killed and its run directory removed when the next LAP starts", async () => {
    const opts = providerOptions(() => 1);
    const runDir = orphanSandbox(opts.dataDir, "sbx_0123456789ab");
    // A dead owner: pid 1 with a start time it never had.
    writeFileSync(`${runDir}.owner`, "1:999999999999");
    const deadline = Date.now() + 10_000;
    while (pidsNaming(runDir).length < 2 && Date.now() < deadline) await Bun.sleep(20);
    const before = pidsNaming(runDir);
    expect(before.length).toBeGreaterThanOrEqual(2); // bwrap outside and the namespace's init
    const provider = new LocalSandboxProvider(opts);
    expect(await noneMarkedWithin(runDir, 5_000)).toBe(true);
    expect(existsSync(runDir)).toBe(false);
    expect(existsSync(`${runDir}.owner`)).toBe(false);
    await provider.shutdown();
  }, 30_000);

  test("a sandbox whose LAP is alive (here: this process) is left alone", async () => {
    const opts = providerOptions(() => 1);
    const runDir = orphanSandbox(opts.dataDir, "sbx_ba9876543210");
    writeFileSync(`${runDir}.owner`, processIdentity());
    const deadline = Date.now() + 10_000;
    while (pidsNaming(runDir).length < 2 && Date.now() < deadline) await Bun.sleep(20);
    const provider = new LocalSandboxProvider(opts);
    await Bun.sleep(300);
    expect(pidsNaming(runDir).length).toBeGreaterThanOrEqual(2);
    expect(existsSync(runDir)).toBe(true);
    await provider.shutdown();
  }, 30_000);
});

describe("process provider (no pid namespace)", () => {
  test("SIGKILL of its LAP takes the supervisor with it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "lap-proc-lap-"));
    markers.push(dataDir);
    const script = `
      const { ProcessSandboxProvider } = await import(${JSON.stringify(join(import.meta.dir, "../process-provider.ts"))});
      const { providerOptions } = await import(${JSON.stringify(join(import.meta.dir, "../test-helpers.ts"))});
      const p = new ProcessSandboxProvider({ ...providerOptions(() => 1), dataDir: ${JSON.stringify(dataDir)} });
      const h = await p.create({ workspaceId: "ws", harness: "builtin", env: {}, labels: {} });
      await p.waitReady(h.id, { timeoutMs: 30000 });
      console.log(h.info.pid);
      setInterval(() => {}, 1000);`;
    const lap = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
    const supervisor = await firstLine(lap);
    expect(supervisor).toBeGreaterThan(0);
    const sandbox = markedProcesses(join(dataDir, "run", "sbx_"));
    expect(sandbox).toContain(supervisor);
    lap.kill("SIGKILL");
    await lap.exited;
    expect(await noneMarkedWithin(join(dataDir, "run", "sbx_"), 5_000)).toBe(true);
  }, 60_000);

  test("a supervisor left by a dead LAP (found by LAP_SUPERVISOR_SOCKET) is killed at the next start", async () => {
    const opts = providerOptions(() => 1);
    const runDir = join(opts.dataDir, "run", "sbx_00aa00aa00aa");
    mkdirSync(runDir, { recursive: true });
    markers.push(runDir);
    // Orphaned at once: the shell that starts it exits.
    const env = { PATH: process.env.PATH ?? "", LAP_SUPERVISOR_SOCKET: join(runDir, "supervisor.sock") };
    expect(Bun.spawnSync(["/bin/sh", "-c", "sleep 300 </dev/null >/dev/null 2>&1 &"], { env }).exitCode).toBe(0);
    const deadline = Date.now() + 5_000;
    while (!markedProcesses(runDir).length && Date.now() < deadline) await Bun.sleep(20);
    expect(markedProcesses(runDir).length).toBe(1);
    const provider = new LocalSandboxProvider(opts);
    expect(await noneMarkedWithin(runDir, 5_000)).toBe(true);
    await provider.shutdown();
  }, 30_000);
});

afterAll(() => {
  for (const m of markers) killMarked(m);
});
