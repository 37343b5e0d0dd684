import { SYSTEM } from "../auth/policy";
import { turnOutput } from "../automation/outcome";
import type { Database } from "../db/client";
import type { SessionService } from "../sessions/service";
import { type PlatformCaller, ToolError } from "./types";

/**
 * Sub-agents and the agent's own sessions (docs/memory.md "Sub-agents"). Limits: a chain of sub-agents
 * is at most `maxDepth` deep below a person's session; one session runs at most `maxRunning` sub-agents
 * at a time and starts at most `maxChildren` in all.
 */
export const SUBAGENT_LIMITS = { maxDepth: 2, maxRunning: 3, maxChildren: 20 } as const;

export interface SessionToolsDeps {
  database: Database;
  sessions: SessionService;
  /**
   * Charges a sub-agent's model spend so far to its parent session's key (docs/memory.md "Who pays"):
   * returns nothing; unset: not charged (an external LiteLLM keeps its own keys).
   */
  chargeParent?(childSessionId: string, parentSessionId: string): Promise<void>;
  /** How often a wait looks at the turn (tests shorten it). */
  pollMs?: number;
}

const FINAL_TURN = new Set(["completed", "failed", "interrupted"]);

interface SessionLine {
  id: string;
  agent_id: string | null;
  status: string;
  depth: number;
  parent_session_id: string | null;
  team_id: string;
  owner_key_id: string | null;
  owner_user_id: string | null;
  title: string;
  created_at: string;
}

export class SessionTools {
  constructor(private readonly deps: SessionToolsDeps) {}

  private async session(id: string): Promise<SessionLine | undefined> {
    const [s] = await this.deps.database.query<SessionLine>(
      "select id, agent_id, status, depth, parent_session_id, team_id, owner_key_id, owner_user_id, title, created_at from sessions where id = $1",
      [id],
    );
    return s;
  }

  /** A session this caller may reach: its own agent's, or a sub-agent session it started. Else "no such session". */
  private async reachable(c: PlatformCaller, id: string): Promise<SessionLine> {
    const s = await this.session(id);
    if (!s || id === c.sessionId || (s.agent_id !== c.agentId && s.parent_session_id !== c.sessionId))
      throw new ToolError(`No session ${id.slice(0, 64)} of this agent (or a sub-agent you started)`);
    return s;
  }

  async startSubagent(c: PlatformCaller, agentRef: string, message: string, waitMs: number, signal?: AbortSignal) {
    const parent = await this.session(c.sessionId);
    if (!parent) throw new ToolError("This session no longer exists");
    const [me] = await this.deps.database.query<{ subagent_ids: string[]; team_id: string }>(
      "select subagent_ids, team_id from agents where id = $1",
      [c.agentId],
    );
    const allowed = me?.subagent_ids ?? [];
    const [target] = allowed.length
      ? await this.deps.database.query<{ id: string; name: string; team_id: string }>(
          "select id, name, team_id from agents where (id = $1 or name = $1) and id = any($2::text[])",
          [agentRef, allowed],
        )
      : [];
    if (!target || target.team_id !== parent.team_id) {
      const names = allowed.length
        ? (
            await this.deps.database.query<{ name: string }>("select name from agents where id = any($1::text[]) order by name", [allowed])
          ).map((r) => r.name)
        : [];
      throw new ToolError(
        `You may not start ${agentRef.slice(0, 200)} as a sub-agent: ${names.length ? `your sub-agents are ${names.join(", ")}` : "this agent has no sub-agents (a person adds them in the agent's settings)"}`,
      );
    }
    const L = SUBAGENT_LIMITS;
    if (parent.depth + 1 > L.maxDepth)
      throw new ToolError(
        `Sub-agent depth limit reached: this session is ${parent.depth} level(s) below a person's, and sub-agents go at most ${L.maxDepth} deep`,
      );
    const [n] = await this.deps.database.query<{ all: number; running: number }>(
      "select count(*)::int as all, count(*) filter (where status in ('creating', 'running', 'recovering'))::int as running from sessions where parent_session_id = $1",
      [parent.id],
    );
    if ((n?.all ?? 0) >= L.maxChildren)
      throw new ToolError(`Sub-agent limit reached: a session starts at most ${L.maxChildren} sub-agents`);
    if ((n?.running ?? 0) >= L.maxRunning)
      throw new ToolError(`Too many sub-agents running: at most ${L.maxRunning} at a time; wait for one to finish (read_session)`);
    const created = await this.deps.database.transaction(async (tx) => {
      // The child belongs to whoever the parent belongs to (same team, same creator): LAP acts for them.
      const made = await this.deps.sessions.createInTx(
        tx,
        { agent_id: target.id, title: `Sub-agent of ${parent.id}`, prompt: message },
        SYSTEM,
        {
          ownerKeyId: parent.owner_key_id,
          ownerUserId: parent.owner_user_id,
          parent: { id: parent.id, depth: parent.depth },
        },
      );
      return made;
    });
    this.deps.sessions.announceTurn(created.sessionId, created.events);
    const result = await this.wait(created.sessionId, created.turnId!, waitMs, signal);
    if (result.status !== "running") await this.deps.chargeParent?.(created.sessionId, parent.id).catch(() => {});
    return { session_id: created.sessionId, agent: target.name, ...result };
  }

  async list(c: PlatformCaller, limit: number) {
    const rows = await this.deps.database.query<SessionLine>(
      `select id, agent_id, status, depth, parent_session_id, team_id, owner_key_id, owner_user_id, title, created_at from sessions
        where (agent_id = $1 or parent_session_id = $2) and id <> $2 order by created_at desc limit $3`,
      [c.agentId, c.sessionId, limit],
    );
    return rows.map((s) => ({
      id: s.id,
      status: s.status,
      title: s.title,
      sub_agent_of: s.parent_session_id,
      created_at: new Date(s.created_at).toISOString(),
    }));
  }

  async read(c: PlatformCaller, id: string, limit: number) {
    const s = await this.reachable(c, id);
    // A reply streams as several agent.message pieces: consecutive ones are one message.
    const rows = await this.deps.database.query<{
      type: string;
      data: { content?: Array<{ type?: string; text?: unknown }> };
      seq: number;
    }>(
      "select seq, type, data from session_events where session_id = $1 and type in ('user.message', 'agent.message') order by seq desc limit $2",
      [id, Math.min(limit * 50, 5000)],
    );
    const messages: Array<{ from: "user" | "agent"; text: string }> = [];
    for (const r of rows.reverse()) {
      const from = r.type === "user.message" ? "user" : "agent";
      const piece = (r.data.content ?? []).map((p) => (p.type === "text" && typeof p.text === "string" ? p.text : "")).join("");
      const last = messages.at(-1);
      if (last && last.from === "agent" && from === "agent") last.text += piece;
      else messages.push({ from, text: piece });
    }
    return { session_id: s.id, status: s.status, messages: messages.slice(-limit).map((m) => ({ ...m, text: m.text.slice(0, 8000) })) };
  }

  async message(c: PlatformCaller, id: string, textIn: string, waitMs: number, signal?: AbortSignal) {
    const s = await this.reachable(c, id);
    // Acting in a session is its creator's (server/auth/policy.ts "act"): another person's session of
    // the same agent is readable (as for any member of the team) but not the agent's to write in.
    const me = await this.session(c.sessionId);
    if (s.parent_session_id !== c.sessionId && (s.owner_user_id !== me?.owner_user_id || s.owner_key_id !== me?.owner_key_id)) {
      throw new ToolError(`Session ${id} was started by someone else: read it with read_session, but you may not write in it`);
    }
    if (s.status === "stopped" || s.status === "error") throw new ToolError(`Session ${id} is ${s.status}`);
    const { turn_id } = await this.deps.sessions.postMessage(id, { text: textIn }, SYSTEM);
    const result = await this.wait(id, turn_id, waitMs, signal);
    if (s.parent_session_id === c.sessionId && result.status !== "running") await this.deps.chargeParent?.(id, c.sessionId).catch(() => {});
    return { session_id: id, ...result };
  }

  /** Waits for a turn to end (or to wait for a person), up to `waitMs`; its reply text when it ended. */
  private async wait(sessionId: string, turnId: string, waitMs: number, signal?: AbortSignal) {
    const until = Date.now() + waitMs;
    for (;;) {
      const [t] = await this.deps.database.query<{ status: string; error: string | null }>(
        "select t.status, s.error from session_turns t join sessions s on s.id = t.session_id where t.id = $1",
        [turnId],
      );
      const [s] = await this.deps.database.query<{ status: string }>("select status from sessions where id = $1", [sessionId]);
      if (t && FINAL_TURN.has(t.status)) {
        const out = await turnOutput(this.deps.database, sessionId, turnId);
        return {
          status: t.status,
          reply: out.text,
          ...(out.truncated ? { truncated: true } : {}),
          ...(t.status === "failed" && t.error ? { error: t.error } : {}),
        };
      }
      if (s?.status === "awaiting_approval")
        return { status: "awaiting_approval", reply: "The sub-agent waits for a person's approval; read its session later." };
      if (Date.now() >= until || signal?.aborted)
        return { status: "running", reply: "Still working; read its session later with read_session." };
      await Bun.sleep(this.deps.pollMs ?? 250);
    }
  }
}
