import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";

/** Scalar's standalone bundle from node_modules (not its CDN): the machines LAP runs on often have no internet. */
const SCALAR_BUNDLE = fileURLToPath(new URL("../../node_modules/@scalar/api-reference/dist/browser/standalone.js", import.meta.url));

export function docsRoutes(deps: { guard: AuthGuard; version: string }) {
  return new Elysia({ name: "docs" })
    .use(deps.guard)
    .get("/docs/scalar.js", () => new Response(Bun.file(SCALAR_BUNDLE), {
      headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" },
    }), { detail: { hide: true } })
    .use(
      openapi({
        path: "/docs",
        specPath: "/openapi.json",
        mapJsonSchema: { zod: z.toJSONSchema },
        scalar: { cdn: "/docs/scalar.js", withDefaultFonts: false } as never,
        documentation: {
          info: {
            title: "LAP API",
            version: deps.version,
            description: "Self-hosted orchestration for stateful AI agents. Authenticate with `Authorization: Bearer <key>` or `x-api-key`.",
          },
          components: {
            securitySchemes: {
              bearer: { type: "http", scheme: "bearer" },
              apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
            },
          },
          security: [{ bearer: [] }, { apiKey: [] }],
        },
      }),
    );
}
