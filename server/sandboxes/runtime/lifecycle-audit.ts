/**
 * A sandbox's start or stop in the audit trail, by LAP for the session, in the same transaction as
 * its row's status change (when there is one). Never fails the session: a lost audit row is logged.
 * The row carries the session's team, so team admins see it (docs/security.md).
 */
import { NO_AUDIT } from "../../audit/record";
import type { SandboxRuntimeDeps } from "./runtime-deps";

export async function recordLifecycle(
  deps: Pick<SandboxRuntimeDeps, "audit" | "database" | "logger" | "sessions">,
  entry: {
    sessionId: string;
    sandboxId: string;
    action: string;
    detail: Record<string, unknown>;
    change?: { sql: string; params: unknown[] };
  },
) {
  const { sessionId, sandboxId, action, detail, change } = entry;
  const audit = deps.audit ?? NO_AUDIT;
  try {
    await deps.database.transaction(async (tx) => {
      if (change) await tx.query(change.sql, change.params);
      const teamId = (await deps.sessions.teamsOf([sessionId], tx)).get(sessionId) ?? null;
      await audit.record(tx, {
        actor: { kind: "system", label: "LAP" },
        action,
        objectType: "sandbox",
        objectId: sandboxId,
        teamId,
        detail: { session_id: sessionId, ...detail },
      });
    });
  } catch (err) {
    if (change) throw err;
    deps.logger.warn(
      { err: (err as Error).message, session_id: sessionId, sandbox_id: sandboxId },
      "could not record a sandbox start in the audit trail",
    );
  }
}
