/**
 * Writes approval rows in the transaction that stores the events (EventStore side effects):
 * an `agent.tool_use` with evaluated_permission "ask" creates one pending approval tied to that
 * event's seq. A provider may reuse a tool_use_id once its earlier call is answered (`call_0` in
 * every response), so the id only matters among pending approvals: an ask whose id is already
 * pending is the same question replayed and adds nothing (schema/approvals.ts). A result for a call
 * nobody decided (the user sent a new message instead) expires its approval.
 */
import { randomUUID } from "node:crypto";
import type { Database, SqlTx } from "../db/client";
import type { EventSideEffects } from "../sessions/events/store";
import type { StoredEvent } from "../../schema/session-events";

export const newApprovalId = () => `apr_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

const asksForApproval = (e: StoredEvent) =>
  e.type === "agent.tool_use" && e.data.evaluated_permission === "ask" && typeof e.data.id === "string";

export const approvalSideEffects: EventSideEffects = {
  // Only a call that asks, or a result that may answer one: every other tool_use appends without a transaction.
  wants: (e) => (e.type === "agent.tool_use" && e.data.evaluated_permission === "ask") || e.type === "agent.tool_result",
  async apply(query: SqlTx["query"], sessionId: string, stored: StoredEvent[]) {
    for (const e of stored) {
      if (asksForApproval(e)) {
        await query(
          `insert into approvals (id, session_id, agent_id, tool_use_id, tool_name, input, event_seq)
           select $1, s.id, s.agent_id, $3, $4, $5::jsonb, $6 from sessions s where s.id = $2
           on conflict do nothing`,
          [newApprovalId(), sessionId, e.data.id, String(e.data.name ?? ""), JSON.stringify(e.data.input ?? null), e.seq],
        );
      } else if (e.type === "agent.tool_result" && typeof e.data.tool_use_id === "string") {
        await query(
          `update approvals set status = 'expired', message = 'answered without a decision (a new message came first)', decided_at = now()
           where session_id = $1 and tool_use_id = $2 and status = 'pending'`,
          [sessionId, e.data.tool_use_id],
        );
      }
    }
  },
};

/** The sessions module's port to this table (SessionApprovalsPort, wired in server/app.ts). */
export const approvalsForSessions = (database: Pick<Database, "query">) => ({
  async expirePending(sessionId: string, message: string): Promise<void> {
    await database.query(
      "update approvals set status = 'expired', message = $2, decided_at = now() where session_id = $1 and status = 'pending'",
      [sessionId, message],
    );
  },
});
