import type { AnyElysia } from "elysia";
import type { McpOAuth } from "./oauth/service";
import type { McpSessions } from "./proxy/sessions";
import type { McpGateway } from "./service";

/** The parts of the gateway its routes (./user-routes.ts) are given. */
export interface McpParts {
  gateway: McpGateway;
  sessions: McpSessions;
  oauth: McpOAuth;
}

/** What createMcpModule (./index.ts) builds: the module contract of docs/development.md "Layers". */
export interface McpModule extends McpParts {
  routes: AnyElysia;
  /** Starts closing idle client sessions (mcp/proxy/sessions.ts). */
  start(): void;
  /** Ends every client's MCP session (their SSE streams), then closes the upstream connections. */
  stop(): Promise<void>;
  /** The same as `stop` (tests close with this). */
  close(): Promise<void>;
}
