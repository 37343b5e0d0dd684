import type { McpOAuth } from "./oauth/service";
import type { McpSessions } from "./proxy/sessions";
import type { McpGateway } from "./service";

/** What createMcpModule (./index.ts) builds, and what its routes (./user-routes.ts) are given. */
export interface McpModule {
  gateway: McpGateway;
  sessions: McpSessions;
  oauth: McpOAuth;
  close(): Promise<void>;
}
