/**
 * What LAP does with sandbox rows and cluster objects an earlier run (or another replica) left:
 * the start-up pass over this host's rows, the Kubernetes reconcile pass under an advisory lock, and
 * the ownership test both use. SandboxService calls these; they hold no state of their own.
 */
import type { Database, SqlTx } from "../db/client";
import { hostOf, hostScope } from "./host-scope";
import type { KubernetesSandboxes } from "./kubernetes";
import type { ReconcileResult } from "./kubernetes/reconciler";
import type { SandboxSessionsPort } from "./ports";
import type { SandboxHandle, SandboxProvider } from "./provider";

/** Whether a session still runs (the sessions module's port). */
type LiveSessions = Pick<SandboxSessionsPort, "live">;

/**
 * Rows an earlier run left on this host. Host sandboxes that did not outlive that run (they die with
 * LAP unless adoptable, and an adoptable one may be past its grace period; docs/sandboxes.md
 * "Lifetime of host sandboxes") are stale: warm slots are dropped (else the pool would count ghosts
 * and never refill) and session sandboxes marked stopped (their session restarts on its workspace).
 * A sandbox the provider adopted keeps its row, unless no live row owns it (its session ended while
 * LAP was away): then it is destroyed, so an adopted orphan never outlives the restart. Only this
 * host's rows: another machine's sandboxes live and die with the LAP there (and null-host rows, older
 * than the column, may belong to a replica still running the previous version). Only rows created
 * before `started`: a session may already be acquiring a sandbox in this run.
 */
export async function settleRowsAfterRestart(
  database: Database,
  sessions: LiveSessions,
  provider: SandboxProvider,
  started: Date,
): Promise<{ dropped: number; stopped: number; reaped: number }> {
  const handles = await provider.list();
  let reaped = 0;
  for (const h of handles) {
    if (h.info.adopted !== true || (await ownsSandbox(database, sessions, h))) continue;
    await provider.destroy(h.id);
    await database.query(
      `update sandboxes set status = 'dead', reason = 'adopted after a LAP restart but no longer used', updated_at = now() where sandbox_id = $1 and status in ('provisioning','warm','claimed')`,
      [h.id],
    );
    reaped++;
  }
  const known = new Set((await provider.list()).map((h) => h.id));
  const rows = await database.query<{ id: string; sandbox_id: string | null; status: string }>(
    `select id, sandbox_id, status from sandboxes where provider = $1 and status in ('provisioning','warm','claimed') and created_at < $2 and ${hostScope(3)}`,
    [provider.name, started, hostOf(provider)],
  );
  let dropped = 0;
  let stopped = 0;
  for (const r of rows) {
    if (r.sandbox_id && known.has(r.sandbox_id)) continue;
    if (r.status === "claimed") {
      await database.query(`update sandboxes set status = 'stopped', reason = 'LAP restarted', updated_at = now() where id = $1`, [r.id]);
      stopped++;
    } else {
      await database.query(`delete from sandboxes where id = $1`, [r.id]);
      dropped++;
    }
  }
  return { dropped, stopped, reaped };
}

/** Databases a reconcile pass is running on in this process (PGlite has no other process to share it with). */
const reconciling = new WeakSet<Database>();

/**
 * One pass over the cluster: claims no live session owns go, orphaned Sandboxes go. With several LAP
 * replicas on one database only one reconciles at a time (a transaction-scoped advisory lock); the
 * others answer "skipped" rather than deleting the same objects twice.
 */
export async function reconcileClusterOnce(
  database: Database,
  sessions: LiveSessions,
  k: KubernetesSandboxes,
): Promise<ReconcileResult | "skipped"> {
  if (reconciling.has(database)) return "skipped";
  reconciling.add(database);
  try {
    // Embedded PGlite is one process with one connection: no other replica to exclude, and a transaction
    // held across Kubernetes API calls would stall every other query of this LAP.
    if (database.mode === "embedded") return await k.reconcile((h) => ownsSandbox(database, sessions, h));
    return await database.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(
        `select pg_try_advisory_xact_lock(hashtext('lap.kubernetes-reconcile')) as locked`,
      );
      if (!lock?.locked) return "skipped" as const;
      return k.reconcile((h) => ownsSandbox(tx, sessions, h));
    });
  } finally {
    reconciling.delete(database);
  }
}

/**
 * Whether a live row owns this sandbox: a session's sandbox whose session has not ended (stopped,
 * error or deleted), a warm slot, or a slot being provisioned. The row is found by the sandbox id or,
 * for a sandbox created under the row's own name, by the row id it carries (the row is written before
 * the create, so a claim being created is never mistaken for an orphan).
 */
export async function ownsSandbox(tx: SqlTx, sessions: LiveSessions, h: Pick<SandboxHandle, "id" | "labels">): Promise<boolean> {
  const rows = await tx.query<{ session_id: string | null }>(
    `select session_id from sandboxes where (sandbox_id = $1 or id = $2) and status in ('provisioning','warm','claimed','stopped')`,
    [h.id, h.labels.sandbox_row ?? ""],
  );
  if (rows.some((r) => r.session_id === null)) return true;
  // A session that ended or is gone owns nothing (the sessions module answers for its table).
  const ids = rows.map((r) => r.session_id as string);
  return ids.length > 0 && (await sessions.live(ids)).size > 0;
}
