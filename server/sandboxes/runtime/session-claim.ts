/**
 * One sandbox per session, even with several LAP replicas on one database: the sandbox row is reserved
 * under a transaction-scoped advisory lock keyed by the session, so two replicas acquiring for the same
 * session (both provisioning it after a restart, say) serialise here. The second finds the first's row
 * and uses that sandbox instead of claiming another pod.
 */
import { randomBytes } from "node:crypto";
import type { Database } from "../../db/client";
import type { Logger } from "../../lib/logger";
import { RuntimeError } from "../../runtimes/adapter";
import { hostOf } from "../host-scope";
import type { SandboxProvider } from "../provider";

export interface SandboxRowRef {
  id: string;
  sandbox_id: string | null;
  workspace_id: string;
  status: string;
}

export type Reservation = { reserved: true; rowId: string } | { reserved: false; row: SandboxRowRef };

/** The provider-side name of the sandbox a row stands for: stable, so a repeated create is idempotent. */
export const sandboxNameFor = (rowId: string) => `lap-${rowId.replace(/^sbr_/, "")}`;

export async function reserveSessionSandbox(
  database: Database,
  input: {
    sessionId: string;
    agentId: string;
    provider: string;
    host: string | null;
    workspaceId: string;
    specHash: string;
    /** schema/sandboxes.ts `start_kind`: a pool miss (`cold`), a recovery, Kubernetes' own pool. */
    startKind?: "cold" | "recovered" | "external";
  },
): Promise<Reservation> {
  return database.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`lap.sandbox-for-session:${input.sessionId}`]);
    const [row] = await tx.query<SandboxRowRef>(
      `select id, sandbox_id, workspace_id, status from sandboxes where session_id = $1 and status in ('provisioning', 'claimed') order by created_at desc limit 1`,
      [input.sessionId],
    );
    if (row) return { reserved: false as const, row };
    const rowId = `sbr_${randomBytes(8).toString("hex")}`;
    await tx.query(
      `insert into sandboxes (id, provider, host, agent_id, session_id, workspace_id, spec_hash, status, claimed_at, start_kind) values ($1, $2, $3, $4, $5, $6, $7, 'provisioning', now(), $8)`,
      [rowId, input.provider, input.host, input.agentId, input.sessionId, input.workspaceId, input.specHash, input.startKind ?? null],
    );
    return { reserved: true as const, rowId };
  });
}

/** Waits for another replica to record the sandbox id of a row it reserved (it does so right after create). */
export async function sandboxIdOf(database: Database, rowId: string, timeoutMs = 15_000): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [r] = await database.query<{ sandbox_id: string | null; status: string }>(
      `select sandbox_id, status from sandboxes where id = $1`,
      [rowId],
    );
    if (!r || (r.status !== "provisioning" && r.status !== "claimed")) return null;
    if (r.sandbox_id) return r.sandbox_id;
    if (Date.now() > deadline) return null;
    await Bun.sleep(50);
  }
}

/**
 * Reserves a sandbox row for the session, or, when another replica (or this LAP before a restart)
 * already has one in flight for it, waits for that sandbox and uses it. A sandbox that cannot be used
 * any more is marked dead and a new row is reserved instead.
 */
export async function reserveOrAdopt(
  deps: { database: Database; provider: SandboxProvider; logger: Logger },
  input: { sessionId: string; agentId: string; workspaceId: string; specHash: string; startKind?: "cold" | "recovered" | "external" },
): Promise<{ rowId: string; workspaceId: string } | { adopted: { rowId: string; sandboxId: string; workspaceId: string } }> {
  const { database, provider } = deps;
  for (let attempt = 0; ; attempt++) {
    const r = await reserveSessionSandbox(database, { ...input, provider: provider.name, host: hostOf(provider) });
    if (r.reserved) return { rowId: r.rowId, workspaceId: input.workspaceId };
    const sandboxId = r.row.sandbox_id ?? (await sandboxIdOf(database, r.row.id));
    const usable = sandboxId
      ? await provider.waitReady(sandboxId, { timeoutMs: 60_000 }).then(
          () => true,
          () => false,
        )
      : false;
    if (usable) {
      deps.logger.info({ session_id: input.sessionId, sandbox_id: sandboxId }, "session already has a sandbox in flight; using it");
      return { adopted: { rowId: r.row.id, sandboxId: sandboxId!, workspaceId: r.row.workspace_id } };
    }
    await database.query(
      `update sandboxes set status = 'dead', reason = 'not usable when adopted', updated_at = now() where id = $1 and status in ('provisioning', 'claimed')`,
      [r.row.id],
    );
    if (sandboxId) await provider.destroy(sandboxId).catch(() => {});
    if (attempt >= 2) throw new RuntimeError(`could not get a sandbox for session ${input.sessionId}`);
  }
}
