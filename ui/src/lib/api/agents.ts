// Agents, the runtimes they run on, the harnesses they can use, and their sessions and approvals.
import type { AgentView, CreateAgentInput, UpdateAgentInput, agentListItem } from "../../../../server/agents/model";
import type { approvalListView, approvalSummaryView, ApprovalView, decisionView } from "../../../../server/approvals/model";
import type { HarnessInfo, HarnessList } from "../../../../server/harnesses/model";
import type { CreateRuntimeInput, RuntimeView } from "../../../../server/runtimes/model";
import type {
  acceptedTurnView,
  CreateSessionInput,
  eventsView,
  searchResultView,
  sessionListView,
  SessionStatusChange,
  SessionView,
  StoredEvent,
} from "../../../../server/sessions/model";
import type { z } from "zod";
import { q, request } from "./client";

export type {
  AgentView,
  ApprovalView,
  CreateAgentInput,
  CreateRuntimeInput,
  HarnessInfo,
  RuntimeView,
  SessionStatusChange,
  SessionView,
  StoredEvent,
};
export type SessionListItem = z.infer<typeof sessionListView>["data"][number];
/** An agent in the list, with its total cost. */
export type AgentListItem = z.infer<typeof agentListItem>;
/** `GET /api/sessions/search`: sessions with the snippet where they matched. */
export type SessionSearchResult = z.infer<typeof searchResultView>;
export type SessionSearchHit = SessionSearchResult["data"][number];

export const agentsApi = {
  runtimes: {
    list: () => request<{ data: RuntimeView[] }>("GET", "/api/runtimes").then((r) => r.data),
    create: (input: CreateRuntimeInput) => request<RuntimeView>("POST", "/api/runtimes", input),
    test: (id: string) => request<RuntimeView>("POST", `/api/runtimes/${encodeURIComponent(id)}/test`),
    remove: (id: string) => request<RuntimeView>("DELETE", `/api/runtimes/${encodeURIComponent(id)}`),
  },
  agents: {
    list: (search?: string, filter: { model?: string; runtime_id?: string } = {}) =>
      request<{ data: AgentListItem[] }>("GET", `/api/agents${q({ q: search, limit: 200, ...filter })}`).then((r) => r.data),
    get: (id: string) => request<AgentView>("GET", `/api/agents/${encodeURIComponent(id)}`),
    create: (input: CreateAgentInput) => request<AgentView>("POST", "/api/agents", input),
    update: (id: string, input: UpdateAgentInput) => request<AgentView>("PATCH", `/api/agents/${encodeURIComponent(id)}`, input),
    pause: (id: string) => request<AgentView>("POST", `/api/agents/${encodeURIComponent(id)}/pause`),
    resume: (id: string) => request<AgentView>("POST", `/api/agents/${encodeURIComponent(id)}/resume`),
    remove: (id: string) => request<AgentView>("DELETE", `/api/agents/${encodeURIComponent(id)}`),
  },
  approvals: {
    list: (opts: { status?: ApprovalView["status"]; session_id?: string; limit?: number } = {}) =>
      request<z.infer<typeof approvalListView>>("GET", `/api/approvals${q({ limit: 100, ...opts })}`),
    summary: () => request<z.infer<typeof approvalSummaryView>>("GET", "/api/approvals/summary"),
    decide: (id: string, decision: "allow" | "deny", message?: string) =>
      request<z.infer<typeof decisionView>>("POST", `/api/approvals/${encodeURIComponent(id)}/decision`, {
        decision,
        ...(message ? { message } : {}),
      }),
  },
  sessions: {
    list: (opts: { agent_id?: string; cursor?: string; limit?: number } = {}) =>
      request<z.infer<typeof sessionListView>>("GET", `/api/sessions${q({ limit: 50, ...opts })}`),
    get: (id: string) => request<SessionView>("GET", `/api/sessions/${encodeURIComponent(id)}`),
    rename: (id: string, title: string) => request<SessionView>("PATCH", `/api/sessions/${encodeURIComponent(id)}`, { title }),
    /** Full-text search over titles and messages (docs/sessions.md "Search"). */
    search: (text: string, opts: { cursor?: string; limit?: number } = {}) =>
      request<SessionSearchResult>("GET", `/api/sessions/search${q({ q: text, limit: 20, ...opts })}`),
    /** Stored events after `after` (up to 1000 per call). */
    events: (id: string, after = 0, limit = 1000) =>
      request<z.infer<typeof eventsView>>("GET", `/api/sessions/${encodeURIComponent(id)}/events${q({ after, limit })}`),
    /** With attachments (image and document blocks), the first message goes as `content` (docs/sessions.md "Attachments"). */
    create: (input: CreateSessionInput, attachments: Array<Record<string, unknown>> = []) =>
      request<SessionView>(
        "POST",
        "/api/sessions",
        attachments.length
          ? {
              agent_id: input.agent_id,
              title: input.title,
              content: [...(input.prompt?.trim() ? [{ type: "text", text: input.prompt }] : []), ...attachments],
            }
          : input,
      ),
    /** With attachments, the text and the image/document blocks go as `content` (docs/sessions.md "Attachments"). */
    send: (id: string, text: string, interrupt = false, attachments: Array<Record<string, unknown>> = []) =>
      request<z.infer<typeof acceptedTurnView>>(
        "POST",
        `/api/sessions/${encodeURIComponent(id)}/messages`,
        attachments.length
          ? { content: [...(text.trim() ? [{ type: "text", text }] : []), ...attachments], interrupt }
          : { text, interrupt },
      ),
    /** Where the dashboard shows an attachment's bytes from (same-origin, with the sign-in cookie). */
    attachmentUrl: (id: string, attachmentId: string) =>
      `/api/sessions/${encodeURIComponent(id)}/attachments/${encodeURIComponent(attachmentId)}`,
    interrupt: (id: string) => request<{ interrupted: boolean }>("POST", `/api/sessions/${encodeURIComponent(id)}/interrupt`),
    stop: (id: string) => request<SessionView>("POST", `/api/sessions/${encodeURIComponent(id)}/stop`),
    remove: (id: string) => request<{ ok: boolean }>("DELETE", `/api/sessions/${encodeURIComponent(id)}`),
    /** Same-origin EventSource: the session cookie authenticates it, and it resends Last-Event-ID on reconnect. */
    streamUrl: (id: string, after = 0) => `/api/sessions/${encodeURIComponent(id)}/stream?after=${after}`,
    /** SSE of session status changes (`event: status`), from every replica. */
    statusStreamUrl: (agentId?: string) => `/api/sessions/stream${q({ agent_id: agentId })}`,
  },
  harnesses: {
    list: () => request<HarnessList>("GET", "/api/harnesses").then((r) => r.data),
  },
};
