import { ALL, mayDecide, scopeOf, scopeSql as teamScopeSql, type Scope } from "../auth/policy";
import type { Principal } from "../auth/model";
import { NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { ApiError, conflict, forbidden, notFound } from "../lib/errors";
import type { SessionService } from "../sessions/service";
import type { ToolConfirmationPart } from "../../schema/session-events";
import type { ApprovalView, DecisionInput, ListApprovalsQuery } from "./model";
import { decodeCursor, encodeCursor } from "../lib/cursor";

interface ApprovalSql {
  id: string;
  session_id: string;
  agent_id: string | null;
  tool_use_id: string;
  event_seq: string | number | null;
  tool_name: string;
  input: unknown;
  status: ApprovalView["status"];
  decided_by: string | null;
  message: string | null;
  created_at: Date | string;
  decided_at: Date | string | null;
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();
const view = (r: ApprovalSql): ApprovalView => ({
  id: r.id,
  session_id: r.session_id,
  agent_id: r.agent_id,
  tool_use_id: r.tool_use_id,
  event_seq: r.event_seq === null ? null : Number(r.event_seq),
  tool_name: r.tool_name,
  input: typeof r.input === "string" ? JSON.parse(r.input) : r.input,
  status: r.status,
  decided_by: r.decided_by,
  message: r.message,
  created_at: iso(r.created_at),
  decided_at: r.decided_at ? iso(r.decided_at) : null,
});

const COLUMNS = "id, session_id, agent_id, tool_use_id, event_seq, tool_name, input, status, decided_by, message, created_at, decided_at";

/**
 * The SQL condition limiting approvals to the sessions a scope covers (server/auth/policy.ts), pushing
 * its parameters onto `params`; null for everything. Approvals belong to their session's team.
 */
function scopeSql(scope: Scope, params: unknown[], alias = "approvals"): string | null {
  if (scope.all) return null;
  const inTeams = teamScopeSql({ ...scope, sessionId: undefined }, params, "s2.team_id");
  const parts = [`${alias}.session_id in (select s2.id from sessions s2 where ${inTeams})`];
  if (scope.sessionId) parts.push(`${alias}.session_id = $${params.push(scope.sessionId)}`);
  return `(${parts.join(" or ")})`;
}

/** Why a second decision is refused, in words a person clicking a button understands. */
function alreadyDecided(r: ApprovalView): string {
  if (r.status === "expired") return `This approval expired (${r.message ?? "no longer pending"})`;
  const verb = r.status === "allowed" ? "allowed" : "denied";
  return `Already ${verb} by ${r.decided_by ?? "someone"}${r.decided_at ? ` at ${r.decided_at}` : ""}`;
}

/** 409 for a decision on an approval that is no longer pending (says who decided, and when). */
export class ApprovalConflict extends ApiError {
  constructor(readonly approval: ApprovalView) {
    super(409, "conflict", alreadyDecided(approval));
  }
}

/**
 * Tool calls waiting for a person (rows written by record.ts as the events are stored), and their
 * decision: once, by a conditional UPDATE, in the same transaction as the confirmation turn it
 * queues on the session, so an acknowledged decision is never lost and never applied twice.
 */
export class ApprovalService {
  constructor(private readonly deps: { database: Database; sessions: SessionService; audit?: AuditPort }) {}

  async get(id: string, scope: Scope = ALL): Promise<ApprovalView> {
    const params: unknown[] = [id];
    const owned = scopeSql(scope, params);
    const [row] = await this.deps.database.query<ApprovalSql>(
      `select ${COLUMNS} from approvals where id = $1${owned ? ` and ${owned}` : ""}`,
      params,
    );
    if (!row) throw notFound("Approval");
    return view(row);
  }

  /** The approval the `agent.tool_use` stored at `askSeq` created (a provider's tool_use_id may repeat in a session). */
  async findByAsk(sessionId: string, askSeq: number): Promise<ApprovalView | null> {
    const [row] = await this.deps.database.query<ApprovalSql>(`select ${COLUMNS} from approvals where session_id = $1 and event_seq = $2`, [
      sessionId,
      askSeq,
    ]);
    return row ? view(row) : null;
  }

  /** Oldest first for pending (the queue a person works through), newest first otherwise. */
  async list(q: ListApprovalsQuery, scope: Scope = ALL): Promise<{ data: ApprovalView[]; next_cursor: string | null }> {
    const params: unknown[] = [];
    const where: string[] = [];
    const owned = scopeSql(scope, params);
    if (owned) where.push(owned);
    if (q.status) where.push(`status = $${params.push(q.status)}`);
    if (q.session_id) where.push(`session_id = $${params.push(q.session_id)}`);
    const asc = q.status === "pending";
    if (q.cursor) {
      const after = decodeCursor(q.cursor);
      where.push(
        `(created_at, id) ${asc ? ">" : "<"} (select a2.created_at, a2.id from approvals a2 where a2.id = $${params.push(after)})`,
      );
    }
    const order = asc ? "created_at asc, id asc" : "created_at desc, id desc";
    const rows = await this.deps.database.query<ApprovalSql>(
      `select ${COLUMNS} from approvals ${where.length ? `where ${where.join(" and ")}` : ""} order by ${order} limit $${params.push(q.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, q.limit);
    return { data: page.map(view), next_cursor: rows.length > q.limit ? encodeCursor(page.at(-1)!.id) : null };
  }

  async pendingCount(scope: Scope = ALL): Promise<number> {
    const params: unknown[] = [];
    const owned = scopeSql(scope, params);
    const [r] = await this.deps.database.query<{ n: number }>(
      `select count(*)::int as n from approvals where status = 'pending'${owned ? ` and ${owned}` : ""}`,
      params,
    );
    return Number(r?.n ?? 0);
  }

  /**
   * 404 unless the caller may see the approval; 403 unless it may decide it (whoever may act on the
   * session: its creator, its team's admins, admins; never a key bound to a session or agent:
   * server/auth/policy.ts mayDecide).
   */
  async assertMayDecide(id: string, who: Principal): Promise<void> {
    const params: unknown[] = [id];
    const owned = scopeSql(scopeOf(who), params, "a");
    const [row] = await this.deps.database.query<{
      id: string;
      owner_key_id: string | null;
      owner_user_id: string | null;
      team_id: string;
    }>(
      `select s.id, s.owner_key_id, s.owner_user_id, s.team_id from approvals a join sessions s on s.id = a.session_id where a.id = $1${owned ? ` and ${owned}` : ""}`,
      params,
    );
    if (!row) throw notFound("Approval");
    if (!mayDecide(who, { teamId: row.team_id, ownerKeyId: row.owner_key_id, ownerUserId: row.owner_user_id, sessionId: row.id })) {
      throw forbidden(
        who.sessionId || who.agentId
          ? "A key bound to a session or an agent may not decide approvals"
          : "Only the session's creator, a team admin or an admin may decide this approval",
      );
    }
  }

  /**
   * Allows or denies a pending call and queues the confirmation turn on its session.
   * Throws 404 for an unknown id and ApprovalConflict (409) when it is no longer pending.
   */
  async decide(
    id: string,
    input: DecisionInput,
    decidedBy: string,
    who?: Principal,
  ): Promise<{ approval: ApprovalView; turn_id: string; seq: number }> {
    if (who) await this.assertMayDecide(id, who);
    const status = input.decision === "allow" ? "allowed" : "denied";
    const message = input.message?.trim() || null;
    const outcome = await this.deps.database.transaction(async (tx) => {
      const [row] = await tx.query<ApprovalSql & { session_status: string; session_team_id: string }>(
        `update approvals a set status = $2, decided_by = $3, message = $4, decided_at = now()
         from sessions s where a.id = $1 and a.status = 'pending' and s.id = a.session_id
         returning a.${COLUMNS.split(", ").join(", a.")}, s.status as session_status, s.team_id as session_team_id`,
        [id, status, decidedBy, message],
      );
      if (!row) return null;
      if (row.session_status === "stopped" || row.session_status === "error") {
        // The session can no longer run the call: record that instead of a decision nobody will act on.
        await tx.query("update approvals set status = 'expired', message = $2, decided_by = null, decided_at = now() where id = $1", [
          id,
          `session is ${row.session_status}`,
        ]);
        return { expired: row.session_status };
      }
      const confirmation: ToolConfirmationPart = {
        type: "tool_confirmation",
        tool_use_id: row.tool_use_id,
        result: input.decision,
        ...(input.decision === "deny" && message ? { deny_message: message } : {}),
      };
      const { type: _t, ...fields } = confirmation;
      const turn = await this.deps.sessions.enqueueInTx(tx, row.session_id, [confirmation], {
        type: "user.tool_confirmation",
        // `tool_use_seq` ties the decision to the call LAP recorded (the provider's id may repeat in a session).
        data: {
          ...fields,
          approval_id: id,
          tool_use_seq: row.event_seq === null ? null : Number(row.event_seq),
          tool_name: row.tool_name,
          decided_by: decidedBy,
          ...(message ? { message } : {}),
        },
      });
      // Slack decisions come without a principal: recorded as LAP acting for the named person.
      await (this.deps.audit ?? NO_AUDIT).record(tx, {
        actor: who ?? { kind: "system", label: decidedBy },
        action: input.decision === "allow" ? "approval.allow" : "approval.deny",
        objectType: "approval",
        objectId: id,
        teamId: row.session_team_id,
        before: { status: "pending" },
        after: { status, message },
        detail: { session_id: row.session_id, tool_name: row.tool_name, decided_by: decidedBy },
      });
      return { row, turn };
    });
    if (!outcome) {
      const current = await this.get(id);
      throw new ApprovalConflict(current);
    }
    if ("expired" in outcome) throw conflict(`The session is ${outcome.expired}; this approval expired`);
    this.deps.sessions.announceTurn(outcome.row.session_id, outcome.turn.events);
    return { approval: view(outcome.row), turn_id: outcome.turn.turnId, seq: outcome.turn.seq };
  }
}
