import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type LoggingMessageNotification,
  type ResourceUpdatedNotification,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { DestinationGuard } from "../../server/net/destinations";
import { originBoundFetch } from "../../server/net/pinned-fetch";
import type { StdioLauncher, StdioSpec } from "./launcher";

/** A registered server resolved for one caller: secrets decrypted, variables substituted. */
export type UpstreamSpec = {
  /** Pool key: server id plus the user whose credentials are in it (when they are per user). */
  key: string;
  /** Changes when the server's settings change, so a stale connection is replaced. */
  fingerprint: string;
  serverId: string;
  serverName: string;
  timeoutMs: number;
  connectTimeoutMs: number;
} & ({ transport: "stdio"; stdio: StdioSpec } | { transport: "streamable-http" | "sse"; url: string; headers: Record<string, string> });

/** What connected downstream sessions hear from an upstream. */
export interface UpstreamListener {
  onListChanged(kind: "tools" | "resources" | "prompts"): void;
  onLog(params: LoggingMessageNotification["params"]): void;
  onResourceUpdated(params: ResourceUpdatedNotification["params"]): void;
}

/** A server-to-client request an upstream may make, forwarded to the downstream client. */
export type ClientBoundRequest = {
  method: "sampling/createMessage" | "elicitation/create" | "roots/list";
  params?: Record<string, unknown>;
};

/**
 * A downstream request in progress on this connection (a tools/call), able to put the upstream's own
 * requests (sampling, elicitation, roots) to the downstream client that made it.
 */
export interface DownstreamRequester {
  /** The downstream MCP session: requests are only forwarded when exactly one is waiting. */
  owner: string;
  forward(request: ClientBoundRequest, signal: AbortSignal): Promise<Record<string, unknown>>;
}

export type UpstreamState = "idle" | "connecting" | "connected" | "failed" | "closed";

/** The upstream could not be reached; callers get this as a clear JSON-RPC error. */
export class UpstreamUnavailableError extends McpError {
  constructor(serverName: string, reason: string) {
    super(ErrorCode.ConnectionClosed, `MCP server ${serverName} is unavailable: ${reason}`);
  }
}

const MAX_ERRORS = 20;

/**
 * One SDK `Client` to one upstream, shared by every downstream session that uses it. Connects lazily,
 * drops itself when the transport closes, and reconnects on the next use, so a dead upstream gives a
 * clear error and recovers when it comes back.
 */
export class UpstreamConnection {
  state: UpstreamState = "idle";
  lastConnectedAt: Date | null = null;
  readonly errors: Array<{ at: Date; message: string }> = [];
  readonly listeners = new Set<UpstreamListener>();
  /** Downstream calls waiting on this upstream, newest last (see `DownstreamRequester`). */
  readonly inFlight = new Set<DownstreamRequester>();
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private tools: Promise<Tool[]> | undefined;
  private closedByUs = false;

  constructor(
    readonly spec: UpstreamSpec,
    private readonly launcher: StdioLauncher,
    /** Checks where redirects lead (the registered origin itself is the admin's choice). */
    private readonly destinations: DestinationGuard = new DestinationGuard(),
  ) {}

  /** The connected client, connecting (or reconnecting) first when needed. */
  async connected(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** The upstream's tools, cached until it says they changed. */
  async listTools(): Promise<Tool[]> {
    this.tools ??= this.withClient(async (c) => {
      const all: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await c.listTools(cursor ? { cursor } : undefined, { timeout: this.spec.timeoutMs });
        all.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    }, true).catch((err) => {
      this.tools = undefined;
      throw err;
    });
    return this.tools;
  }

  /**
   * Runs `fn` with the client. When the upstream is gone (connection refused, process exited, session
   * unknown after a restart) on a fresh connection it is retried once: always when the request never
   * reached the upstream, and for idempotent requests (lists, reads) also when it died mid-request.
   */
  async withClient<T>(fn: (client: Client) => Promise<T>, idempotent: boolean): Promise<T> {
    const client = await this.connected();
    try {
      return await fn(client);
    } catch (err) {
      if (!isConnectionLoss(err)) throw err;
      this.recordError(err);
      this.drop(client);
      if (!idempotent && !neverReached(err)) throw new UpstreamUnavailableError(this.spec.serverName, describe(err));
      try {
        return await fn(await this.connected());
      } catch (again) {
        if (!isConnectionLoss(again)) throw again;
        this.recordError(again);
        throw new UpstreamUnavailableError(this.spec.serverName, describe(again));
      }
    }
  }

  recordError(err: unknown) {
    this.errors.unshift({ at: new Date(), message: describe(err) });
    this.errors.length = Math.min(this.errors.length, MAX_ERRORS);
  }

  async close() {
    this.closedByUs = true;
    const c = this.client;
    this.client = undefined;
    this.state = "closed";
    await c?.close().catch(() => {});
  }

  private async connect(): Promise<Client> {
    this.state = "connecting";
    this.closedByUs = false;
    // LAP declares what it can forward; each request goes to the client whose call is waiting.
    const client = new Client(
      { name: "lap-mcp-gateway", version: "0.1.0" },
      { capabilities: { sampling: {}, elicitation: {}, roots: {} } },
    );
    client.setRequestHandler(CreateMessageRequestSchema, (req, extra) => this.toCaller(req, extra.signal) as never);
    client.setRequestHandler(ElicitRequestSchema, (req, extra) => this.toCaller(req, extra.signal) as never);
    client.setRequestHandler(ListRootsRequestSchema, (req, extra) => this.toCaller(req, extra.signal) as never);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.tools = undefined;
      for (const l of this.listeners) l.onListChanged("tools");
    });
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => this.listeners.forEach((l) => l.onListChanged("resources")));
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => this.listeners.forEach((l) => l.onListChanged("prompts")));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => this.listeners.forEach((l) => l.onLog(n.params)));
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => this.listeners.forEach((l) => l.onResourceUpdated(n.params)));
    client.onerror = (err) => this.recordError(err);
    let release: (() => Promise<void>) | undefined;
    client.onclose = () => {
      // The process is gone: what its launch opened (a stdio server's egress proxy) goes with it.
      void release?.();
      if (this.client === client) this.drop(client, this.closedByUs ? "closed" : "failed");
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    let transport: Transport | undefined;
    try {
      const made = await this.transport();
      ({ transport, release } = made);
      await Promise.race([
        client.connect(transport, { timeout: this.spec.connectTimeoutMs }),
        new Promise(
          (_, reject) =>
            (timer = setTimeout(() => reject(new Error(`no answer within ${this.spec.connectTimeoutMs} ms`)), this.spec.connectTimeoutMs)),
        ),
      ]);
    } catch (err) {
      this.state = "failed";
      this.recordError(err);
      await client.close().catch(() => {});
      void release?.();
      throw new UpstreamUnavailableError(this.spec.serverName, describe(err));
    } finally {
      clearTimeout(timer);
    }
    deferResponses(transport!);
    this.client = client;
    this.tools = undefined;
    this.state = "connected";
    this.lastConnectedAt = new Date();
    return client;
  }

  /**
   * The connection is shared by every downstream session using the server, and an upstream request
   * does not say which call it belongs to: it goes to the caller with a call in progress, and is
   * refused when there is none or when several sessions wait (it could reach the wrong client).
   */
  private async toCaller(request: { method: string; params?: unknown }, signal: AbortSignal): Promise<Record<string, unknown>> {
    const waiting = [...this.inFlight];
    const owners = new Set(waiting.map((r) => r.owner));
    if (owners.size !== 1) {
      const why =
        owners.size === 0
          ? "no client call is in progress to ask"
          : "calls from several clients are in progress and LAP cannot tell which one this is for";
      throw new McpError(ErrorCode.InvalidRequest, `LAP cannot forward ${request.method}: ${why}`);
    }
    return waiting.at(-1)!.forward(request as ClientBoundRequest, signal);
  }

  private drop(client: Client, state: UpstreamState = "failed") {
    if (this.client !== client) return;
    this.client = undefined;
    this.tools = undefined;
    this.state = state;
    void client.close().catch(() => {});
  }

  private async transport(): Promise<{ transport: Transport; release?: () => Promise<void> }> {
    const s = this.spec;
    if (s.transport === "stdio") {
      const plan = await this.launcher.plan(s.stdio);
      return {
        transport: new StdioClientTransport({ command: plan.command, args: plan.args, env: plan.env, cwd: plan.cwd, stderr: "ignore" }),
        release: plan.release,
      };
    }
    const requestInit = { headers: s.headers };
    // Bun's fetch times out idle responses by default; long silent tool calls must not be cut off.
    // A redirect away from the registered origin is checked like user input and gets no credentials.
    const upstreamFetch = originBoundFetch(this.destinations, new URL(s.url).origin, { timeout: false } as RequestInit);
    if (s.transport === "sse") return { transport: new SSEClientTransport(new URL(s.url), { requestInit, fetch: upstreamFetch }) };
    return {
      transport: new StreamableHTTPClientTransport(new URL(s.url), {
        requestInit,
        fetch: upstreamFetch,
        // LAP reconnects on the next call itself; the SDK's own GET-stream retries stay short.
        reconnectionOptions: { maxReconnectionDelay: 5_000, initialReconnectionDelay: 500, reconnectionDelayGrowFactor: 2, maxRetries: 2 },
      }),
    };
  }
}

/**
 * The SDK dispatches notifications a microtask late but responses at once, so a final progress
 * notification that arrives with the result in one chunk is dropped ("unknown token"). Handling
 * responses one microtask later keeps the upstream's order.
 */
function deferResponses(transport: Transport) {
  const handle = transport.onmessage;
  if (!handle) return;
  transport.onmessage = (message, extra) => {
    if ("id" in message && ("result" in message || "error" in message)) void Promise.resolve().then(() => handle(message, extra));
    else handle(message, extra);
  };
}

/** Errors meaning the request never reached a live upstream (so nothing ran there). */
export function isConnectionLoss(err: unknown): boolean {
  if (err instanceof UpstreamUnavailableError) return false;
  if (err instanceof McpError && err.code === ErrorCode.ConnectionClosed) return true;
  if (err instanceof StreamableHTTPError) return err.code === 404 || err.code === undefined;
  const text = describe(err);
  return /ECONNREFUSED|ECONNRESET|Unable to connect|fetch failed|Not connected|socket connection was closed|EPIPE/i.test(text);
}

/** Refused connections and unknown sessions: the upstream never saw the request. */
function neverReached(err: unknown): boolean {
  if (err instanceof StreamableHTTPError) return err.code === 404;
  return /ECONNREFUSED|Unable to connect|Not connected/i.test(describe(err));
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
