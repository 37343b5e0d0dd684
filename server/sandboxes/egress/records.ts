/**
 * Egress records in the database: the proxy pushes (never waits), a timer writes batches, and a
 * prune keeps `retentionDays`. Each record gets the session and agent of its sandbox at write time
 * (a warm sandbox learns its session only when claimed). Names of secrets only, never values.
 */
import { NO_AUDIT, type AuditPort } from "../../audit/record";
import type { Database, SqlTx } from "../../db/client";
import { BatchWriter } from "../../lib/batch-writer";
import type { Logger } from "../../lib/logger";
import type { SecretUse, SessionTeamsPort, VaultPort } from "../ports";
import type { PullRequestSeen } from "./github";
import type { EgressRecord } from "./proxy";

export interface EgressRecordView {
  id: number;
  at: string;
  sandbox_id: string;
  session_id: string | null;
  agent_id: string | null;
  method: string;
  host: string;
  outcome: "allowed" | "denied";
  swapped: string[];
  refused: string[];
}

/**
 * One statement per batch; ids follow the order the proxy saw the requests. Vault secrets swapped in
 * (or refused) are recorded in the audit trail in the same transaction: one row per secret, host and
 * session in the batch, with the count; the name only, never the value (docs/security.md "Audit trail").
 */
async function insertBatch(
  tx: SqlTx,
  batch: EgressRecord[],
  audit: AuditPort,
  sessions: SessionTeamsPort,
  vault: Pick<VaultPort, "secretsNamed"> | undefined,
) {
  const rows = batch.map((r) => ({
    sandbox_id: r.sandboxId,
    method: r.method,
    host: r.host,
    outcome: r.outcome,
    swapped: r.swapped,
    refused: r.refused,
    created_at: r.at,
  }));
  const written = await tx.query<{
    sandbox_id: string;
    session_id: string | null;
    agent_id: string | null;
    host: string;
    swapped: string[];
    refused: string[];
  }>(
    `insert into egress_records (sandbox_id, session_id, agent_id, method, host, outcome, swapped, refused, created_at)
     select r.sandbox_id, s.session_id, s.agent_id, r.method, r.host, r.outcome, r.swapped, r.refused, r.created_at
     from jsonb_array_elements($1::jsonb) with ordinality as e(doc, n)
     cross join lateral jsonb_to_record(e.doc) as r(sandbox_id text, method text, host text, outcome text, swapped jsonb, refused jsonb, created_at timestamptz)
     left join lateral (select x.session_id, x.agent_id from sandboxes x where x.sandbox_id = r.sandbox_id order by x.created_at desc limit 1) s on true
     order by e.n
     returning sandbox_id, session_id, agent_id, host, swapped, refused`,
    [JSON.stringify(rows)],
  );
  const uses = new Map<
    string,
    { action: string; name: string; host: string; sandboxId: string; sessionId: string | null; agentId: string | null; count: number }
  >();
  for (const r of written) {
    for (const [action, names] of [
      ["secret.use", r.swapped],
      ["secret.refused", r.refused],
    ] as const) {
      for (const name of names ?? []) {
        const key = JSON.stringify([action, name, r.host, r.sandbox_id, r.session_id]);
        const u = uses.get(key) ?? {
          action,
          name,
          host: r.host,
          sandboxId: r.sandbox_id,
          sessionId: r.session_id,
          agentId: r.agent_id,
          count: 0,
        };
        u.count++;
        uses.set(key, u);
      }
    }
  }
  if (uses.size === 0) return;
  const sessionIds = [...new Set([...uses.values()].flatMap((u) => (u.sessionId ? [u.sessionId] : [])))];
  const teams = await sessions.teamsOf(sessionIds, tx);
  const names = [...new Set([...uses.values()].map((u) => u.name))];
  // The secret a name meant: the session's team's, else the org-wide one (docs/security.md "Users, teams and roles").
  // No vault, no secrets to swap or refuse: `uses` is then empty and this is not reached.
  const secrets = (await vault?.secretsNamed(names, tx)) ?? [];
  const secretId = (name: string, teamId: string | null) =>
    (
      secrets.find((v) => v.name === name && teamId !== null && v.teamId === teamId) ??
      secrets.find((v) => v.name === name && v.teamId === null)
    )?.id;
  for (const u of uses.values()) {
    const teamId = u.sessionId ? (teams.get(u.sessionId) ?? null) : null;
    await audit.record(tx, {
      actor: { kind: "system", label: `sandbox ${u.sandboxId}` },
      action: u.action,
      objectType: "vault_secret",
      objectId: secretId(u.name, teamId) ?? u.name,
      teamId,
      detail: { name: u.name, host: u.host, session_id: u.sessionId, agent_id: u.agentId, sandbox_id: u.sandboxId, requests: u.count },
    });
  }
}

export interface EgressRecordStoreOptions {
  database: Database;
  logger: Logger;
  retentionDays: number;
  maxQueue?: number;
  /** Vault secrets that were swapped into requests: name, sandbox (whose agent's team tells which secret) and latest use. */
  secretsUsed?(uses: SecretUse[]): Promise<void>;
  /** The audit trail (server/audit): secret use, by name, host and session. */
  audit?: AuditPort;
  /** The sessions' teams, for the audit rows (ports.ts). */
  sessions: SessionTeamsPort;
  /** The vault (ports.ts): which secret a name in a record meant, for its audit row. */
  vault?: Pick<VaultPort, "secretsNamed">;
  /** A pull request a session's sandbox opened: appended to the session's log (server/app.ts). */
  onPullRequest?(sessionId: string, pr: PullRequestSeen): Promise<void>;
}

export class EgressRecordStore {
  readonly writer: BatchWriter<EgressRecord>;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastPrune = 0;

  constructor(private readonly opts: EgressRecordStoreOptions) {
    this.writer = new BatchWriter({
      database: opts.database,
      maxQueue: opts.maxQueue ?? 50_000,
      insert: (tx, batch) => insertBatch(tx, batch, opts.audit ?? NO_AUDIT, opts.sessions, opts.vault),
      afterFlush: async (rows) => {
        const uses = new Map<string, SecretUse>();
        for (const r of rows) {
          for (const name of r.swapped) {
            const key = JSON.stringify([name, r.sandboxId]);
            const at = new Date(Math.max(uses.get(key)?.at.getTime() ?? 0, Date.parse(r.at)));
            uses.set(key, { name, sandboxId: r.sandboxId, at });
          }
        }
        if (uses.size) await opts.secretsUsed?.([...uses.values()]);
      },
      onError: (err) => opts.logger.warn({ err: (err as Error).message }, "egress records flush failed; records stay queued"),
    });
  }

  push(r: EgressRecord) {
    this.writer.push(r);
  }

  /** Hands a pull request a sandbox opened to its session's log (`onPullRequest`), without blocking the proxy. */
  pullRequest(sandboxId: string, pr: PullRequestSeen) {
    const onPullRequest = this.opts.onPullRequest;
    if (!onPullRequest) return;
    void (async () => {
      const [row] = await this.opts.database.query<{ session_id: string | null }>(
        "select session_id from sandboxes where sandbox_id = $1 order by created_at desc limit 1",
        [sandboxId],
      );
      if (row?.session_id) await onPullRequest(row.session_id, pr);
    })().catch((err) =>
      this.opts.logger.warn({ err: (err as Error).message, sandbox_id: sandboxId }, "could not record a pull request on its session"),
    );
  }

  flush() {
    return this.writer.flush();
  }

  /** Deletes records older than the retention; returns how many. */
  async prune(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.opts.retentionDays * 86_400_000);
    const rows = await this.opts.database.query<{ n: number }>(
      `with d as (delete from egress_records where created_at < $1 returning 1) select count(*)::int as n from d`,
      [cutoff.toISOString()],
    );
    return rows[0]?.n ?? 0;
  }

  /** Flushes every `intervalMs` and prunes hourly, off the proxy path. */
  start(intervalMs = 1000) {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.flush();
      if (Date.now() - this.lastPrune > 3_600_000) {
        this.lastPrune = Date.now();
        void this.prune().catch((err) => this.opts.logger.warn({ err: (err as Error).message }, "egress records prune failed"));
      }
    }, intervalMs);
    this.timer.unref?.();
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Newest first; `before` is the `id` of the last record of the previous page. */
  async list(q: {
    session_id?: string;
    sandbox_id?: string;
    before?: number;
    limit: number;
  }): Promise<{ data: EgressRecordView[]; next_before: number | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.session_id) where.push(`session_id = $${params.push(q.session_id)}`);
    if (q.sandbox_id) where.push(`sandbox_id = $${params.push(q.sandbox_id)}`);
    if (q.before) where.push(`id < $${params.push(q.before)}`);
    const rows = await this.opts.database.query<{
      id: number | string;
      sandbox_id: string;
      session_id: string | null;
      agent_id: string | null;
      method: string;
      host: string;
      outcome: "allowed" | "denied";
      swapped: string[];
      refused: string[];
      created_at: Date | string;
    }>(
      `select id, sandbox_id, session_id, agent_id, method, host, outcome, swapped, refused, created_at from egress_records ${where.length ? `where ${where.join(" and ")}` : ""} order by id desc limit $${params.push(q.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, q.limit).map((r) => ({
      id: Number(r.id),
      at: new Date(r.created_at).toISOString(),
      sandbox_id: r.sandbox_id,
      session_id: r.session_id,
      agent_id: r.agent_id,
      method: r.method,
      host: r.host,
      outcome: r.outcome,
      swapped: r.swapped,
      refused: r.refused,
    }));
    return { data: page, next_before: rows.length > q.limit ? page.at(-1)!.id : null };
  }
}
