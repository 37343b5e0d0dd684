import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import { badRequest, notFound } from "../lib/errors";
import { serverIdParams, userCredentialBody } from "./model";
import type { McpGateway } from "./service";

/** What any key may do: see the servers it can use, and store its own credentials for them. */
export function userRoutes(gateway: McpGateway, guard: AuthGuard, baseUrl: string) {
  const visibleById = async (principal: Parameters<McpGateway["callerOf"]>[0], id: string) => {
    const caller = await gateway.callerOf(principal);
    const v = (await gateway.visible(caller)).find((s) => s.row.id === id);
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
          aggregate_url: `${baseUrl}/mcp`,
          data: visible.map(({ row, grant }) => ({
            id: row.id,
            name: row.name,
            description: row.description,
            url: `${baseUrl}/mcp/${row.name}`,
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
        if (!body.credential && !body.variables) throw badRequest("Invalid body: give credential or variables", [{ field: "credential", message: "give credential or variables" }]);
        const { caller, row } = await visibleById(principal, params.id);
        await gateway.saveUserSecrets(row.id, gateway.userIdOf(caller), { ...(body.credential ? { credential: body.credential } : {}), variables: body.variables ?? {} });
        return { ok: true };
      },
      { params: serverIdParams, body: userCredentialBody, response: z.object({ ok: z.boolean() }), detail: { summary: "Store your own key or variables for a server (encrypted, never returned)" } },
    )
    .delete(
      "/servers/:id/credentials",
      async ({ principal, params }) => {
        const { caller, row } = await visibleById(principal, params.id);
        return { ok: await gateway.deleteUserSecrets(row.id, gateway.userIdOf(caller)) };
      },
      { params: serverIdParams, detail: { summary: "Forget your own credentials and OAuth tokens for a server" } },
    );
}
