/**
 * LAP started from the image's filesystem the way `docker run` would start it (scripts/image/container.ts),
 * with a small client for its API, and the waiting the image test needs.
 */
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChildOutput } from "../../test/support/child-output.ts";
import { killContainer, signalContainer, startContainer, type ContainerOptions } from "./container.ts";
import { envList, type ImageConfig } from "./podman.ts";

export type Cleanups = Array<() => Promise<unknown> | unknown>;

export const ms = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`;

export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  limitMs: number,
  output?: { text(): string },
): Promise<T> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const value = await fn().catch(() => undefined);
    if (value) return value;
    await Bun.sleep(250);
  }
  throw new Error(
    `timed out after ${limitMs / 1000} s waiting for ${what}${output ? `\n--- output ---\n${output.text().slice(-4000)}` : ""}`,
  );
}

export async function freePort(): Promise<number> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

/** A host directory standing for the image's data volume, owned by the image's user. */
export function volumeDir(uid: number, gid: number, cleanups: Cleanups): string {
  const dir = mkdtempSync(join(tmpdir(), "lap-image-volume-"));
  chownSync(dir, uid, gid);
  chmodSync(dir, 0o700);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Lap {
  url: string;
  output: { text(): string };
  proc: ReturnType<typeof startContainer>;
  // biome-ignore lint/suspicious/noExplicitAny: test helper: each caller names the body type it expects
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/**
 * The session's spend rows once there are `count` (one per model call): the gateway writes them in
 * batches (LAP_GATEWAY_SPEND_FLUSH_MS), so a read right after the turn can come before the flush.
 */
export async function waitForSpendRows(lap: Lap, sessionId: string, count: number, limitMs = 30_000): Promise<unknown[]> {
  const rows = async () => {
    const spend = await lap.api<{ data?: unknown[] } | unknown[]>("GET", `/spend/logs?session_id=${sessionId}`);
    return Array.isArray(spend.body) ? spend.body : (spend.body.data ?? []);
  };
  return waitUntil(
    `${count} spend row(s) for session ${sessionId}`,
    async () => {
      const found = await rows();
      return found.length >= count ? found : null;
    },
    limitMs,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}; found ${(await rows()).length}`);
  });
}

/** The image's ENTRYPOINT + CMD with its ENV and `extraEnv`, on a free loopback port. */
export async function startLap(
  base: Omit<ContainerOptions, "argv" | "env">,
  config: ImageConfig,
  extraEnv: Record<string, string>,
  key: string,
  cleanups: Cleanups,
): Promise<Lap> {
  const port = await freePort();
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  // As `docker run -e ... -p 127.0.0.1:<port>:3000 --network host` would: the image's ENV, then ours.
  const env = { ...envList(config.Env), HOST: "127.0.0.1", PORT: String(port), ...extraEnv };
  const proc = startContainer({ ...base, env, argv });
  const output = new ChildOutput(proc.stdout);
  const errors = new ChildOutput(proc.stderr);
  cleanups.push(() => killContainer(proc));
  const url = `http://127.0.0.1:${port}`;
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  return { url, output: { text: () => `${output.text()}\n${errors.text()}` }, proc, api };
}

/** `docker stop`: SIGTERM to the container's PID 1, the exit code, or an error after `limitMs`. */
export async function stopLap(lap: Lap, limitMs = 20_000): Promise<number> {
  if (!signalContainer(lap.proc, "SIGTERM")) throw new Error("the container has no PID 1 to signal");
  const code = await Promise.race([lap.proc.exited, Bun.sleep(limitMs).then(() => null)]);
  if (code === null) {
    killContainer(lap.proc);
    throw new Error(`LAP did not stop within ${limitMs / 1000} s of SIGTERM\n${lap.output.text().slice(-3000)}`);
  }
  return code;
}
