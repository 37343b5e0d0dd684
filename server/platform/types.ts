import type { Principal } from "../auth/model";

/** Who is calling a platform tool: a session key's session and agent (nothing else gets these tools). */
export interface PlatformCaller {
  sessionId: string;
  agentId: string;
  principal: Principal;
}

/** A refusal the agent reads as the tool's error result (a limit, a session it may not reach). */
export class ToolError extends Error {}
