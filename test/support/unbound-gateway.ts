/**
 * Stands in for a warm sandbox's gateway proxy before the bind (harness/supervisor/gateway-proxy.ts): MCP
 * requests are held until `bind()` (then answered 503: no MCP server behind it), model calls go to the
 * scripted model (standing for the provider) or, with `refuseUnboundModelCalls`, are refused until the bind.
 * Records what was asked before the bind.
 */
import type { ScriptedModel } from "./scripted-model/index.ts";

export function startUnboundGateway(model: ScriptedModel, opts: { refuseUnboundModelCalls?: boolean } = {}) {
  let bound = false;
  const held: Array<() => void> = [];
  const beforeBind: string[] = [];
  const mcpRequests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // The proxy holds a request as long as the slot waits for its bind.
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (!bound) beforeBind.push(`${req.method} ${url.pathname}`);
      if (url.pathname.startsWith("/mcp")) {
        mcpRequests.push(`${req.method} ${url.pathname}${bound ? "" : " (before the bind)"}`);
        if (!bound) await new Promise<void>((release) => held.push(release));
        return Response.json({ error: { message: "no MCP server behind this gateway" } }, { status: 503 });
      }
      if (!bound && opts.refuseUnboundModelCalls)
        return Response.json({ error: { code: "sandbox_unbound", message: "not bound yet" } }, { status: 401 });
      const headers = new Headers(req.headers);
      headers.delete("host");
      return fetch(`${model.url}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body: req.method === "GET" ? undefined : await req.arrayBuffer(),
      });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    beforeBind,
    mcpRequests,
    bind() {
      bound = true;
      for (const release of held.splice(0)) release();
    },
    stop() {
      for (const release of held.splice(0)) release();
      server.stop(true);
    },
  };
}
