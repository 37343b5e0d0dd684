/**
 * A pod's workspace kept after the pod is gone (docs/files.md "Kubernetes"): the zip its supervisor
 * streams (harness/supervisor/files.ts) unpacked under LAP_DATA_DIR/workspaces/<workspace id>, where
 * the routes serve it like a host sandbox's kept workspace until LAP_WORKSPACE_RETENTION_DAYS.
 * The zip comes from inside the sandbox, so it is an attacker's: every name is checked as an API path
 * (no `..`, no absolute path, no `.git`), only folders and regular files are made (a zip cannot make a
 * link here), and the unpacked bytes and entries are capped; a zip over a cap keeps nothing. It is
 * unpacked in a fresh folder next to the target and renamed over it only when complete.
 */
import { closeSync, existsSync, mkdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Unzip, UnzipInflate } from "fflate";
import { normalizeRelativePath } from "../../harness/files/paths";
import { openNewFileAt, openRoot } from "../../harness/files/safe-fs";

export interface ArchiveCaps {
  maxBytes: number;
  maxFiles: number;
}

export class ArchiveRefused extends Error {}

const WORKSPACE_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** Unpacks `zip` as the kept copy of workspace `workspaceId`; resolves with what was kept, rejects (keeping nothing new) on a bad or oversized zip. */
export async function keepWorkspaceArchive(
  workspacesDir: string,
  workspaceId: string,
  zip: ReadableStream<Uint8Array>,
  caps: ArchiveCaps,
): Promise<{ files: number; bytes: number }> {
  if (!WORKSPACE_ID.test(workspaceId)) throw new ArchiveRefused(`workspace id ${JSON.stringify(workspaceId)} is not a folder name`);
  mkdirSync(workspacesDir, { recursive: true });
  const partial = join(workspacesDir, `.${workspaceId}.partial-${randomBytes(4).toString("hex")}`);
  mkdirSync(partial, { mode: 0o755 });
  const root = openRoot(partial);
  let files = 0;
  let bytes = 0;
  let failure: Error | null = null;
  let open: number | null = null;
  const closeOpen = () => {
    if (open !== null) closeSync(open);
    open = null;
  };
  const unzip = new Unzip((file) => {
    if (failure) return;
    const fail = (err: Error) => {
      failure ??= err;
      closeOpen();
      file.terminate();
    };
    if (file.name.endsWith("/")) return; // folders are made for the files in them
    const p = normalizeRelativePath(file.name);
    if (!p.ok)
      return fail(new ArchiveRefused(`the workspace zip names ${JSON.stringify(file.name.slice(0, 200))}, whose path ${p.message}`));
    if (++files > caps.maxFiles) return fail(new ArchiveRefused(`the workspace holds more than ${caps.maxFiles} files`));
    try {
      closeOpen();
      open = openNewFileAt(root, p.segments);
    } catch (err) {
      return fail(err as Error);
    }
    const fd = open;
    file.ondata = (err, chunk, final) => {
      if (failure) return;
      if (err) return fail(err);
      bytes += chunk.byteLength;
      if (bytes > caps.maxBytes) return fail(new ArchiveRefused(`the workspace holds more than ${caps.maxBytes} bytes`));
      let off = 0;
      while (off < chunk.byteLength) off += writeSync(fd, chunk, off, chunk.byteLength - off);
      if (final && open === fd) closeOpen();
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    const reader = zip.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (failure) {
        await reader.cancel().catch(() => {});
        break;
      }
      unzip.push(value ?? new Uint8Array(), done);
      if (done) break;
    }
    if (failure) throw failure;
  } catch (err) {
    closeOpen();
    closeSync(root);
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
  closeOpen();
  closeSync(root);
  const target = join(workspacesDir, workspaceId);
  // A stale copy (an earlier stop of the same workspace) is replaced by this newer one.
  if (existsSync(target)) rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
  return { files, bytes };
}
