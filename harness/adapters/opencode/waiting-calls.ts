// Tool calls opencode waits on for a person's decision (the agent's approval-required tools, asked as
// opencode permissions: permissions.ts). A listed call's `permission.asked` ends LAP's turn with
// `requires_action` while opencode's loop waits; the `tool_confirmation` turn answers it through
// `POST /permission/{id}/reply`, so the same opencode session carries on (docs/approvals.md).
import type { TurnRecorder } from "../process.ts";
import { events as ev } from "../types.ts";
import { opencodePermission, type PermissionAsked, permissionOfTool, replyBody } from "./permissions.ts";

/**
 * opencode runs a response's tool calls as each one streams in, so their permission requests come one
 * after the other: the turn ends requires_action once none has come for this long, with all of them.
 */
const ASK_SETTLE_MS = 300;
/** If opencode does not go idle this long after LAP refused its waiting calls, LAP carries on anyway. */
const REFUSAL_GRACE_MS = 10_000;

export type PermissionReply = ReturnType<typeof replyBody>;

export class WaitingCalls {
  /** opencode permissions that wait for a person. */
  private readonly asks: ReadonlySet<string>;
  /** Listed calls opencode waits on (LAP's turn ended, or will end, with requires_action), oldest first. */
  private pending: PermissionAsked[] = [];
  /** A call just answered while others still wait: the turn ends requires_action once its result is in. */
  private answeredWhileWaiting: string | undefined;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs when opencode goes idle after LAP refused its waiting calls (that idle ends no LAP turn). */
  private afterRefusal: (() => void) | undefined;

  constructor(
    approvalRequiredTools: string[],
    private readonly deps: {
      reply(requestId: string, body: PermissionReply): Promise<Response>;
      /** The LAP turn open now, if any. */
      turn(): TurnRecorder | undefined;
      /** LAP's opencode session (a sub-agent's calls come from other sessions). */
      conversationId(): string | undefined;
    },
  ) {
    this.asks = new Set(approvalRequiredTools.map(opencodePermission));
  }

  /** The `evaluated_permission` of each tool call, when the agent has approval-required tools. */
  permissionOfTool(): ((tool: string) => "ask" | "allow") | undefined {
    if (!this.asks.size) return undefined;
    return (tool) => (this.asks.has(permissionOfTool(tool)) ? "ask" : "allow");
  }

  get waiting(): boolean {
    return this.pending.length > 0;
  }

  /** A listed call waits for a person; anything else opencode asks about runs (it should not ask). */
  onAsked(asked: PermissionAsked | undefined): void {
    if (!asked) return;
    if (!this.asks.has(asked.permission)) {
      void this.deps.reply(asked.requestId, { reply: "once" });
      return;
    }
    if (asked.sessionId !== this.deps.conversationId() || !asked.callId) {
      // A sub-agent's call (opencode's task tool) has no tool_use in LAP's session to decide on:
      // it is refused rather than run unasked.
      void this.deps.reply(
        asked.requestId,
        replyBody("deny", "Not run: this tool needs a person's approval, which LAP asks for only in the main session."),
      );
      return;
    }
    this.pending.push(asked);
    this.settle();
  }

  /** opencode rejects a session's other waiting requests along with a rejected one. */
  onReplied(requestId: unknown): void {
    this.pending = this.pending.filter((p) => p.requestId !== requestId);
  }

  /** A tool result reached LAP's turn: the one answered while others wait lets the turn end requires_action. */
  onToolResult(toolUseId: string): void {
    if (toolUseId !== this.answeredWhileWaiting) return;
    this.answeredWhileWaiting = undefined;
    this.settle();
  }

  /** opencode went idle: true when that idle ended a refusal (so it ends no LAP turn). */
  onIdle(): boolean {
    const then = this.afterRefusal;
    if (!then) return false;
    this.afterRefusal = undefined;
    then();
    return true;
  }

  /** Takes the waiting call a decision is for (the others keep waiting). */
  take(toolUseId: string): PermissionAsked | undefined {
    const index = this.pending.findIndex((p) => p.callId === toolUseId);
    if (index < 0) return undefined;
    const [waiting] = this.pending.splice(index, 1) as [PermissionAsked];
    if (this.pending.length) this.answeredWhileWaiting = waiting.callId;
    return waiting;
  }

  /** Ends LAP's turn with requires_action for every waiting call once no more are coming. */
  private settle(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      const turn = this.deps.turn();
      if (!this.pending.length || this.answeredWhileWaiting || !turn || turn.finished) return;
      turn.emit(ev.requiresAction(this.pending.map((p) => p.callId!)));
    }, ASK_SETTLE_MS);
  }

  /**
   * Refuses every waiting call (a plain reject, which stops opencode's loop); `then` runs once opencode
   * has gone idle. The refused calls' results go to whatever LAP turn is open.
   */
  refuse(then: () => void): void {
    const waiting = this.pending.splice(0);
    this.answeredWhileWaiting = undefined;
    const timer = setTimeout(() => this.afterRefusal === run && ((this.afterRefusal = undefined), then()), REFUSAL_GRACE_MS);
    const run = () => {
      clearTimeout(timer);
      then();
    };
    this.afterRefusal = run;
    for (const request of waiting) void this.deps.reply(request.requestId, replyBody("deny")).catch(() => undefined);
  }

  /** Forgets every waiting call: an abort stopped opencode's loop with them. */
  clear(): void {
    this.pending = [];
    this.answeredWhileWaiting = undefined;
  }

  /** The server died: waiting calls died with it, and a decision on one then finds nothing to answer. */
  reset(): void {
    this.clear();
    this.afterRefusal = undefined;
  }

  stop(): void {
    clearTimeout(this.settleTimer);
  }
}
