/**
 * A real `lap up` in its own process on a fixed loopback port, for tests that kill LAP and start it again
 * on the same data (the port stays, so sandboxes and pods reach the restarted LAP where they reached the old one).
 */
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ChildOutput } from "./child-output";

const ROOT = join(import.meta.dir, "../..");

/** A port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  await s.stop(true);
  return port;
}

export interface LapChild {
  child: Subprocess<"ignore", "ignore", "pipe">;
  /** What LAP wrote to stderr so far (for failure messages). */
  stderr: ChildOutput;
  /** SIGKILL, as a crash or the OOM killer would, and wait for the exit. */
  kill9(): Promise<void>;
}

/** Starts `lap up` with `env` and waits until `base`/health/readiness answers (60 s). */
export async function startLapChild(env: Record<string, string>, base: string): Promise<LapChild> {
  const child = Bun.spawn([process.execPath, "bin/lap.ts", "up"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  const stderr = new ChildOutput(child.stderr);
  const kill9 = async () => {
    child.kill("SIGKILL");
    await child.exited;
  };
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (
      await fetch(`${base}/health/readiness`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, stderr, kill9 };
    if (child.exitCode !== null) throw new Error(`LAP exited: ${await stderr.finished}`);
    await Bun.sleep(100);
  }
  throw new Error(`LAP did not become ready: ${stderr.text()}`);
}
