import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { McpServerRow } from "../../schema";
import { McpPolicy, type McpCaller } from "../policy/service";
import type { McpGateway, VisibleServer } from "../service";
import { randomUUID } from "node:crypto";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { ClientBoundRequest, DownstreamRequester, UpstreamConnection, UpstreamListener } from "../upstream/connection";
import { ACCESS_DENIED, callTool } from "./call-tool";
import { ResourceRoutes } from "./resource-routes";
import { PLATFORM_SERVER, type PlatformBinding } from "./platform";

export const SEPARATOR = "__";
const CAPABILITY_FOR = { "sampling/createMessage": "sampling", "elicitation/create": "elicitation", "roots/list": "roots" } as const;

/** True when a client may be asked things mid-call (its tools/call then needs a stream, not plain JSON). */
export const clientTakesRequests = (caps: { sampling?: unknown; elicitation?: unknown; roots?: unknown } | undefined) =>
  Boolean(caps?.sampling || caps?.elicitation || caps?.roots);
const MAX_PAGES = 20;

/** One downstream MCP session: who is calling, and which servers it exposes. */
export interface ProxySessionContext {
  gateway: McpGateway;
  /** Refreshed on every HTTP request of the session (key metadata may change). */
  caller(): McpCaller;
  /** One server (`/mcp/:server`, names unprefixed) or every granted server (`/mcp`, `server__name`). */
  only?: string;
  /** LAP's platform tools for this session key (`/mcp/lap`, or `lap__<tool>` in `/mcp`); null: none. */
  platform?: PlatformBinding | null;
}

/**
 * Builds the low-level SDK `Server` for one downstream session. Low-level rather than `McpServer` so
 * upstream JSON Schemas, annotations and `_meta` pass through verbatim.
 */
export function createProxyServer(ctx: ProxySessionContext) {
  const server = new Server(
    { name: ctx.only ? `lap/${ctx.only}` : "lap", version: "0.1.0" },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { listChanged: true, subscribe: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
    },
  );
  const aggregated = ctx.only === undefined;
  const ns = (serverName: string, name: string) => (aggregated ? `${serverName}${SEPARATOR}${name}` : name);
  const touched = new Map<UpstreamConnection, UpstreamListener>();
  const routes = new ResourceRoutes();
  const notify = (p: Promise<unknown>) => void p.catch(() => {});

  const listenerFor = (serverName: string): UpstreamListener => ({
    onListChanged: (kind) =>
      notify(
        kind === "tools"
          ? server.sendToolListChanged()
          : kind === "resources"
            ? server.sendResourceListChanged()
            : server.sendPromptListChanged(),
      ),
    onLog: (params) =>
      notify(
        server.sendLoggingMessage(
          { ...params, logger: aggregated ? `${serverName}${params.logger ? `/${params.logger}` : ""}` : params.logger },
          sessionId(),
        ),
      ),
    onResourceUpdated: (params) => notify(server.sendResourceUpdated(params)),
  });
  const sessionId = () => server.transport?.sessionId;

  /** The pooled connection for a server, subscribing this session to its notifications. */
  async function upstream(row: McpServerRow): Promise<UpstreamConnection> {
    const conn = await ctx.gateway.upstream(row, ctx.caller());
    if (!touched.has(conn)) {
      const l = listenerFor(row.name);
      conn.listeners.add(l);
      touched.set(conn, l);
    }
    return conn;
  }

  /** Runs an idempotent request on every visible server that supports it; one failing server only drops out in /mcp. */
  async function fanOut<T>(capability: "tools" | "resources" | "prompts", fn: (c: Client, v: VisibleServer) => Promise<T[]>): Promise<T[]> {
    // A grant revoked mid-session leaves empty lists (and denied calls), not a broken session.
    const visible = await ctx.gateway.visible(ctx.caller(), ctx.only);
    const results = await Promise.all(
      visible.map(async (v) => {
        try {
          const conn = await upstream(v.row);
          return await conn.withClient(async (c) => (c.getServerCapabilities()?.[capability] ? fn(c, v) : []), true);
        } catch (err) {
          if (!aggregated) throw err;
          return [];
        }
      }),
    );
    return results.flat();
  }

  /** Finds the server for a namespaced name (or the only server) and checks the caller may use it. */
  async function resolve(name: string): Promise<{ visible: VisibleServer | undefined; serverName: string; inner: string }> {
    let serverName = ctx.only ?? "";
    let inner = name;
    if (aggregated) {
      const at = name.indexOf(SEPARATOR);
      serverName = at > 0 ? name.slice(0, at) : "";
      inner = at > 0 ? name.slice(at + SEPARATOR.length) : name;
    }
    const [visible] = serverName ? await ctx.gateway.visible(ctx.caller(), serverName) : [];
    return { visible, serverName: serverName || "(none)", inner };
  }

  /**
   * A prompt or resource on a server the caller may not use (never granted, or revoked mid-session):
   * a JSON-RPC access error, logged like a denied tool call (`tool` is `prompt:<name>` / `resource:<uri>`).
   */
  function denied(serverName: string, item: string): McpError {
    const message = `Access denied: this key may not use ${serverName} (${item})`;
    void ctx.gateway
      .servers()
      .then((rows) => {
        const row = rows.find((r) => r.name === serverName);
        ctx.gateway.calls.record({
          caller: ctx.caller(),
          serverId: row?.id ?? null,
          serverName,
          tool: item,
          status: "denied",
          durationMs: 0,
          error: message,
        });
      })
      .catch(() => {});
    return new McpError(ACCESS_DENIED, message);
  }

  async function mustResolve(name: string, what: string) {
    const r = await resolve(name);
    if (!r.visible) {
      if ((await ctx.gateway.servers()).some((row) => row.name === r.serverName)) throw denied(r.serverName, `${what}:${r.inner}`);
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown ${what} ${name}${aggregated ? ` (names look like server${SEPARATOR}${what})` : ""}`,
      );
    }
    return { ...r, visible: r.visible };
  }

  const platformOnly = ctx.only === PLATFORM_SERVER;
  const platformTools = (): Tool[] =>
    ctx.platform ? ctx.platform.port.tools().map((t) => ({ ...t, name: ns(PLATFORM_SERVER, t.name) })) : [];

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    if (platformOnly) return { tools: platformTools() };
    const tools = await fanOut("tools", async (_c, v) => {
      const conn = await upstream(v.row);
      const all: Tool[] = await conn.listTools();
      return all.filter((t) => McpPolicy.mayCall(v.row, v.grant, t.name)).map((t) => ({ ...t, name: ns(v.row.name, t.name) }));
    });
    return { tools: [...platformTools(), ...tools] };
  });

  const owner = randomUUID();
  /** Forwards an upstream's request to this client on the call's own stream, if the client offers it. */
  const requesterFor = (extra: RequestHandlerExtra<ServerRequest, ServerNotification>): DownstreamRequester => ({
    owner,
    forward: async (request: ClientBoundRequest, signal: AbortSignal) => {
      const capability = CAPABILITY_FOR[request.method];
      if (!server.getClientCapabilities()?.[capability]) {
        throw new McpError(
          ErrorCode.InvalidRequest,
          `The MCP client did not declare the ${capability} capability, so LAP cannot forward ${request.method}`,
        );
      }
      const schema =
        request.method === "sampling/createMessage"
          ? CreateMessageResultSchema
          : request.method === "elicitation/create"
            ? ElicitResultSchema
            : ListRootsResultSchema;
      return (await extra.sendRequest(request as ServerRequest, schema, { signal, timeout: ctx.gateway.deps.timeoutMs })) as Record<
        string,
        unknown
      >;
    },
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const prefix = `${PLATFORM_SERVER}${SEPARATOR}`;
    if (ctx.platform && (platformOnly || (aggregated && name.startsWith(prefix)))) {
      return ctx.platform.port.call(
        ctx.platform.caller,
        platformOnly ? name : name.slice(prefix.length),
        request.params.arguments,
        extra.signal,
      );
    }
    const r = await resolve(request.params.name);
    return callTool({
      gateway: ctx.gateway,
      caller: ctx.caller(),
      visible: r.visible,
      serverName: r.serverName,
      tool: r.inner,
      request,
      extra,
      upstream,
      requester: requesterFor(extra),
    });
  });

  server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    if (platformOnly) return { resources: [] };
    if (!aggregated) return single((c) => c.listResources(request.params), "resources/list");
    const resources = await fanOut("resources", async (c, v) => {
      const out = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await c.listResources(cursor ? { cursor } : undefined);
        for (const r of res.resources) {
          routes.remember(r.uri, v.row.name);
          out.push({ ...r, name: ns(v.row.name, r.name) });
        }
        if (!(cursor = res.nextCursor)) break;
      }
      return out;
    });
    return { resources };
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async (request) => {
    if (platformOnly) return { resourceTemplates: [] };
    if (!aggregated) return single((c) => c.listResourceTemplates(request.params), "resources/templates/list");
    const resourceTemplates = await fanOut("resources", async (c, v) => {
      const res = await c.listResourceTemplates();
      for (const t of res.resourceTemplates) routes.rememberTemplate(t.uriTemplate, v.row.name);
      return res.resourceTemplates.map((t) => ({ ...t, name: ns(v.row.name, t.name) }));
    });
    return { resourceTemplates };
  });

  /** Resource URIs are not namespaced (they are URIs); the server is found from the listings. */
  async function byUri(uri: string) {
    if (!aggregated) return single((c) => Promise.resolve(c), `resource:${uri}`);
    const serverName = routes.serverFor(uri);
    const [v] = serverName ? await ctx.gateway.visible(ctx.caller(), serverName) : [];
    if (serverName && !v) throw denied(serverName, `resource:${uri}`);
    if (!v) throw new McpError(ErrorCode.InvalidParams, `Unknown resource ${uri}: list resources or resource templates first`);
    return upstream(v.row).then((conn) => conn.connected());
  }

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => (await byUri(request.params.uri)).readResource(request.params));
  server.setRequestHandler(SubscribeRequestSchema, async (request) => (await byUri(request.params.uri)).subscribeResource(request.params));
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) =>
    (await byUri(request.params.uri)).unsubscribeResource(request.params),
  );

  server.setRequestHandler(ListPromptsRequestSchema, async (request) => {
    if (platformOnly) return { prompts: [] };
    if (!aggregated) return single((c) => c.listPrompts(request.params), "prompts/list");
    const prompts = await fanOut("prompts", async (c, v) =>
      (await c.listPrompts()).prompts.map((p) => ({ ...p, name: ns(v.row.name, p.name) })),
    );
    return { prompts };
  });

  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const r = await mustResolve(request.params.name, "prompt");
    const conn = await upstream(r.visible.row);
    return conn.withClient((c) => c.getPrompt({ ...request.params, name: r.inner }), true);
  });

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const ref = request.params.ref;
    if (ref.type === "ref/prompt") {
      const r = await mustResolve(ref.name, "prompt");
      const conn = await upstream(r.visible.row);
      return conn.withClient((c) => c.complete({ ...request.params, ref: { ...ref, name: r.inner } }), true);
    }
    return (await byUri(ref.uri)).complete(request.params);
  });

  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    if (platformOnly) return {};
    // Upstream connections are shared, so the level is applied upstream and filtered per session here.
    await fanOut("tools", async (c) => (c.getServerCapabilities()?.logging ? [await c.setLoggingLevel(request.params.level)] : []));
    return {};
  });

  /** `/mcp/:server`: pass the request straight to its one upstream. */
  async function single<T>(fn: (c: Client) => Promise<T>, item: string): Promise<T> {
    const [v] = await ctx.gateway.visible(ctx.caller(), ctx.only);
    if (!v) throw denied(ctx.only!, item);
    return (await upstream(v.row)).withClient(fn, true);
  }

  /** Stops listening to upstreams; the pooled connections stay for other sessions. */
  const detach = () => {
    for (const [conn, l] of touched) conn.listeners.delete(l);
    touched.clear();
  };
  return { server, detach };
}
