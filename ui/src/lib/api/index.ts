// Typed calls to LAP's API, one file per domain. Types come from the server's own models so the two cannot drift.
import { agentsApi } from "./agents";
import { auditApi } from "./audit";
import { automationApi } from "./automation";
import { authApi } from "./auth";
import { filesApi } from "./files";
import { gatewayApi } from "./gateway";
import { mcpApi } from "./mcp";
import { memoryApi } from "./memory";
import { overviewApi } from "./overview";
import { kubernetesApi, sandboxesApi, vaultApi } from "./sandboxes";
import { linearApi } from "./linear";
import { rulesApi, skillsApi } from "./skills";
import { slackApi } from "./slack";
import { teamsApi } from "./teams";

export * from "./agents";
export * from "./audit";
export * from "./automation";
export * from "./auth";
export * from "./client";
export * from "./files";
export * from "./gateway";
export * from "./mcp";
export * from "./memory";
export * from "./overview";
export * from "./sandboxes";
export * from "./linear";
export * from "./skills";
export * from "./slack";
export * from "./teams";

/**
 * Every domain under one name, as the pages use it: `api.sessions.get(id)`, `api.gateway.models.list()`.
 * Every call goes through `request<T>` (./client.ts) with T from the server's zod models.
 */
export const api = {
  gateway: gatewayApi,
  sandboxes: sandboxesApi,
  vault: vaultApi,
  skills: skillsApi,
  rules: rulesApi,
  ...authApi,
  ...mcpApi,
  kubernetes: kubernetesApi,
  ...agentsApi,
  ...memoryApi,
  ...slackApi,
  ...linearApi,
  ...automationApi,
  ...teamsApi,
  ...auditApi,
  ...overviewApi,
  ...filesApi,
};
