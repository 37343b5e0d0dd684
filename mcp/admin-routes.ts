import { Elysia } from "elysia";
import { z } from "zod";
import type { Principal } from "../server/auth/model";
import { assertShared, covers, isAdmin, scopeOf } from "../server/auth/policy";
import type { McpServerRow } from "../schema";
import { requireAdmin, type AuthGuard } from "../server/http/auth-guard";
import { badRequest, notFound } from "../server/lib/errors";
import {
  callsQuery,
  createServerBody,
  grantBody,
  grantView,
  healthView,
  serverIdParams,
  testResultView,
  serverView,
  toolCallView,
  updateServerBody,
} from "./model";
import type { McpGateway } from "./service";
import { describe } from "./upstream/connection";

/**
 * Registry and grants: admins manage every server, a team's admins and owners the team's own; members
 * and viewers list their teams' and the org-wide ones; another team's does not exist for them
 * (server/auth/policy.ts). The call log stays an admin's.
 */
export function adminRoutes(gateway: McpGateway, guard: AuthGuard) {
  const { registry, policy, calls } = gateway;
  /** A server the caller may see (404 otherwise), and may manage when asked. */
  const server = async (id: string, p: Principal, action: "read" | "manage") => {
    const row = await registry.get(id);
    assertShared(p, row.teamId, action, `MCP server ${row.name}`, () => notFound("MCP server"));
    return row;
  };
  /** An org-wide server's command, URL and header names are the org admins' configuration: others see its name. */
  const viewFor = (p: Principal, row: McpServerRow) => {
    const v = registry.view(row);
    return row.teamId !== null || isAdmin(p)
      ? v
      : { ...v, command: null, args: [], env_names: [], bind_paths: [], url: null, header_names: [], variables: [] };
  };
  const routes = new Elysia({ prefix: "/api/mcp", detail: { tags: ["MCP servers"] } })
    .use(guard)
    .get(
      "/servers",
      async ({ principal }) => {
        const scope = scopeOf(principal);
        return { data: (await registry.list()).filter((r) => covers(scope, r.teamId)).map((r) => viewFor(principal, r)) };
      },
      {
        response: z.object({ data: z.array(serverView) }),
        detail: { summary: "List registered MCP servers (credentials never included)" },
      },
    )
    .post(
      "/servers",
      async ({ body, set, principal }) => {
        set.status = 201;
        return registry.create(body, principal);
      },
      { body: createServerBody, response: { 201: serverView }, detail: { summary: "Register an MCP server" } },
    )
    .get("/servers/:id", async ({ params, principal }) => viewFor(principal, await server(params.id, principal, "read")), {
      params: serverIdParams,
      response: serverView,
      detail: { summary: "One MCP server" },
    })
    .patch(
      "/servers/:id",
      async ({ params, body, principal }) => {
        await server(params.id, principal, "manage");
        return registry.update(params.id, body, principal);
      },
      {
        params: serverIdParams,
        body: updateServerBody,
        response: serverView,
        detail: { summary: "Edit an MCP server; omitted secrets are kept, given ones replaced" },
      },
    )
    .delete(
      "/servers/:id",
      async ({ params, principal }) => {
        await server(params.id, principal, "manage");
        await registry.remove(params.id, principal);
        return { ok: true };
      },
      { params: serverIdParams, detail: { summary: "Remove an MCP server (its grants and user credentials go with it)" } },
    )
    .post(
      "/servers/:id/test",
      async ({ params, principal }) => {
        const row = await server(params.id, principal, "manage");
        const caller = await gateway.callerOf(principal);
        const started = performance.now();
        try {
          const conn = await gateway.upstream(row, caller);
          const client = await conn.connected();
          const caps = client.getServerCapabilities() ?? {};
          const [tools, prompts, resources] = await Promise.all([
            conn.listTools(),
            caps.prompts ? client.listPrompts().then((r) => r.prompts) : [],
            caps.resources ? client.listResources().then((r) => r.resources) : [],
          ]);
          return {
            ok: true,
            duration_ms: Math.round(performance.now() - started),
            server_info: client.getServerVersion() ?? null,
            tools: tools.map((t) => ({
              name: t.name,
              description: t.description ?? "",
              enabled: !row.disabledTools.includes(t.name) && (!row.allowedTools || row.allowedTools.includes(t.name)),
            })),
            prompts: prompts.map((p) => ({ name: p.name, description: p.description ?? "" })),
            resources: resources.map((r) => ({ uri: r.uri, name: r.name })),
          };
        } catch (err) {
          return {
            ok: false,
            duration_ms: Math.round(performance.now() - started),
            error: describe(err),
            tools: [],
            prompts: [],
            resources: [],
          };
        }
      },
      {
        params: serverIdParams,
        response: testResultView,
        detail: { summary: "Test the connection: list the server's tools, prompts and resources" },
      },
    )
    .get(
      "/servers/:id/health",
      async ({ params, principal }) => {
        await server(params.id, principal, "manage");
        const conns = gateway.pool.ofServer(params.id);
        const order = ["connected", "connecting", "failed", "closed", "idle"] as const;
        const state = order.find((s) => conns.some((c) => c.state === s)) ?? "idle";
        const errors = conns
          .flatMap((c) => c.errors)
          .sort((a, b) => b.at.getTime() - a.at.getTime())
          .slice(0, 20);
        const last = conns.map((c) => c.lastConnectedAt?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0);
        return {
          state,
          connections: conns.length,
          last_connected_at: last ? new Date(last).toISOString() : null,
          recent_errors: errors.map((e) => ({ at: e.at.toISOString(), message: e.message })),
        };
      },
      { params: serverIdParams, response: healthView, detail: { summary: "Connection health and recent errors" } },
    )
    .get("/grants", async ({ query, principal }) => ({ data: await policy.listGrants(query.server_id, principal) }), {
      query: z.object({ server_id: z.string().max(64).optional() }),
      response: z.object({ data: z.array(grantView) }),
      detail: { summary: "Access grants (servers and tools granted to keys, users, agents)" },
    })
    .post(
      "/grants",
      async ({ body, set, principal }) => {
        if (body.tools && body.tools.length === 0)
          throw badRequest("Invalid body: tools: give at least one tool, or null for all", [
            { field: "tools", message: "give at least one tool, or null for all" },
          ]);
        set.status = 201;
        return policy.createGrant(body, principal);
      },
      { body: grantBody, response: { 201: grantView }, detail: { summary: "Grant a server (all or some tools) to a key, user or agent" } },
    )
    .delete(
      "/grants/:id",
      async ({ params, principal }) => {
        await policy.deleteGrant(params.id, principal);
        return { ok: true };
      },
      { params: serverIdParams, detail: { summary: "Revoke a grant" } },
    );
  const callLog = new Elysia({ prefix: "/api/mcp", detail: { tags: ["MCP servers"] } })
    .use(guard)
    .onTransform(requireAdmin)
    .get("/calls", async ({ query }) => ({ data: await calls.list(query) }), {
      query: callsQuery,
      response: z.object({ data: z.array(toolCallView) }),
      detail: { summary: "Recent tool calls through the proxy (caller, server, tool, duration, status)" },
    });
  return new Elysia().use(routes).use(callLog);
}
