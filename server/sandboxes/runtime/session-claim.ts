/**
 * One sandbox per session, even with several LAP replicas on one database: the sandbox row is reserved
 * under a transaction-scoped advisory lock keyed by the session, so two replicas acquiring for the same
 * session (both provisioning it after a restart, say) serialise here. The second finds the first's row
 * and uses that sandbox instead of claiming another pod.
 */
import { randomBytes } from "node:crypto";
import type { Database } from "../../db/client";

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
  input: { sessionId: string; agentId: string; provider: string; workspaceId: string; specHash: string },
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
      `insert into sandboxes (id, provider, agent_id, session_id, workspace_id, spec_hash, status, claimed_at) values ($1, $2, $3, $4, $5, $6, 'provisioning', now())`,
      [rowId, input.provider, input.agentId, input.sessionId, input.workspaceId, input.specHash],
    );
    return { reserved: true as const, rowId };
  });
}

/** Waits for another replica to record the sandbox id of a row it reserved (it does so right after create). */
export async function sandboxIdOf(database: Database, rowId: string, timeoutMs = 15_000): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [r] = await database.query<{ sandbox_id: string | null; status: string }>(`select sandbox_id, status from sandboxes where id = $1`, [rowId]);
    if (!r || (r.status !== "provisioning" && r.status !== "claimed")) return null;
    if (r.sandbox_id) return r.sandbox_id;
    if (Date.now() > deadline) return null;
    await Bun.sleep(50);
  }
}
