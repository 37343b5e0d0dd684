/**
 * What a chat integration (the Slack bot in slack/, Linear in server/linear) needs from sessions, agents
 * and approvals. server/app/sessions-port.ts builds it from those modules' services; the integrations
 * never reach into their tables, so they can be tested against any implementation
 * (test/support/memory-sessions.ts). It sits here, below both integrations (docs/development.md "Layers").
 */

/** A file attached to a user message, as the sessions API takes it (base64 content parts). */
export type AttachmentPart =
  | { type: "image"; source: { type: "base64"; media_type: string; data: string } }
  | { type: "document"; source: { type: "base64"; media_type: string; data: string }; title?: string };

export interface AgentRef {
  id: string;
  name: string;
}

/** A normalized session event (see DESIGN.md "Normalized events"). */
export interface SessionEventLike {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  /** The turn the event belongs to, when the runtime reports it. */
  turnId?: string | null;
}

export type ApprovalDecision = "allow" | "deny";

/** A tool call an agent asked a person to allow (server/approvals). */
export interface ApprovalRef {
  id: string;
  sessionId: string;
  toolName: string;
  input: unknown;
  status: "pending" | "allowed" | "denied" | "expired";
  decidedBy: string | null;
  message: string | null;
}

export type DecideResult =
  /** Decided now; the confirmation turn is queued (`afterSeq`: its user event). */
  | { kind: "decided"; approval: ApprovalRef; turnId: string; afterSeq: number }
  /** No longer pending: someone decided first, or it expired. */
  | { kind: "conflict"; approval: ApprovalRef }
  | { kind: "not_found" };

export interface SessionsPort {
  /** By id or by name; null when there is no such agent. */
  findAgent(idOrName: string): Promise<AgentRef | null>;
  listAgents(): Promise<AgentRef[]>;
  createSession(input: { agentId: string; title: string; metadata: Record<string, unknown> }): Promise<{ id: string }>;
  /** Queues one user turn. `afterSeq` is the seq of the user message: the turn's events come after it. */
  sendMessage(sessionId: string, text: string, attachments?: AttachmentPart[]): Promise<{ turnId: string; afterSeq: number }>;
  /** Stored events after `afterSeq`, then live ones, in order; resolves to an unsubscribe function. */
  subscribe(sessionId: string, afterSeq: number, onEvent: (event: SessionEventLike) => void): Promise<() => void>;
  interrupt(sessionId: string): Promise<void>;
  /**
   * The session's user turns, oldest first. Lets a message whose processing crashed between queueing
   * its turn and recording it find that turn again instead of sending it twice.
   */
  userTurns(sessionId: string): Promise<Array<{ turnId: string; seq: number; text: string }>>;
  getApproval(approvalId: string): Promise<ApprovalRef | null>;
  /**
   * The approval an `agent.tool_use` with evaluated_permission "ask" created (same transaction as the
   * event), by that event's seq: a provider's tool_use_id may repeat within a session.
   */
  approvalForAsk(sessionId: string, askSeq: number): Promise<ApprovalRef | null>;
  /** `message`: kept with the decision; with a denial the runtime gets it as the confirmation's `deny_message`. */
  decideApproval(approvalId: string, decision: ApprovalDecision, decidedBy: string, message?: string): Promise<DecideResult>;
}

/** Text delta of an `agent.message` event, whatever shape the runtime used. */
export function textOf(event: SessionEventLike): string {
  const d = event.data;
  if (typeof d.text === "string") return d.text;
  if (typeof d.delta === "string") return d.delta;
  if (d.delta && typeof (d.delta as { text?: unknown }).text === "string") return (d.delta as { text: string }).text;
  if (Array.isArray(d.content)) {
    return d.content.map((c) => (c && typeof (c as { text?: unknown }).text === "string" ? (c as { text: string }).text : "")).join("");
  }
  return "";
}

export const TERMINAL_OK = new Set(["session.status_idle", "session.idle", "turn.completed"]);
export const TERMINAL_ERROR = new Set(["session.error", "turn.failed"]);
export const TERMINAL_STOPPED = new Set(["session.stopped", "turn.interrupted"]);
