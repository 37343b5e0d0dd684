/** A session as the API shows it, and what the policy and the lists need of its row. */
import { sql } from "drizzle-orm";
import { sessions, type SessionRow } from "../../schema";
import type { SessionView } from "./model";

/** What the policy needs to know of a session. */
export const owned = (r: Pick<SessionRow, "id" | "teamId" | "ownerUserId" | "ownerKeyId">) => ({
  teamId: r.teamId,
  ownerUserId: r.ownerUserId,
  ownerKeyId: r.ownerKeyId,
  sessionId: r.id,
});

/** A session's cost: the sum of its spend rows (docs/sessions.md "Cost"; gateway_spend_logs_session_idx). */
export const sessionSpend = sql<number>`(select coalesce(sum(l.spend), 0)::float8 from gateway_spend_logs l where l.session_id = ${sessions.id})`;

export function sessionView(r: SessionRow, agentName: string | null, spend = 0): SessionView {
  return {
    id: r.id,
    agent_id: r.agentId,
    agent_name: agentName,
    title: r.title,
    status: r.status,
    runtime_id: r.runtimeId,
    error: r.error,
    last_seq: Number(r.lastSeq),
    team_id: r.teamId,
    queued_turns: 0,
    spend,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}
