/**
 * Before a pod is deleted or suspended, LAP copies its workspace (docs/files.md "Kubernetes"): the
 * supervisor zips it (harness/supervisor/files.ts, behind the sandbox's token) and LAP unpacks it under
 * LAP_DATA_DIR/workspaces/<workspace id> (server/files/archive.ts, capped by
 * LAP_WORKSPACE_ARCHIVE_MAX_BYTES), where the session's file routes serve it once the pod is gone.
 * Only a bound pod is copied (an unbound one holds no session's work). Never fails the deletion: a pod
 * that does not answer, a workspace over the cap or a bad zip is logged and nothing is kept.
 */
import { ArchiveRefused, keepWorkspaceArchive } from "../../files/archive";
import type { Logger } from "../../lib/logger";
import type { SupervisorConnection } from "../provider";

export interface WorkspaceArchiveSettings {
  /** LAP_DATA_DIR/workspaces. */
  dir: string;
  /** LAP_WORKSPACE_ARCHIVE_MAX_BYTES (0: nothing is kept). */
  maxBytes: number;
  maxFiles: number;
  /** How long the copy may take before the pod is deleted anyway. */
  timeoutMs: number;
}

export async function archivePodWorkspace(
  conn: SupervisorConnection,
  ids: { sandboxId: string; workspaceId: string },
  settings: WorkspaceArchiveSettings,
  logger?: Logger,
): Promise<boolean> {
  if (settings.maxBytes <= 0) return false;
  const log = { sandbox: ids.sandboxId, workspace: ids.workspaceId };
  const signal = AbortSignal.timeout(settings.timeoutMs);
  try {
    const health = (await (await conn.fetch(`${conn.baseUrl}/health`, { signal })).json()) as { bound?: unknown };
    if (health.bound !== true) return false;
    const q = new URLSearchParams({ max_files: String(settings.maxFiles), max_bytes: String(settings.maxBytes) });
    const res = await conn.fetch(`${conn.baseUrl}/lap/files/zip?${q}`, { signal });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      logger?.warn(
        { ...log, status: res.status },
        res.status === 413
          ? "the pod's workspace is over LAP_WORKSPACE_ARCHIVE_MAX_BYTES (or its file cap): not kept"
          : "the pod's supervisor did not zip its workspace: not kept",
      );
      return false;
    }
    const kept = await keepWorkspaceArchive(settings.dir, ids.workspaceId, res.body, {
      maxBytes: settings.maxBytes,
      maxFiles: settings.maxFiles,
    });
    logger?.info({ ...log, ...kept }, "kept the pod's workspace");
    return true;
  } catch (err) {
    logger?.warn(
      { ...log, err: (err as Error).message.slice(0, 300), refused: err instanceof ArchiveRefused },
      "could not keep the pod's workspace",
    );
    return false;
  }
}
