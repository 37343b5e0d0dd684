// JSON-RPC 2.0 over a CLI's stdio, one message per line, as `codex app-server` speaks it:
// our requests get responses by id; the server's notifications (and its rare requests) go to handlers.
import type { CliProcess } from "../process.ts";

export type Notification = { method: string; params: Record<string, unknown> };
/** A request the server sends us (approvals); the handler returns false for one it does not answer. */
export type ServerRequest = { id: number | string; method: string; params: Record<string, unknown> };
type Message = {
  id?: number | string;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code?: number; message?: string };
};

export class RpcError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`${method}: ${message}`);
  }
}

export class JsonRpc {
  private nextId = 0;
  private pending = new Map<number, { method: string; resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private cli: CliProcess | undefined;

  constructor(
    private readonly onNotification: (notification: Notification) => void,
    private readonly onRequest: (request: ServerRequest) => boolean = () => false,
  ) {}

  /** Binds to a freshly spawned process; whatever was pending on the previous one fails. */
  attach(cli: CliProcess): void {
    this.closed(new Error("the process was replaced"));
    this.cli = cli;
  }

  /** Every line the process prints (spawnCli's onLine). */
  onLine(line: string): void {
    let message: Message;
    try {
      message = JSON.parse(line) as Message;
    } catch {
      return; // not protocol: a stray log line
    }
    if (message.method && message.id !== undefined) {
      // A request from the server (approvals): the handler answers it (respond); any other gets an
      // error at once so the server never waits on us.
      if (this.onRequest({ id: message.id, method: message.method, params: message.params ?? {} })) return;
      this.cli?.write(JSON.stringify({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "not supported by LAP" } }));
      return;
    }
    if (message.method) {
      this.onNotification({ method: message.method, params: message.params ?? {} });
      return;
    }
    const waiting = typeof message.id === "number" ? this.pending.get(message.id) : undefined;
    if (!waiting) return;
    this.pending.delete(message.id as number);
    if (message.error) waiting.reject(new RpcError(waiting.method, message.error.message ?? "failed"));
    else waiting.resolve(message.result);
  }

  request<T>(method: string, params: unknown): Promise<T> {
    const cli = this.cli;
    if (!cli) return Promise.reject(new RpcError(method, "no process"));
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      cli.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  /** Answers a request the server sent (onRequest). */
  respond(id: number | string, result: unknown): void {
    this.cli?.write(JSON.stringify({ jsonrpc: "2.0", id, result }));
  }

  notify(method: string, params?: unknown): void {
    this.cli?.write(JSON.stringify({ jsonrpc: "2.0", method, ...(params === undefined ? {} : { params }) }));
  }

  /** The process ended: every request still waiting fails with `error`, and later ones at once. */
  closed(error: Error): void {
    this.cli = undefined;
    for (const [, waiting] of this.pending) waiting.reject(error);
    this.pending.clear();
  }
}
