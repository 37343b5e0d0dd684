/**
 * `lap` as a real child process, for CLI tests. Every `lap up` is registered the moment it is
 * spawned (before its banner is awaited), so `stopLapChildren()` in an afterEach kills it whatever
 * happened: an assertion failing mid-test, a banner that never came, a Promise.all that rejected
 * while its sibling was still starting. Processes are also found by their LAP_DATA_DIR, which catches
 * anything they started (sandboxes) too.
 */
import type { Subprocess } from "bun";
import { join } from "node:path";
import { ChildOutput } from "./child-output";
import { killMarked } from "./processes";

const ROOT = join(import.meta.dir, "../..");
const LAP = [process.execPath, join(ROOT, "bin/lap.ts")];
export const baseEnv = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn" };

const children = new Set<Subprocess>();
const dataDirs = new Set<string>();

/**
 * Starts `lap up` and waits for the banner (60 s). Both pipes are drained for the child's whole life
 * (see ChildOutput); `stdout.text()` / `stderr.text()` keep their first and last 16 KB.
 */
export async function startUp(env: Record<string, string>) {
  const proc = Bun.spawn([...LAP, "up"], {
    cwd: ROOT,
    env: { ...baseEnv, PORT: "0", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  children.add(proc);
  if (env.LAP_DATA_DIR) dataDirs.add(env.LAP_DATA_DIR);
  const stdout = new ChildOutput(proc.stdout);
  const stderr = new ChildOutput(proc.stderr);
  const banner = await stderr.waitFor(/Dashboard\s+http:\/\/\S+\/[\s\S]*Log in/, 60_000, "lap up");
  const url = /Dashboard\s+(http:\/\/\S+?)\//.exec(banner)![1]!;
  return { proc, url, banner, stdout, stderr };
}

/** Runs a `lap` command to completion. */
export async function run(args: string[], env: Record<string, string>) {
  const proc = Bun.spawn([...LAP, ...args], { cwd: ROOT, env: { ...baseEnv, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  children.add(proc);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  children.delete(proc);
  return { stdout, stderr, code };
}

/** SIGKILLs every `lap` child still running and every process naming one of their data dirs; for afterEach. */
export async function stopLapChildren() {
  const running = [...children];
  children.clear();
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await Promise.all(running.map((p) => p.exited));
  for (const dir of dataDirs) killMarked(dir);
  dataDirs.clear();
}
