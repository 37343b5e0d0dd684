import { auditLog, type NewAuditRow } from "../../schema/audit";
import type { Principal, RequestOrigin } from "../auth/model";
import type { Database, Db, SqlTx } from "../db/client";
import { changesOf, redactValue } from "./redact";

/**
 * The audit port (docs/operations.md "Audit trail"): services call `audit.record(tx, entry)` inside
 * the transaction that makes the change, so a change and its row commit or roll back together.
 * `tx` is a drizzle transaction or a raw SqlTx; the database handle itself only where the change is
 * not a database write (a sandbox stopped, a secret used), so there is nothing to commit with.
 */
export interface AuditEntry {
  /** The caller; LAP's own work passes SYSTEM (recorded as `system`). */
  actor: Principal | AuditActor;
  /** `<object>.<verb>`: agent.create, agent.update, key.delete, auth.login_failed, secret.use… */
  action: string;
  objectType: string;
  objectId?: string | null;
  teamId?: string | null;
  /** The object before and after (rows or views); only changed fields are kept, secrets redacted. */
  before?: object | null;
  after?: object | null;
  /** Anything else worth knowing; redacted the same way. */
  detail?: Record<string, unknown>;
}

/** A caller that is not a Principal: an anonymous failed login, or LAP itself. */
export interface AuditActor {
  kind: "anonymous" | "system";
  label?: string;
  userId?: string;
  origin?: RequestOrigin;
}

export type AuditTx = Pick<Db, "insert"> | SqlTx;

export interface AuditPort {
  record(tx: AuditTx, entry: AuditEntry): Promise<void>;
}

/** Services built without a port (unit tests of one service) record nothing. */
export const NO_AUDIT: AuditPort = { record: async () => {} };

const isPrincipal = (a: Principal | AuditActor): a is Principal => "via" in a;

/** The row for an entry: who (kind, key, user, label, ip, user agent, request id), what, to which object. */
export function auditRow(e: AuditEntry): NewAuditRow {
  const a = e.actor;
  const who = isPrincipal(a)
    ? {
        actorKind: a.via === "master_key" && a.label === "LAP" ? "system" : a.kind,
        actorKeyId: a.keyId ?? null,
        actorUserId: a.userId ?? null,
        actorLabel: a.label,
      }
    : { actorKind: a.kind, actorKeyId: null, actorUserId: a.userId ?? null, actorLabel: a.label ?? (a.kind === "system" ? "LAP" : "") };
  return {
    ...who,
    ip: a.origin?.ip ?? null,
    userAgent: a.origin?.userAgent ?? null,
    requestId: a.origin?.requestId ?? null,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId ?? null,
    teamId: e.teamId ?? null,
    changes: e.before !== undefined || e.after !== undefined ? changesOf(e.before, e.after) : {},
    detail: (redactValue(e.detail ?? {}) as Record<string, unknown>) ?? {},
  };
}

const COLUMNS = [
  "actor_kind",
  "actor_key_id",
  "actor_user_id",
  "actor_label",
  "ip",
  "user_agent",
  "request_id",
  "action",
  "object_type",
  "object_id",
  "team_id",
  "changes",
  "detail",
];

/** The port LAP uses (server/app.ts): one insert into audit_log within the caller's transaction. */
export const auditTrail: AuditPort = {
  async record(tx, entry) {
    const row = auditRow(entry);
    if ("insert" in tx) {
      await tx.insert(auditLog).values(row);
      return;
    }
    const values = [
      row.actorKind,
      row.actorKeyId,
      row.actorUserId,
      row.actorLabel,
      row.ip,
      row.userAgent,
      row.requestId,
      row.action,
      row.objectType,
      row.objectId,
      row.teamId,
      JSON.stringify(row.changes),
      JSON.stringify(row.detail),
    ];
    await tx.query(
      `insert into audit_log (${COLUMNS.join(", ")}) values (${COLUMNS.map((c, i) => `$${i + 1}${c === "changes" || c === "detail" ? "::jsonb" : ""}`).join(", ")})`,
      values,
    );
  },
};

/** A drizzle transaction (what `db.transaction` hands its callback). */
export type DbTx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Makes a change and records it in one transaction: `entry` sees the change's result (the new row)
 * and returns the audit entry, or null when nothing changed. Use `tx` for every statement inside:
 * embedded PGlite has one connection, so a query on the database handle would wait for this very
 * transaction to end.
 */
export function audited<T>(
  db: Pick<Db, "transaction">,
  audit: AuditPort,
  change: (tx: DbTx) => Promise<T>,
  entry: (result: T) => AuditEntry | null,
): Promise<T> {
  return db.transaction(async (tx) => {
    const result = await change(tx);
    const e = entry(result);
    if (e) await audit.record(tx, e);
    return result;
  });
}

/**
 * `audited` for stores written in SQL: one statement and, when a caller made the change, its audit row
 * in one transaction. `entry` sees the statement's rows (null: nothing to record).
 */
export function auditedQuery<T extends Record<string, unknown>>(
  database: Pick<Database, "transaction">,
  audit: AuditPort | undefined,
  text: string,
  params: unknown[],
  entry?: (rows: T[]) => AuditEntry | null,
): Promise<T[]> {
  return database.transaction(async (tx) => {
    const rows = await tx.query<T>(text, params);
    const e = entry?.(rows);
    if (e) await (audit ?? NO_AUDIT).record(tx, e);
    return rows;
  });
}
