import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "../../server/auth/model";
import type { McpCaller } from "../policy/service";

export { PLATFORM_SERVER } from "../../server/platform/tools";

/** A caller the platform tools answer (a session key of an agent that keeps them). */
export interface PlatformCallerRef {
  sessionId: string;
  agentId: string;
  principal: Principal;
}

/**
 * LAP's platform tools as the MCP proxy serves them: `/mcp/lap` (names unprefixed) and, inside the
 * aggregate `/mcp`, as `lap__<tool>`. Implemented by server/platform (wired in server/app.ts).
 */
export interface PlatformPort {
  callerOf(principal: Principal, ids: Pick<McpCaller, "sessionId" | "agentId">): Promise<PlatformCallerRef | null>;
  tools(): Tool[];
  call(caller: PlatformCallerRef, name: string, args: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<CallToolResult>;
}

export interface PlatformBinding {
  port: PlatformPort;
  caller: PlatformCallerRef;
}
