// `opencode serve` on a free loopback port inside the sandbox: its process, its HTTP API (basic auth
// with a password made per server) and one subscription to its event bus for the server's lifetime.
import { randomBytes } from "node:crypto";
import { type CliProcess, spawnCli } from "../process.ts";
import { type BusEvent, readSse } from "./translate.ts";

// opencode (a 185 MB compiled Bun program) takes 5-40 s to boot on a busy 2-core machine.
const START_TIMEOUT_MS = 90_000;

async function freeLoopbackPort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export class OpencodeServer {
  /** The server's basic-auth password (`OPENCODE_SERVER_PASSWORD`), user `lap`. */
  readonly password = randomBytes(18).toString("base64url");
  private cli: CliProcess | undefined;
  private baseUrl = "";
  private events: AbortController | undefined;

  constructor(
    private readonly handlers: {
      /** Every event of opencode's bus, in order. */
      onEvent(event: BusEvent): void;
      /** The server exited on its own (not through stop or kill). */
      onExit(code: number, stderrTail: string): void;
    },
  ) {}

  get running(): boolean {
    return this.cli !== undefined;
  }

  pid(): number | undefined {
    return this.cli?.proc.pid;
  }

  /** Starts the server; resolves once it listens and its bus is subscribed. */
  async start(options: { binary: string; cwd: string; env: Record<string, string> }): Promise<void> {
    const port = await freeLoopbackPort();
    let announce!: (url: string) => void;
    const listening = new Promise<string>((resolve) => {
      announce = resolve;
    });
    const onLine = (line: string) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) announce(match[1]!);
    };
    const cli = spawnCli({
      cmd: [options.binary, "serve", "--hostname", "127.0.0.1", "--port", String(port)],
      cwd: options.cwd,
      env: options.env,
      onLine,
      onStderrLine: onLine,
    });
    this.cli = cli;
    void cli.exited.then((code) => {
      if (this.cli !== cli) return;
      this.cli = undefined;
      this.events?.abort();
      this.handlers.onExit(code, cli.stderrTail());
    });
    const exitedEarly = cli.exited.then((code) => {
      throw new Error(`opencode serve exited (code ${code}): ${cli.stderrTail().slice(-500)}`);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("opencode serve did not start listening in time")), START_TIMEOUT_MS);
    });
    try {
      this.baseUrl = await Promise.race([listening, exitedEarly, timeout]);
      this.subscribe();
    } catch (error) {
      this.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  api(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Basic ${btoa(`lap:${this.password}`)}`, "content-type": "application/json" },
    });
  }

  /** One bus subscription for the server's lifetime; a bus that closes while the server runs is opened again. */
  private subscribe(): void {
    this.events?.abort();
    const controller = new AbortController();
    this.events = controller;
    const cli = this.cli;
    void this.api("/event", { signal: controller.signal })
      .then((response) => (response.body ? readSse(response.body, (event) => this.handlers.onEvent(event)) : undefined))
      .catch(() => undefined)
      .then(() => {
        // Without the bus a running turn would never end.
        if (!controller.signal.aborted && this.cli === cli && cli) setTimeout(() => this.cli === cli && this.subscribe(), 200);
      });
  }

  /** Ends the server at once (a start that failed half-way); no exit is reported. */
  kill(): void {
    const cli = this.cli;
    this.cli = undefined;
    this.events?.abort();
    cli?.kill("SIGKILL");
  }

  /** SIGTERM, then SIGKILL after 3 s; resolves once it has exited. */
  async stop(): Promise<void> {
    const cli = this.cli;
    this.events?.abort();
    if (!cli) return;
    this.cli = undefined;
    cli.kill("SIGTERM");
    const timer = setTimeout(() => cli.kill("SIGKILL"), 3_000);
    await cli.exited;
    clearTimeout(timer);
  }
}
