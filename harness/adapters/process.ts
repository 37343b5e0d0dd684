// A CLI child process with line-by-line stdout and the tail of stderr kept for error messages, and
// the line reader the stdio harness program uses for its commands too.
import type { Subprocess } from "bun";

export type CliProcess = {
  proc: Subprocess<"pipe", "pipe", "pipe">;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number>;
  stderrTail(): string;
  write(line: string): void;
  kill(signal?: NodeJS.Signals): void;
};

/** The non-empty, trimmed lines of a byte stream (a CLI's stdout, the supervisor's commands), the last one even without a newline. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield line;
      newline = buffer.indexOf("\n");
    }
  }
  if (buffer.trim()) yield buffer.trim();
}

export function spawnCli(options: {
  cmd: string[];
  /** The process's argv[0] when it should differ from cmd[0] (a runtime running a script, named after the harness). */
  argv0?: string;
  cwd: string;
  env: Record<string, string>;
  onLine: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** A process group of its own, so that `kill(-pid)` reaches the helpers it starts (OpenClaw's Gateway). */
  detached?: boolean;
}): CliProcess {
  const proc = Bun.spawn(options.cmd, {
    cwd: options.cwd,
    env: options.env,
    argv0: options.argv0,
    ...(options.detached ? { detached: true } : {}),
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  let stderr = "";
  const readLines = async (stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) => {
    for await (const line of lines(stream)) onLine(line);
  };
  const stdoutDone = readLines(proc.stdout, options.onLine).catch(() => undefined);
  const stderrDone = readLines(proc.stderr, (line) => {
    stderr = `${stderr}\n${line}`.slice(-4000);
    options.onStderrLine?.(line);
  }).catch(() => undefined);
  // Exit is reported only after stdout is drained, so the last events are never lost.
  const exited = proc.exited.then(async (code) => {
    await Promise.all([stdoutDone, stderrDone]);
    return code;
  });
  return {
    proc,
    exited,
    stderrTail: () => stderr.trim(),
    write(line) {
      proc.stdin.write(`${line}\n`);
      proc.stdin.flush();
    },
    kill(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
  };
}

/** Collects a turn's events and settles once the terminal event arrives. */
export class TurnRecorder {
  readonly events: import("./types.ts").HarnessEvent[] = [];
  private settle!: (outcome: import("./types.ts").TurnOutcome) => void;
  readonly done: Promise<import("./types.ts").TurnOutcome>;
  finished = false;

  constructor(private readonly listener?: (event: import("./types.ts").HarnessEvent) => void) {
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  emit(event: import("./types.ts").HarnessEvent): void {
    if (this.finished) return;
    this.events.push(event);
    this.listener?.(event);
    if (event.type === "session.status_idle") this.finish(event.stop_reason.type);
    else if (event.type === "session.error") this.finish("error");
  }

  private finish(outcome: import("./types.ts").TurnOutcome): void {
    this.finished = true;
    this.settle(outcome);
  }
}
