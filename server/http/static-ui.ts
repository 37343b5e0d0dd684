import { Elysia } from "elysia";
import { existsSync, statSync } from "node:fs";
import { join, normalize } from "node:path";
import { notFound } from "../lib/errors";

/** Paths that belong to APIs: an unknown one is a JSON 404, never the dashboard's HTML. */
export const API_PREFIXES = ["/api", "/v1", "/mcp", "/slack", "/health", "/key", "/spend", "/openapi.json"];
const isApiPath = (path: string) => API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>LAP</title>
<body style="font:15px system-ui;margin:4rem auto;max-width:40rem">
<h1>The dashboard is not built yet</h1><p>Run <code>npm start</code> (it builds the dashboard), or <code>bun run ui:build</code>.</p>`;

/** Serves the built SolidJS dashboard with an SPA fallback to index.html. */
export function staticUi(distDir: string) {
  return new Elysia({ name: "static-ui" }).get("/*", ({ path }) => {
    if (isApiPath(path)) throw notFound(`Route ${path}`);
    const index = join(distDir, "index.html");
    if (!existsSync(index)) return new Response(NOT_BUILT, { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
    const file = normalize(join(distDir, decodeURIComponent(path)));
    if (file.startsWith(distDir) && existsSync(file) && statSync(file).isFile()) {
      const immutable = path.startsWith("/assets/");
      return new Response(Bun.file(file), {
        headers: { "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache" },
      });
    }
    return new Response(Bun.file(index), { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } });
  }, { detail: { hide: true } });
}
