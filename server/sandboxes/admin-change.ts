/**
 * An admin's stop or destroy of a sandbox: the row's new status and its audit row, in one transaction.
 * The audit row carries the session's team so team admins see it (docs/security.md).
 */
import { NO_AUDIT, type AuditPort } from "../audit/record";
import type { Principal } from "../auth/model";
import type { Database } from "../db/client";
import type { SessionTeamsPort } from "./ports";

export async function recordAdminChange(
  database: Database,
  audit: AuditPort | undefined,
  sessions: SessionTeamsPort,
  change: { id: string; actor: Principal; action: string; sql: string; detail: Record<string, unknown> },
) {
  const { id, actor, action, sql, detail } = change;
  await database.transaction(async (tx) => {
    const rows = await tx.query<{ session_id: string | null }>(sql, [id]);
    const sessionId = rows[0]?.session_id ?? null;
    const teamId = sessionId ? ((await sessions.teamsOf([sessionId], tx)).get(sessionId) ?? null) : null;
    await (audit ?? NO_AUDIT).record(tx, {
      actor,
      action,
      objectType: "sandbox",
      objectId: id,
      teamId,
      detail: { session_id: sessionId, ...detail },
    });
  });
}
