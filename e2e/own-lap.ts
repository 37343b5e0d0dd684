/**
 * A LAP of a test file's own: `lap up` on a free port and a fresh data directory, for files that need an
 * empty LAP or settings the shared one does not have (the shared one is started by playwright.config.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port";
import { MASTER_KEY } from "./support";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const BUN = join(ROOT, ".tools/node_modules/.bin/bun");

export interface OwnLap {
  port: number;
  base: string;
  dataDir: string;
  process: ChildProcess;
  stop(): void;
}

/** Picks the port and data directory now (so a test can name them in its setup) and starts LAP later. */
export async function ownLapAddress(name: string): Promise<{ port: number; base: string; dataDir: string }> {
  const port = await freePort();
  return { port, base: `http://127.0.0.1:${port}`, dataDir: mkdtempSync(join(tmpdir(), `lap-e2e-${name}-`)) };
}

/** Starts `lap up` with MASTER_KEY and `env` on top of this process's environment; resolves once ready. */
export async function startOwnLap(
  address: { port: number; base: string; dataDir: string },
  env: Record<string, string> = {},
  opts: { readyTimeoutMs?: number } = {},
): Promise<OwnLap> {
  const child = spawn(BUN, ["bin/lap.ts", "up"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      PORT: String(address.port),
      HOST: "127.0.0.1",
      LAP_DATA_DIR: address.dataDir,
      MASTER_KEY,
      LOG_LEVEL: "warn",
      ...env,
    },
  });
  const lap: OwnLap = { ...address, process: child, stop: () => child.kill("SIGTERM") };
  const until = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  for (;;) {
    const ready = await fetch(`${address.base}/health/readiness`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return lap;
    if (child.exitCode !== null) throw new Error(`LAP exited with code ${child.exitCode}`);
    if (Date.now() > until) {
      lap.stop();
      throw new Error("LAP did not become ready");
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The Managed Agents stand-in (test/support/fake-managed-agents-server.ts): its URL once it listens. */
export async function startFakeRuntime(): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn(BUN, ["test/support/fake-managed-agents-server.ts"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      const m = /FAKE_RUNTIME_URL=(\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.once("exit", () => reject(new Error("fake runtime exited")));
  });
  return { url, process: child };
}
