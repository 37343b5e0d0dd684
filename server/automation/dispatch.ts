import { SYSTEM } from "../auth/policy";
import type { SqlTx } from "../db/client";
import { conflict } from "../lib/errors";
import type { StoredEvent } from "../sessions/model";
import type { SessionService } from "../sessions/service";

export interface DispatchInput {
  agentId: string;
  prompt: string;
  /** Title of a new session. */
  title: string;
  /** Continue this session when it still takes messages (same agent, not stopped); else start a new one. */
  continueSessionId?: string | null;
  /** Who a new session belongs to: the schedule's or trigger's creator (server/automation/owner.ts `runCreator`). */
  creator: { ownerKeyId: string | null; ownerUserId: string | null };
}

export interface Dispatched {
  sessionId: string;
  turnId: string;
  /** False when the prompt was queued in `continueSessionId`. */
  newSession: boolean;
  events: StoredEvent[];
}

/**
 * The path from something that happened outside (a schedule's slot, a webhook, an integration's
 * event) to a turn of an agent. `startInTx` writes the session (or the turn in an existing one)
 * inside the caller's transaction, next to the caller's own record of the event (a claimed slot,
 * a delivery): both commit or neither does, so the event runs exactly once. After the commit,
 * `announce` wakes the worker (its periodic sweep would find the turn anyway).
 * Refusals (agent paused, no runtime) are ApiErrors thrown before anything is written.
 */
export class TurnDispatcher {
  constructor(private readonly sessions: SessionService) {}

  async startInTx(tx: SqlTx, input: DispatchInput): Promise<Dispatched> {
    const content = [{ type: "text" as const, text: input.prompt }];
    if (input.continueSessionId) {
      const [s] = await tx.query<{
        id: string;
        status: string;
        agent_id: string | null;
        agent_status: string | null;
        agent_name: string | null;
      }>(
        `select s.id, s.status, s.agent_id, a.status as agent_status, a.name as agent_name
           from sessions s left join agents a on a.id = s.agent_id where s.id = $1`,
        [input.continueSessionId],
      );
      if (s && s.agent_id === input.agentId && s.status !== "stopped" && s.status !== "error") {
        if (s.agent_status === "paused") throw conflict(`Agent ${s.agent_name} is paused; resume it to send messages`);
        const turn = await this.sessions.enqueueInTx(tx, s.id, content);
        return { sessionId: s.id, turnId: turn.turnId, newSession: false, events: turn.events };
      }
    }
    const created = await this.sessions.createInTx(
      tx,
      { agent_id: input.agentId, title: input.title.slice(0, 200), prompt: input.prompt },
      // Who may use the agent was checked when the schedule or trigger was saved, and its creator is
      // checked again before each run (ownerProblem); the run itself is LAP acting for that creator.
      SYSTEM,
      input.creator,
    );
    return { sessionId: created.sessionId, turnId: created.turnId!, newSession: true, events: created.events };
  }

  announce(d: Dispatched) {
    this.sessions.announceTurn(d.sessionId, d.events);
  }

  /** A stop from outside: the session's queued turns end before they start (SessionService.cancelQueuedInTx). */
  cancelQueuedInTx(tx: SqlTx, sessionId: string, reason: string): Promise<StoredEvent[]> {
    return this.sessions.cancelQueuedInTx(tx, sessionId, reason);
  }

  /** A stop from outside: the running turn is marked to be interrupted (SessionService.markRunningInterruptedInTx). */
  markRunningInterruptedInTx(tx: SqlTx, sessionId: string): Promise<boolean> {
    return this.sessions.markRunningInterruptedInTx(tx, sessionId);
  }

  /** Publishes events written by `cancelQueuedInTx` after the commit. */
  publish(sessionId: string, events: StoredEvent[]) {
    if (events.length > 0) this.sessions.announceTurn(sessionId, events);
  }
}
