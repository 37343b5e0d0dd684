/** The MCP gateway: servers, grants and a user's own credentials. */
import { type Fixtures, type Scenarios, uid } from "./fixtures";

export function mcpScenarios({ h, made, mcpServer }: Fixtures): Scenarios {
  return {
    "POST /api/mcp/servers": async () => ({
      path: "/api/mcp/servers",
      body: { name: `mcp-${uid()}`, transport: "streamable-http", url: "http://127.0.0.1:1/mcp" },
      action: "mcp_server.create",
    }),
    "PATCH /api/mcp/servers/:id": async () => ({
      path: `/api/mcp/servers/${await mcpServer()}`,
      body: { description: "changed" },
      action: "mcp_server.update",
    }),
    "DELETE /api/mcp/servers/:id": async () => ({ path: `/api/mcp/servers/${await mcpServer()}`, action: "mcp_server.delete" }),
    "POST /api/mcp/grants": async () => ({
      path: "/api/mcp/grants",
      body: { server_id: await mcpServer(), subject_type: "agent", subject_id: h.agentId, tools: null },
      action: "mcp_grant.create",
    }),
    "DELETE /api/mcp/grants/:id": async () => {
      const g = await made("POST", "/api/mcp/grants", {
        server_id: await mcpServer(),
        subject_type: "agent",
        subject_id: h.agentId,
        tools: null,
      });
      return { path: `/api/mcp/grants/${g.id}`, action: "mcp_grant.delete" };
    },
    "PUT /api/mcp/servers/:id/credentials": async () => ({
      path: `/api/mcp/servers/${await mcpServer()}/credentials`,
      body: { credential: "my-own-token-123" },
      action: "mcp_credentials.set",
    }),
    "DELETE /api/mcp/servers/:id/credentials": async () => {
      const id = await mcpServer();
      await made("PUT", `/api/mcp/servers/${id}/credentials`, { credential: "my-own-token-123" });
      return { path: `/api/mcp/servers/${id}/credentials`, action: "mcp_credentials.delete" };
    },
  };
}
