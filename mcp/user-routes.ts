import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../server/http/auth-guard";
import { badRequest, notFound } from "../server/lib/errors";
import { serverIdParams, userCredentialBody } from "./model";
import type { McpParts } from "./module";
import type { McpGateway } from "./service";

const page = (title: string, text: string, status: number) =>
  new Response(
    `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font:15px system-ui;margin:4rem auto;max-width:36rem"><h1>${title}</h1><p>${text}</p><p><a href="/mcp-servers">Back to MCP servers</a></p>`,
    { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } },
  );
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What any key may do: see the servers it can use, store its own credentials, connect with OAuth. */
export function userRoutes(mcp: McpParts, guard: AuthGuard, baseUrl: () => string) {
  const gateway = mcp.gateway;
  const visibleById = async (principal: Parameters<McpGateway["callerOf"]>[0], id: string) => {
    const caller = await gateway.callerOf(principal);
    const v = (await gateway.visibleAll(caller)).find((s) => s.row.id === id);
    if (!v) throw notFound("MCP server");
    return { caller, row: v.row };
  };
  return new Elysia({ prefix: "/api/mcp", detail: { tags: ["MCP servers"] } })
    .use(guard)
    .get(
      "/available",
      async ({ principal }) => {
        const caller = await gateway.callerOf(principal);
        const visible = await gateway.visible(caller);
        return {
          aggregate_url: `${baseUrl()}/mcp`,
          data: visible.map(({ row, grant }) => ({
            id: row.id,
            name: row.name,
            description: row.description,
            url: `${baseUrl()}/mcp/${row.name}`,
            auth_type: row.authType,
            tools: grant === "all" ? null : [...grant],
          })),
        };
      },
      { detail: { summary: "MCP servers this key may use, with their LAP proxy URLs" } },
    )
    .put(
      "/servers/:id/credentials",
      async ({ principal, params, body }) => {
        if (!body.credential && !body.variables)
          throw badRequest("Invalid body: give credential or variables", [
            { field: "credential", message: "give credential or variables" },
          ]);
        const { caller, row } = await visibleById(principal, params.id);
        await gateway.saveUserSecrets(
          row.id,
          gateway.userIdOf(caller),
          { ...(body.credential ? { credential: body.credential } : {}), variables: body.variables ?? {} },
          principal,
        );
        return { ok: true };
      },
      {
        params: serverIdParams,
        body: userCredentialBody,
        response: z.object({ ok: z.boolean() }),
        detail: { summary: "Store your own key or variables for a server (encrypted, never returned)" },
      },
    )
    .delete(
      "/servers/:id/credentials",
      async ({ principal, params }) => {
        const { caller, row } = await visibleById(principal, params.id);
        return { ok: await gateway.deleteUserSecrets(row.id, gateway.userIdOf(caller), principal) };
      },
      { params: serverIdParams, detail: { summary: "Forget your own credentials and OAuth tokens for a server" } },
    )
    .post(
      "/servers/:id/oauth/start",
      async ({ principal, params }) => {
        const { caller, row } = await visibleById(principal, params.id);
        return mcp.oauth.start(row, gateway.userIdOf(caller));
      },
      {
        params: serverIdParams,
        response: z.object({ authorization_url: z.string(), redirect_uri: z.string() }),
        detail: { summary: "Connect your account to an OAuth MCP server: open authorization_url in a browser" },
      },
    )
    .get(
      "/oauth/callback",
      async ({ query }) => {
        if (query.error)
          return page("Not connected", `The authorization server said: ${escapeHtml(query.error_description ?? query.error)}`, 400);
        if (!query.code || !query.state) return page("Not connected", "The redirect is missing code or state.", 400);
        try {
          const row = await mcp.oauth.finish(query.state, query.code);
          return page("Connected", `Your account is connected to ${escapeHtml(row.name)}. You can close this window.`, 200);
        } catch (err) {
          return page("Not connected", escapeHtml((err as Error).message), (err as { status?: number }).status ?? 500);
        }
      },
      {
        query: z.object({
          code: z.string().max(2000).optional(),
          state: z.string().max(200).optional(),
          error: z.string().max(200).optional(),
          error_description: z.string().max(2000).optional(),
        }),
        detail: { summary: "OAuth redirect target (public; verified by the single-use state LAP issued)" },
      },
    );
}
