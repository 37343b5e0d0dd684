import type { ApprovalView } from "../approvals/model";
import type { AgentService } from "../agents/service";
import { ApprovalConflict, type ApprovalService } from "../approvals/service";
import { ApiError } from "../lib/errors";
import type { PostMessageInput } from "../sessions/model";
import type { ApprovalRef, SessionsPort } from "../sessions/port";
import type { SessionService } from "../sessions/service";

const approvalRef = (a: ApprovalView): ApprovalRef => ({
  id: a.id,
  sessionId: a.session_id,
  toolName: a.tool_name,
  input: a.input,
  status: a.status,
  decidedBy: a.decided_by,
  message: a.message,
});

/** The chat integrations' view (Slack, Linear) of the real agents, sessions and approvals services. */
export function sessionsPortFrom(core: { sessions: SessionService; agents: AgentService; approvals: ApprovalService }): SessionsPort {
  const findAgent = async (idOrName: string) => {
    const byId = await core.agents.row(idOrName).catch(() => null);
    if (byId) return { id: byId.id, name: byId.name };
    const matches = await core.agents.list({ q: idOrName, limit: 50 });
    const byName = matches.find((a) => a.name === idOrName);
    return byName ? { id: byName.id, name: byName.name } : null;
  };
  return {
    findAgent,
    listAgents: async () => (await core.agents.list({ limit: 100 })).map((a) => ({ id: a.id, name: a.name })),
    createSession: async ({ agentId, title }) => ({
      id: (await core.sessions.create({ agent_id: agentId, title: title.slice(0, 200) })).id,
    }),
    sendMessage: async (sessionId, text, attachments = []) => {
      const r = await core.sessions.postMessage(
        sessionId,
        attachments.length ? { content: [{ type: "text", text }, ...attachments] as PostMessageInput["content"] } : { text },
      );
      return { turnId: r.turn_id, afterSeq: r.seq };
    },
    subscribe: (sessionId, afterSeq, onEvent) =>
      core.sessions.subscribe(sessionId, afterSeq, (events) => {
        for (const e of events) onEvent({ seq: e.seq, type: e.type, data: e.data, turnId: e.turn_id });
      }),
    interrupt: async (sessionId) => {
      await core.sessions.interrupt(sessionId);
    },
    getApproval: async (id) => {
      const a = await core.approvals.get(id).catch((err) => (err instanceof ApiError && err.status === 404 ? null : Promise.reject(err)));
      return a ? approvalRef(a) : null;
    },
    approvalForAsk: async (sessionId, askSeq) => {
      const a = await core.approvals.findByAsk(sessionId, askSeq);
      return a ? approvalRef(a) : null;
    },
    decideApproval: async (id, decision, decidedBy, message) => {
      try {
        const r = await core.approvals.decide(id, { decision, ...(message ? { message } : {}) }, decidedBy);
        return { kind: "decided", approval: approvalRef(r.approval), turnId: r.turn_id, afterSeq: r.seq };
      } catch (err) {
        if (err instanceof ApprovalConflict) return { kind: "conflict", approval: approvalRef(err.approval) };
        if (err instanceof ApiError && err.status === 404) return { kind: "not_found" };
        if (err instanceof ApiError && err.status === 409) {
          const a = await core.approvals.get(id);
          return { kind: "conflict", approval: approvalRef(a) };
        }
        throw err;
      }
    },
    userTurns: async (sessionId) => {
      const out: Array<{ turnId: string; seq: number; text: string }> = [];
      for (let after = 0; ; ) {
        const page = (await core.sessions.events(sessionId, after, 1000)).data;
        for (const e of page) {
          if (e.type !== "user.message" || typeof e.data.turn_id !== "string") continue;
          const parts = Array.isArray(e.data.content) ? (e.data.content as Array<{ text?: unknown }>) : [];
          out.push({ turnId: e.data.turn_id, seq: e.seq, text: parts.map((c) => (typeof c.text === "string" ? c.text : "")).join("") });
        }
        if (page.length < 1000) return out;
        after = page.at(-1)!.seq;
      }
    },
  };
}
