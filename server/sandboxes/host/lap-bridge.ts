/**
 * The LAP bridge: `lap.sock` in a sandbox's run dir, the sandbox's only way to LAP (docs/security.md,
 * "The sandbox's way out"). An HTTP server, not a byte pipe: it lets through only what a harness
 * needs, the gateway's model routes and the MCP proxy (`/mcp`, `/mcp/<server>`), and answers 403
 * to everything else (`/api/*`, `/key/*`, the dashboard…) without LAP ever seeing the request.
 * Bodies stream both ways (SSE, chunked uploads) with no buffering.
 *
 * The path checked is the one forwarded: Bun parses the request target (absolute-form URLs lose
 * their authority, `..` and `%2e%2e` segments are resolved) and the bridge sends exactly that
 * pathname and query, with its own Host, after dropping hop-by-hop and forwarding headers.
 */
import { rmSync } from "node:fs";
import { BRIDGE_CLIENT_HEADER, bridgeClientTag } from "../../http/bridge-client";
import type { Logger } from "../../lib/logger";
import { sandboxTraceHeaders } from "../../tracing/sandbox-trace";
import type { Upstream } from "./lap-sockets";

/** The gateway routes harnesses call (server/gateway/routes/proxy.ts; harness/adapters/README.md). */
const GATEWAY_POST = new Set([
  "/v1/chat/completions",
  "/chat/completions",
  "/v1/messages",
  "/v1/messages/count_tokens",
  "/v1/responses",
  "/responses",
  "/v1/completions",
  "/completions",
  "/v1/embeddings",
  "/embeddings",
]);
const GATEWAY_GET = new Set(["/v1/models", "/v1/model/info", "/model/info"]);
/** `/mcp` and `/mcp/<server>` (server names: mcp/model.ts `serverName`); Streamable HTTP uses POST, GET (SSE) and DELETE. */
const MCP_PATH = /^\/mcp(?:\/[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?)?$/;
const MCP_METHODS = new Set(["POST", "GET", "DELETE"]);

export function bridgeAllows(method: string, pathname: string): boolean {
  if (method === "POST" && GATEWAY_POST.has(pathname)) return true;
  if (method === "GET" && GATEWAY_GET.has(pathname)) return true;
  return MCP_METHODS.has(method) && MCP_PATH.test(pathname);
}

/** Never forwarded: hop-by-hop headers, and anything that would let the sandbox speak for a proxy, a browser or another host. */
const DROPPED_HEADERS = [
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-real-ip",
  "cookie",
  "origin",
  "referer",
  BRIDGE_CLIENT_HEADER,
  // The turn's trace context is LAP's to set (server/tracing/sandbox-trace.ts), not the sandbox's.
  "traceparent",
  "tracestate",
];

const refuse = (status: number, message: string) =>
  Response.json({ error: { message, type: "bridge_refused", code: status } }, { status, headers: { "cache-control": "no-store" } });

export interface LapBridge {
  close(): Promise<void>;
}

/**
 * Serves the bridge on `socketPath`; `upstream` is read per request (LAP's port may be known only after
 * listen). With `sandboxId`, each forwarded request names its sandbox in a header only this process can
 * make (server/http/bridge-client.ts), so LAP slows a sandbox that guesses keys without slowing others.
 */
export function listenLapBridge(socketPath: string, upstream: () => Upstream, logger?: Logger, sandboxId?: string): LapBridge {
  rmSync(socketPath, { force: true });
  const tag = sandboxId ? bridgeClientTag(sandboxId) : undefined;
  const server = Bun.serve({
    unix: socketPath,
    // Streams (SSE, long model turns) may be quiet for minutes.
    idleTimeout: 0,
    async fetch(req: Request) {
      const url = new URL(req.url);
      if (req.headers.get("upgrade")) return refuse(403, "the LAP bridge does not upgrade connections");
      if (!bridgeAllows(req.method, url.pathname)) {
        logger?.warn({ method: req.method, path: url.pathname.slice(0, 200) }, "LAP bridge refused a request from a sandbox");
        return refuse(
          403,
          `${req.method} ${url.pathname.slice(0, 200)} is not reachable from a sandbox: only the model routes and /mcp are`,
        );
      }
      const { host, port } = upstream();
      const headers = new Headers(req.headers);
      for (const h of DROPPED_HEADERS) headers.delete(h);
      if (tag) headers.set(BRIDGE_CLIENT_HEADER, tag);
      for (const [k, v] of Object.entries(sandboxTraceHeaders(sandboxId))) headers.set(k, v);
      try {
        return await fetch(`http://${host.includes(":") ? `[${host}]` : host}:${port}${url.pathname}${url.search}`, {
          method: req.method,
          headers,
          body: req.body,
          signal: req.signal,
          redirect: "manual",
          decompress: false,
          timeout: false,
        } as RequestInit);
      } catch (err) {
        if (req.signal.aborted) return new Response(null, { status: 499 });
        return refuse(502, `LAP did not answer: ${(err as Error).message}`);
      }
    },
  } as unknown as Parameters<typeof Bun.serve>[0]);
  return {
    close: async () => {
      await server.stop(true);
      rmSync(socketPath, { force: true });
    },
  };
}
