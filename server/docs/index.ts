import { openapi } from "@elysiajs/openapi";
import { Elysia, type AnyElysia } from "elysia";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";

/** Scalar's standalone bundle from node_modules (not its CDN): the machines LAP runs on often have no internet. */
const SCALAR_BUNDLE = fileURLToPath(new URL("../../node_modules/@scalar/api-reference/dist/browser/standalone.js", import.meta.url));

type OpenApiDoc = { paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>> };

/**
 * LAP parses JSON bodies with an `onParse` hook on every route (server/http/json-body.ts);
 * @elysiajs/openapi lists a body's media types only for Elysia's named parsers and leaves
 * `content` empty otherwise, so the JSON schema of each body is filled in here.
 */
function fillJsonBodies(doc: OpenApiDoc, routes: AnyElysia["routes"]) {
  for (const route of routes) {
    const body = (route.hooks as { body?: unknown }).body;
    const op = doc.paths?.[route.path.replace(/:(\w+)/g, "{$1}")]?.[route.method.toLowerCase()];
    const requestBody = op?.requestBody;
    if (!body || !requestBody || Object.keys(requestBody.content ?? {}).length) continue;
    requestBody.content = { "application/json": { schema: z.toJSONSchema(body as z.ZodType, { io: "input", unrepresentable: "any" }) } };
  }
  return doc;
}

export function docsRoutes(deps: { guard: AuthGuard; version: string; routes?: () => AnyElysia["routes"] }) {
  return new Elysia({ name: "docs" })
    .use(deps.guard)
    .onAfterHandle(({ path, response }) => {
      if (path === "/openapi.json" && deps.routes && response && typeof response === "object")
        fillJsonBodies(response as OpenApiDoc, deps.routes());
    })
    .get(
      "/docs/scalar.js",
      () =>
        new Response(Bun.file(SCALAR_BUNDLE), {
          headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" },
        }),
      { detail: { hide: true } },
    )
    .use(
      openapi({
        path: "/docs",
        specPath: "/openapi.json",
        mapJsonSchema: { zod: z.toJSONSchema },
        // A self-hosted reference: none of Scalar's hosted-service menus (the developer toolbar with
        // "Deploy"/"Share", "Open API Client", Ask AI, MCP generation), and no telemetry.
        scalar: {
          cdn: "/docs/scalar.js",
          withDefaultFonts: false,
          hideClientButton: true,
          showDeveloperTools: "never",
          telemetry: false,
          agent: { disabled: true },
          mcp: { disabled: true },
        } as never,
        documentation: {
          info: {
            title: "LAP API",
            version: deps.version,
            description:
              "Self-hosted orchestration for stateful AI agents. Authenticate with `Authorization: Bearer <key>` or `x-api-key`.",
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
