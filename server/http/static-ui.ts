import { Elysia } from "elysia";
import { existsSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { notFound } from "../lib/errors";

/** Paths that belong to APIs: an unknown one is a JSON 404, never the dashboard's HTML. */
export const API_PREFIXES = ["/api", "/v1", "/mcp", "/slack", "/health", "/key", "/spend", "/openapi.json", "/metrics"];
const isApiPath = (path: string) => API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>LAP</title>
<body style="font:15px system-ui;margin:4rem auto;max-width:40rem">
<h1>The dashboard is not built yet</h1><p>Run <code>npm start</code> (it builds the dashboard), or <code>bun run ui:build</code>.</p>`;

/**
 * The file a URL path names inside `distDir`, or undefined: a path that does not decode, holds a NUL,
 * or resolves outside the directory (`..`, or a sibling such as `<dist>-evil`: the check is on the
 * directory plus a separator) names no file, and the SPA fallback answers.
 */
export function fileUnder(distDir: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\u0000")) return undefined;
  const root = resolve(distDir);
  const file = resolve(join(root, decoded));
  if (!file.startsWith(root + sep)) return undefined;
  return existsSync(file) && statSync(file).isFile() ? file : undefined;
}

/** Serves the built SolidJS dashboard with an SPA fallback to index.html. */
export function staticUi(distDir: string) {
  return new Elysia({ name: "static-ui" }).get(
    "/*",
    ({ path }) => {
      if (isApiPath(path)) throw notFound(`Route ${path}`);
      const index = join(distDir, "index.html");
      if (!existsSync(index)) return new Response(NOT_BUILT, { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
      const file = fileUnder(distDir, path);
      if (file) {
        const immutable = path.startsWith("/assets/");
        return new Response(Bun.file(file), {
          headers: { "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache" },
        });
      }
      return new Response(Bun.file(index), { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } });
    },
    { detail: { hide: true } },
  );
}
