/**
 * Workspace retention (docs/files.md): a session's workspace stays on disk after its sandbox stops,
 * so its files can be downloaded, until LAP_WORKSPACE_RETENTION_DAYS after the session ended (stopped,
 * failed or deleted) and no sandbox uses it. Each host removes only its own workspaces; a kubernetes
 * session's kept copy (./archive.ts) is on the replica that kept it, which removes it the same way.
 */
import { existsSync, lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Database } from "../db/client";

export async function pruneWorkspaces(
  deps: { database: Database; workspacesDir: string; hostId: string },
  retentionDays: number,
): Promise<string[]> {
  removeStalePartials(deps.workspacesDir);
  if (retentionDays <= 0) return [];
  const rows = await deps.database.query<{ workspace_id: string }>(
    `select b.workspace_id
       from sandboxes b left join sessions s on s.id = b.session_id
      where b.provider in ('local', 'process', 'kubernetes') and (b.host = $1 or b.host is null) and b.session_id is not null
      group by b.workspace_id
     having bool_and(b.status = 'dead' or b.status = 'stopped')
        and bool_and(s.id is null or s.status in ('stopped', 'error'))
        and max(greatest(b.updated_at, coalesce(s.updated_at, b.updated_at))) < now() - make_interval(days => $2::int)`,
    [deps.hostId, retentionDays],
  );
  const removed: string[] = [];
  for (const { workspace_id } of rows) {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(workspace_id)) continue;
    const dir = join(deps.workspacesDir, workspace_id);
    if (!existsSync(dir)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(workspace_id);
  }
  return removed;
}

/** How old a half-made kept copy (./archive.ts) must be before it counts as left behind by a crash. */
const PARTIAL_MAX_AGE_MS = 60 * 60_000;

/** Removes `.<workspace>.partial-<hex>` folders a LAP that stopped while keeping a pod's workspace left behind. */
function removeStalePartials(workspacesDir: string) {
  if (!existsSync(workspacesDir)) return;
  for (const name of readdirSync(workspacesDir)) {
    if (!/^\.[A-Za-z0-9_-][A-Za-z0-9_.-]*\.partial-[0-9a-f]+$/.test(name)) continue;
    const st = lstatSync(join(workspacesDir, name), { throwIfNoEntry: false });
    if (st?.isDirectory() && Date.now() - st.mtimeMs > PARTIAL_MAX_AGE_MS)
      rmSync(join(workspacesDir, name), { recursive: true, force: true });
  }
}
