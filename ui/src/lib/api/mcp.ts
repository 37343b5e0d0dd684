// The MCP gateway: registered servers, grants, recorded calls.
import type { z } from "zod";
import type { CreateServerInput, GrantView, healthView, ServerView, testResultView, ToolCallView } from "../../../../mcp/model";
import { request } from "./client";

export type { CreateServerInput, GrantView, ServerView, ToolCallView };
export type McpTestResult = z.infer<typeof testResultView>;
export type McpHealth = z.infer<typeof healthView>;

export const mcpApi = {
  mcp: {
    list: () => request<{ data: ServerView[] }>("GET", "/api/mcp/servers").then((r) => r.data),
    create: (input: CreateServerInput) => request<ServerView>("POST", "/api/mcp/servers", input),
    update: (id: string, change: Partial<CreateServerInput>) =>
      request<ServerView>("PATCH", `/api/mcp/servers/${encodeURIComponent(id)}`, change),
    remove: (id: string) => request<{ ok: true }>("DELETE", `/api/mcp/servers/${encodeURIComponent(id)}`),
    test: (id: string) => request<McpTestResult>("POST", `/api/mcp/servers/${encodeURIComponent(id)}/test`),
    health: (id: string) => request<McpHealth>("GET", `/api/mcp/servers/${encodeURIComponent(id)}/health`),
    grants: (serverId: string) =>
      request<{ data: GrantView[] }>("GET", `/api/mcp/grants?server_id=${encodeURIComponent(serverId)}`).then((r) => r.data),
    grant: (input: { server_id: string; subject_type: "key" | "user" | "agent"; subject_id: string; tools: string[] | null }) =>
      request<GrantView>("POST", "/api/mcp/grants", input),
    revokeGrant: (id: string) => request<{ ok: true }>("DELETE", `/api/mcp/grants/${encodeURIComponent(id)}`),
    calls: (server?: string) =>
      request<{ data: ToolCallView[] }>("GET", `/api/mcp/calls?limit=50${server ? `&server=${encodeURIComponent(server)}` : ""}`).then(
        (r) => r.data,
      ),
    oauthStart: (id: string) =>
      request<{ authorization_url: string; redirect_uri: string }>("POST", `/api/mcp/servers/${encodeURIComponent(id)}/oauth/start`),
  },
};
