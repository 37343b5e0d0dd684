import { and, desc, eq, gte, inArray, like, lt, or, type SQL } from "drizzle-orm";
import { auditLog, type AuditRow } from "../../schema/audit";
import type { Principal } from "../auth/model";
import { isAdmin, teamsWhere } from "../auth/policy";
import type { Database } from "../db/client";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import type { AuditView, ListAuditQuery } from "./model";

/**
 * Reading and pruning the audit trail (docs/operations.md "Audit trail"). Who reads which rows is
 * server/auth/policy.ts: admins every row; a team's admins and owners the rows of their teams
 * (`manage` there); everyone else none. There is no update or delete: the only removal is `prune`.
 */
export class AuditService {
  constructor(private readonly deps: { database: Database }) {}

  async list(q: ListAuditQuery, actor: Principal): Promise<{ data: AuditView[]; next_cursor: string | null }> {
    const where: Array<SQL | undefined> = [];
    if (!isAdmin(actor)) {
      const teams = teamsWhere(actor, "manage") ?? [];
      if (teams.length === 0) return { data: [], next_cursor: null };
      where.push(inArray(auditLog.teamId, teams));
    }
    if (q.actor) where.push(or(eq(auditLog.actorKeyId, q.actor), eq(auditLog.actorUserId, q.actor)));
    if (q.action)
      where.push(q.action.endsWith(".") ? like(auditLog.action, `${q.action.replace(/[%_\\]/g, "\\$&")}%`) : eq(auditLog.action, q.action));
    if (q.object_type) where.push(eq(auditLog.objectType, q.object_type));
    if (q.object_id) where.push(eq(auditLog.objectId, q.object_id));
    if (q.since) where.push(gte(auditLog.at, new Date(q.since)));
    if (q.until) where.push(lt(auditLog.at, new Date(q.until)));
    if (q.cursor) {
      const after = Number(decodeCursor(q.cursor));
      where.push(lt(auditLog.id, Number.isSafeInteger(after) ? after : 0));
    }
    const rows = await this.deps.database.db
      .select()
      .from(auditLog)
      .where(and(...where))
      .orderBy(desc(auditLog.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return { data: page.map(auditView), next_cursor: rows.length > q.limit ? encodeCursor(String(page.at(-1)!.id)) : null };
  }

  /**
   * Deletes rows older than `days` (LAP_AUDIT_RETENTION_DAYS; 0 keeps everything). The table's trigger
   * refuses deletes unless this transaction sets `lap.audit_prune`, which nothing else does.
   */
  async prune(days: number, now = new Date()): Promise<number> {
    if (days <= 0) return 0;
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    return this.deps.database.transaction(async (tx) => {
      await tx.query("select set_config('lap.audit_prune', 'on', true)");
      const rows = await tx.query<{ n: number }>(
        "with gone as (delete from audit_log where at < $1 returning 1) select count(*)::int as n from gone",
        [cutoff.toISOString()],
      );
      return rows[0]?.n ?? 0;
    });
  }
}

export function auditView(r: AuditRow): AuditView {
  return {
    id: String(r.id),
    at: r.at.toISOString(),
    actor: {
      kind: r.actorKind,
      key_id: r.actorKeyId,
      user_id: r.actorUserId,
      label: r.actorLabel,
      ip: r.ip,
      user_agent: r.userAgent,
      request_id: r.requestId,
    },
    action: r.action,
    object: { type: r.objectType, id: r.objectId, team_id: r.teamId },
    changes: r.changes,
    detail: r.detail,
  };
}
