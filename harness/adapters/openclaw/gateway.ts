// OpenClaw's Gateway, one per LAP session, inside the sandbox: `openclaw gateway run` on a free
// loopback port with a random token, its state (sessions, transcripts) under the harness home. The
// ACP bridge (`openclaw acp`) is its only client. OpenClaw runs on its own Node (binaries.ts).
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { baseEnv, harnessBinary, openclawNode } from "../binaries.ts";
import { type CliProcess, spawnCli } from "../process.ts";
import type { HarnessConfig } from "../types.ts";
import { KEY_ENV, openclawConfig } from "./config.ts";

/** A cold Gateway start took 10 s on an idle 2-core machine and 50 s under load 18. */
const READY_TIMEOUT_MS = 150_000;

/**
 * Why the Gateway's last run failed, from its console: the ACP bridge ends a failed run as a plain
 * `end_turn` and drops the error (acp.md, "Gateway stop states translate into ACP stop reasons"), so the
 * adapter reads it here: the provider's HTTP status and OpenClaw's "failed before reply" message.
 */
export class RunFailure {
  status: number | undefined;
  message: string | undefined;

  reset(): void {
    this.status = undefined;
    this.message = undefined;
  }

  /** One console line of the Gateway (stdout or stderr), colours stripped. */
  read(line: string): void {
    const status = /\[model-fetch\] response provider=\S+ .*\bstatus=(\d{3})\b/.exec(line);
    if (status && Number(status[1]) >= 400) this.status = Number(status[1]);
    const failed = /(?:Embedded agent failed before reply|Embedded agent failed): (.*)$/.exec(line);
    if (failed) this.message = failed[1]!.trim();
  }
}

export type Gateway = { cli: CliProcess; url: string; tokenFile: string; failure: RunFailure };

const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "");

/** A free loopback port (the Gateway takes a fixed one from its config). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The environment of both OpenClaw processes: the minimal harness env plus OpenClaw's own switches. */
export function openclawEnv(config: HarnessConfig, stateDir: string, token: string): Record<string, string> {
  return baseEnv(config.home, {
    ...config.env,
    [KEY_ENV]: config.apiKey,
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: join(stateDir, "openclaw.json"),
    OPENCLAW_GATEWAY_TOKEN: token,
    // No restart hand-off to a supervisor (a Gateway restart stays in-process).
    OPENCLAW_NO_RESPAWN: "1",
    OPENCLAW_HIDE_BANNER: "1",
    OPENCLAW_SUPPRESS_NOTES: "1",
    OPENCLAW_NO_AUTO_UPDATE: "1",
    OPENCLAW_DISABLE_BONJOUR: "1",
    // No NODE_COMPILE_CACHE: with one set, OpenClaw's launcher re-spawns itself with its own sub-directory of it
    // (`respawnWithPackagedCompileCacheIfNeeded` in openclaw.mjs), so every process started twice and the first
    // stayed as a signal bridge. Without it OpenClaw enables its cache in the temp dir itself, in one process.
  });
}

/** Signals the Gateway's whole process group (it runs detached), or the process alone if that fails. */
export function killGroup(cli: CliProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-cli.proc.pid, signal);
  } catch {
    cli.kill(signal);
  }
}

/**
 * The agent's system prompt (with its always-on memory, docs/memory.md) as SOUL.md in OpenClaw's agent
 * workspace: OpenClaw owns its system prompt and has no setting to add to it, but injects that
 * workspace's bootstrap files (AGENTS.md with LAP's rules, SOUL.md) into it on every run.
 */
export function writeSoul(agentDir: string, systemPrompt: string | undefined): void {
  const soul = join(agentDir, "SOUL.md");
  rmSync(soul, { force: true });
  if (systemPrompt?.trim()) writeFileSync(soul, `${systemPrompt.trim()}\n`, { mode: 0o600 });
}

export async function startGateway(
  config: HarnessConfig,
  stateDir: string,
  onExit: (cli: CliProcess, code: number) => void,
  warmUpUrl?: string,
): Promise<Gateway> {
  const entry = config.binary ?? harnessBinary("openclaw");
  const port = await freePort();
  const token = randomBytes(24).toString("hex");
  mkdirSync(join(stateDir, "workspace"), { recursive: true, mode: 0o700 });
  // The rules and skills may have made it first (harness/context.ts), with default permissions.
  chmodSync(stateDir, 0o700);
  writeSoul(join(stateDir, "workspace"), config.systemPrompt);
  const tokenFile = join(stateDir, "gateway.token");
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const settings = openclawConfig(config, port, { workspace: config.workspace, agentDir: join(stateDir, "workspace") }, warmUpUrl);
  const withLog = { ...settings, logging: { file: join(stateDir, "logs", "openclaw.log") } };
  writeFileSync(join(stateDir, "openclaw.json"), JSON.stringify(withLog, null, 2), { mode: 0o600 });
  const failure = new RunFailure();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const cli = spawnCli({
    cmd: [openclawNode(entry), entry, "gateway", "run", "--port", String(port), "--bind", "loopback", "--auth", "token"],
    argv0: "openclaw-gateway",
    // Its own process group: its helper processes (sqlite, spawn broker) hold its stdout, so only a
    // group kill ends it (killGateway), and its end is the process's exit, not the pipe's close.
    detached: true,
    cwd: config.workspace,
    env: openclawEnv(config, stateDir, token),
    // "[gateway] ready" (after the HTTP server, channels and sidecars are up).
    onLine: (line) => {
      const text = plain(line);
      if (/\[gateway\]\s+ready\b/.test(text)) markReady();
      failure.read(text);
    },
    onStderrLine: (line) => failure.read(plain(line)),
  });
  void cli.proc.exited.then((code) => onExit(cli, code));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gateway not ready after ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
  });
  const died = cli.proc.exited.then((code): never => {
    throw new Error(`gateway exited (code ${code}) before it was ready${cli.stderrTail() ? `: ${cli.stderrTail().slice(-500)}` : ""}`);
  });
  try {
    await Promise.race([ready, timeout, died]);
  } catch (error) {
    killGroup(cli, "SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { cli, url: `ws://127.0.0.1:${port}`, tokenFile, failure };
}
