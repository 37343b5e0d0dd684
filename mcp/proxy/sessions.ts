import type { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { isInitializeRequest, LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { randomUUID } from "node:crypto";
import type { Principal } from "../../server/auth/model";
import { DEFAULT_JSON_LIMITS, readJsonBody, type JsonLimits } from "../../server/http/json-body";
import { ApiError } from "../../server/lib/errors";
import type { Logger } from "../../server/lib/logger";
import type { McpCaller } from "../policy/service";
import type { McpGateway } from "../service";
import { clientTakesRequests, createProxyServer } from "./server";
import { JsonWhenPossibleTransport } from "./transport";
import { PLATFORM_SERVER, type PlatformBinding, type PlatformPort } from "./platform";

interface Session {
  id: string;
  owner: string;
  scope: string;
  transport: WebStandardStreamableHTTPServerTransport;
  caller: McpCaller;
  lastSeen: number;
  close(): Promise<void>;
}

const jsonRpcError = (status: number, code: number, message: string) =>
  new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json" },
  });

/** The shape of the ids this class hands out (random UUIDs); only such an unknown id is re-created (see `revive`). */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Who owns a session: the same key (or the master key) must carry every request of it. */
const ownerOf = (p: Principal) => p.keyId ?? `master:${p.via}`;

/**
 * Downstream Streamable HTTP sessions, one SDK `Server` + web-standard transport per MCP client.
 * The `mcp-session-id` maps to its session; a session answers only the key that opened it, on the
 * endpoint it was opened on (another key gets 404 "Session not found"). A well-formed id this process
 * does not know (opened on another replica) is re-created here rather than refused (`revive`).
 */
export class McpSessions {
  private readonly sessions = new Map<string, Session>();
  /** Ids ended here (DELETE, idle): not brought back by `revive`. */
  private readonly ended = new Set<string>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  constructor(
    private readonly deps: {
      gateway: McpGateway;
      idleMs: number;
      logger?: Logger;
      keepAliveMs?: number;
      limits?: JsonLimits;
      /** LAP's own tools for session keys (server/platform), handed in by server/app.ts. */
      platform?: PlatformPort;
    },
  ) {}

  get size() {
    return this.sessions.size;
  }

  async handle(request: Request, principal: Principal, only?: string): Promise<Response> {
    const scope = only ?? "*";
    const caller = await this.deps.gateway.callerOf(principal);
    const id = request.headers.get("mcp-session-id");
    // Looked up when a session opens (or revives) and on every /mcp/lap request (an agent may opt out meanwhile).
    const platform = only === PLATFORM_SERVER || !id || !this.sessions.has(id) ? await this.platformFor(principal, caller) : null;
    if (only === PLATFORM_SERVER && !platform)
      return jsonRpcError(
        404,
        -32001,
        `MCP server ${PLATFORM_SERVER} serves an agent's own sessions only (a session key of an agent with platform tools on)`,
      );
    if (id) {
      let session = this.sessions.get(id);
      if (!session && SESSION_ID.test(id) && !this.ended.has(id))
        session = await this.revive(id, request, principal, caller, scope, only, platform);
      if (!session || session.owner !== ownerOf(principal) || session.scope !== scope)
        return jsonRpcError(404, -32001, "Session not found");
      session.caller = caller;
      session.lastSeen = Date.now();
      if (request.method !== "POST") return session.transport.handleRequest(request);
      // Parsed here so the transport can answer plain JSON when no streaming is needed.
      const parsed = await this.readBody(request);
      if (parsed instanceof Response) return parsed;
      return session.transport.handleRequest(request, { parsedBody: parsed });
    }
    if (request.method !== "POST") return jsonRpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required");
    const body = await this.readBody(request);
    if (body instanceof Response) return body;
    if (!isInitializeRequest(body))
      return jsonRpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required (send initialize first)");
    if (only && only !== PLATFORM_SERVER && (await this.deps.gateway.visible(caller, only)).length === 0) {
      return jsonRpcError(404, -32001, `MCP server ${only} does not exist or is not granted to this key`);
    }
    return this.open(request, body, principal, caller, scope, only, undefined, platform);
  }

  /** The platform tools' binding for this caller: a session key of an agent that keeps them, else none. */
  private async platformFor(principal: Principal, caller: McpCaller): Promise<PlatformBinding | null> {
    const platform = this.deps.platform;
    if (!platform) return null;
    const ref = await platform.callerOf(principal, { sessionId: caller.sessionId, agentId: caller.agentId });
    return ref ? { port: platform, caller: ref } : null;
  }

  /** The JSON-RPC body within the size and depth limits (server/http/json-body.ts), or the JSON-RPC error to answer. */
  private async readBody(request: Request): Promise<unknown> {
    try {
      const body = await readJsonBody(request, this.deps.limits ?? DEFAULT_JSON_LIMITS);
      return body === undefined ? jsonRpcError(400, -32700, "Parse error: empty body") : body;
    } catch (err) {
      if (err instanceof ApiError && err.status === 413) return jsonRpcError(413, -32600, err.message);
      return jsonRpcError(400, -32700, `Parse error: ${err instanceof ApiError ? err.message : "Invalid JSON"}`);
    }
  }

  /** Closes idle sessions every minute (or every `idleMs`, if shorter) until `closeAll`. */
  start() {
    this.sweeper ??= setInterval(() => void this.sweep(), Math.min(60_000, this.deps.idleMs));
    this.sweeper.unref?.();
  }

  async closeAll() {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
  }

  /**
   * A well-formed session id this process does not know: the session was opened on another replica
   * (or before a restart). It is re-created here under the same id and the presenting key, with a
   * stateless re-initialize, so the client carries on instead of getting 404. What the client declared
   * at initialize (capabilities) is not known here: the revived session assumes none.
   */
  private async revive(
    id: string,
    request: Request,
    principal: Principal,
    caller: McpCaller,
    scope: string,
    only?: string,
    platform?: PlatformBinding | null,
  ): Promise<Session | undefined> {
    if (only && only !== PLATFORM_SERVER && (await this.deps.gateway.visible(caller, only)).length === 0) return undefined;
    const version = request.headers.get("mcp-protocol-version") ?? LATEST_PROTOCOL_VERSION;
    const headers = { accept: "application/json, text/event-stream", "content-type": "application/json", "mcp-protocol-version": version };
    const initialize = {
      jsonrpc: "2.0",
      id: `lap-revive-${id}`,
      method: "initialize",
      params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "revived", version: "0" } },
    };
    const res = await this.open(
      new Request(request.url, { method: "POST", headers, body: "{}" }),
      initialize,
      principal,
      caller,
      scope,
      only,
      id,
      platform,
    );
    await res.text();
    const session = this.sessions.get(id);
    if (!res.ok || !session) return undefined;
    const initialized = { jsonrpc: "2.0", method: "notifications/initialized" };
    await session.transport.handleRequest(
      new Request(request.url, { method: "POST", headers: { ...headers, "mcp-session-id": id }, body: "{}" }),
      { parsedBody: initialized },
    );
    this.deps.logger?.info({ mcp_session_id: id, scope }, "MCP session re-created on this replica");
    return session;
  }

  private async open(
    request: Request,
    body: unknown,
    principal: Principal,
    caller: McpCaller,
    scope: string,
    only?: string,
    reuseId?: string,
    platform?: PlatformBinding | null,
  ) {
    const holder: { session?: Session } = {};
    const { server, detach } = createProxyServer({
      gateway: this.deps.gateway,
      caller: () => holder.session?.caller ?? caller,
      only,
      platform: platform ?? null,
    });
    const transport = new JsonWhenPossibleTransport({
      sessionIdGenerator: () => reuseId ?? randomUUID(),
      // Below Bun's default 10 s idle timeout, so quiet SSE streams are not cut.
      keepAliveMs: this.deps.keepAliveMs ?? 8_000,
      onsessioninitialized: (sessionId) => {
        const session: Session = {
          id: sessionId,
          owner: ownerOf(principal),
          scope,
          transport,
          caller,
          lastSeen: Date.now(),
          close: async () => {
            this.sessions.delete(sessionId);
            this.markEnded(sessionId);
            detach();
            await server.close().catch(() => {});
          },
        };
        holder.session = session;
        this.sessions.set(sessionId, session);
      },
      onsessionclosed: (sessionId) => {
        const s = this.sessions.get(sessionId);
        this.sessions.delete(sessionId);
        this.markEnded(sessionId);
        detach();
        void s;
      },
    });
    // Sampling, elicitation and roots requests travel on the call's stream: no plain-JSON answer then.
    transport.streamed = (method) => method === "tools/call" && clientTakesRequests(server.getClientCapabilities());
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
      detach();
    };
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: body });
  }

  private markEnded(id: string) {
    if (this.ended.size > 10_000) this.ended.clear();
    this.ended.add(id);
  }

  private async sweep() {
    const cutoff = Date.now() - this.deps.idleMs;
    for (const s of [...this.sessions.values()]) if (s.lastSeen < cutoff) await s.close();
    await this.deps.gateway.pool.evictIdle(this.deps.idleMs).catch(() => 0);
  }
}
