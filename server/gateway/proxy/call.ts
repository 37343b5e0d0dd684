import type { Principal } from "../../auth/model";
import type { SpendRow } from "../spend/writer";
import type { Attempt, Deployment, InboundFormat, Json } from "../types";

/**
 * What one gateway call carries from stage to stage (./handler.ts): admitted (./admit.ts), routed and
 * sent upstream (./route.ts), answered (./respond.ts), recorded (./record.ts).
 */
export interface CallContext {
  principal: Principal;
  request: Request;
  requestId: string;
  /**
   * A call LAP makes itself for a session (a generated title, server/sessions/titles): the spend row
   * names the session, its agent and this alias instead of a key (docs/sessions.md "Titles").
   */
  onBehalfOf?: { sessionId: string; agentId: string | null; keyAlias: string };
}

export const ROUTE_OF: Record<InboundFormat, string> = {
  chat: "/v1/chat/completions",
  messages: "/v1/messages",
  responses: "/v1/responses",
  completions: "/v1/completions",
  embeddings: "/v1/embeddings",
};

/** Gives back what admission reserved on the key, team and user, with the call's real cost and tokens. */
export type Release = (cost: number, tokens: number) => void;

/** The spend row's columns known before any provider is asked: who calls, which route, since when. */
export type CallerColumns = Omit<SpendRow, "status" | "endTime">;

/** The columns known once routing is over: the model group that answered (or was tried) and every attempt. */
export type RoutedColumns = CallerColumns & { modelGroup: string; attempts: Attempt[] };

/** A call the caller's key, team and user may make, with its limits reserved. */
export interface AdmittedCall {
  format: InboundFormat;
  body: Json;
  /** The model the caller asked for. */
  model: string;
  ctx: CallContext;
  /** `performance.now()` when the call came in (latency and time to first token count from here). */
  started: number;
  stream: boolean;
  caller: CallerColumns;
  /** The model group `model` resolves to and its deployments. */
  resolved: { group: string; deployments: Deployment[] };
  /** Session keys pin the agent's model: no fallback to another group. */
  allowFallbacks: boolean;
  /** Undefined when no limit was reserved. */
  release?: Release;
}
