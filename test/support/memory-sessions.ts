/**
 * An in-memory SessionsPort for Slack tests until they run against the real sessions service.
 * It follows the port's contract: events have increasing seqs, `subscribe(after)` replays stored
 * events then streams live ones, turns of one session run one at a time in order.
 * A turn's script is a list of steps (events to emit, with optional delays).
 */
import type { AgentRef, SessionEventLike, SessionsPort } from "../../server/sessions/port";

export interface Step {
  type: string;
  data?: Record<string, unknown>;
  delayMs?: number;
  /** Wait here until the session is interrupted. */
  untilInterrupted?: boolean;
  /** Wait for this before the step's event (a test/support/gate.ts gate the test opens). */
  until?: Promise<unknown>;
}

interface MemSession {
  id: string;
  agentId: string;
  metadata: Record<string, unknown>;
  events: SessionEventLike[];
  listeners: Set<(e: SessionEventLike) => void>;
  chain: Promise<void>;
  interrupted: boolean;
  prompts: string[];
}

export class MemorySessions implements SessionsPort {
  agents: AgentRef[] = [
    { id: "agent-helper", name: "helper" },
    { id: "agent-coder", name: "coder" },
  ];
  sessions = new Map<string, MemSession>();
  failCreate = 0;
  failSend = 0;
  stepDelayMs = 5;
  /** What the agent does for a prompt. Default: echo it back, then go idle. */
  script: (prompt: string) => Step[] = (prompt) => [
    { type: "agent.message", data: { text: `You said: ${prompt}` } },
    { type: "session.status_idle" },
  ];
  private n = 0;

  async findAgent(idOrName: string) {
    return this.agents.find((a) => a.id === idOrName || a.name === idOrName) ?? null;
  }
  async listAgents() {
    return this.agents;
  }
  async createSession(input: { agentId: string; title: string; metadata: Record<string, unknown> }) {
    if (this.failCreate > 0) {
      this.failCreate -= 1;
      throw new Error("runtime unavailable");
    }
    const id = `sess-${++this.n}`;
    this.sessions.set(id, {
      id,
      agentId: input.agentId,
      metadata: input.metadata,
      events: [],
      listeners: new Set(),
      chain: Promise.resolve(),
      interrupted: false,
      prompts: [],
    });
    return { id };
  }
  async sendMessage(sessionId: string, text: string) {
    if (this.failSend > 0) {
      this.failSend -= 1;
      throw new Error("queue unavailable");
    }
    const s = this.sessions.get(sessionId);
    if (!s) throw new Error(`no session ${sessionId}`);
    const turnId = `turn-${++this.n}`;
    s.prompts.push(text);
    const user = this.emit(s, { type: "user.message", data: { text }, turnId });
    const steps = this.script(text);
    s.chain = s.chain.then(async () => {
      s.interrupted = false;
      for (const step of steps) {
        if (step.untilInterrupted) {
          // Bounded, so a test that never clicks Stop fails on its own instead of hanging the ones after it.
          for (let waited = 0; !s.interrupted && waited < 10_000; waited += 5) await Bun.sleep(5);
          this.emit(s, { type: "turn.interrupted", data: {}, turnId });
          return;
        }
        await Bun.sleep(step.delayMs ?? this.stepDelayMs);
        if (step.until) await step.until;
        this.emit(s, { type: step.type, data: step.data ?? {}, turnId });
      }
    });
    return { turnId, afterSeq: user.seq };
  }
  async subscribe(sessionId: string, afterSeq: number, onEvent: (e: SessionEventLike) => void) {
    const s = this.sessions.get(sessionId)!;
    for (const e of s.events) if (e.seq > afterSeq) onEvent(e);
    s.listeners.add(onEvent);
    return () => void s.listeners.delete(onEvent);
  }
  async interrupt(sessionId: string) {
    const s = this.sessions.get(sessionId);
    if (s) s.interrupted = true;
  }
  async userTurns(sessionId: string) {
    const s = this.sessions.get(sessionId);
    return (s?.events ?? [])
      .filter((e) => e.type === "user.message")
      .map((e) => ({ turnId: e.turnId!, seq: e.seq, text: String(e.data.text) }));
  }
  // Approvals are tested on the real sessions service (slack/real-sessions-approvals.test.ts, slack/real-sessions-approval-dialogs.test.ts).
  async getApproval() {
    return null;
  }
  async approvalForAsk() {
    return null;
  }
  async decideApproval() {
    return { kind: "not_found" as const };
  }
  private emit(s: MemSession, e: Omit<SessionEventLike, "seq">) {
    const event = { ...e, seq: s.events.length + 1 };
    s.events.push(event);
    for (const l of s.listeners) l(event);
    return event;
  }
}
