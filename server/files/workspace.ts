/**
 * A session's workspace as files (docs/files.md): the tree, one file, or a folder as a zip, from
 * LAP_DATA_DIR/workspaces/<id> on this host (local and process sandboxes), while the sandbox runs
 * and after it stopped, until LAP_WORKSPACE_RETENTION_DAYS after the session ended (./retention.ts).
 * The agent wrote these files: every read goes through ./safe-fs.ts (docs/security.md "Workspace files").
 */
import { closeSync, existsSync, read } from "node:fs";
import { join } from "node:path";
import type { Principal } from "../auth/model";
import { SYSTEM } from "../auth/policy";
import type { Database } from "../db/client";
import { ApiError, badRequest, notFound } from "../lib/errors";
import { openDirAt, openFileAt, openRoot, type TreeEntry, UnsafePathError, walkTree } from "./safe-fs";
import { zipStream } from "./zip";

/** What LAP lists and zips at most (docs/files.md "Limits"). */
export const WORKSPACE_CAPS = { maxEntries: 5000, maxDepth: 32, zipMaxFiles: 10_000, zipMaxBytes: 1024 * 1024 * 1024 };

export interface WorkspaceFilesDeps {
  database: Database;
  /** LAP_DATA_DIR/workspaces. */
  workspacesDir: string;
  /** This machine's id (LAP_HOST_ID): a workspace kept on another host is not here. */
  hostId: string;
  /** The session if the caller may see it (else 404): SessionService.row. */
  sessionRow(sessionId: string, actor: Principal): Promise<unknown>;
  caps?: typeof WORKSPACE_CAPS;
}

const WORKSPACE_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

function unsafe(err: unknown): never {
  if (err instanceof UnsafePathError) {
    if (err.code === "not_found")
      throw new ApiError(404, "not_found", `path: ${err.message}`, [{ field: "path", message: "no such file or folder" }]);
    throw new ApiError(422, "unsafe_path", `path: ${err.message}`, [{ field: "path", message: err.message }]);
  }
  throw err;
}

export class WorkspaceFiles {
  constructor(private readonly deps: WorkspaceFilesDeps) {}

  private get caps() {
    return this.deps.caps ?? WORKSPACE_CAPS;
  }

  /** The session's workspace directory on this host, and whether its sandbox runs. */
  async locate(sessionId: string, actor: Principal = SYSTEM): Promise<{ dir: string; running: boolean }> {
    await this.deps.sessionRow(sessionId, actor);
    const rows = await this.deps.database.query<{ workspace_id: string; provider: string; host: string | null; status: string }>(
      `select workspace_id, provider, host, status from sandboxes where session_id = $1 order by created_at desc limit 1`,
      [sessionId],
    );
    const row = rows[0];
    if (!row) throw new ApiError(404, "not_found", "This session has no workspace: it never started a sandbox");
    if (row.provider === "kubernetes")
      throw new ApiError(409, "not_available", "Workspace files are not available on the kubernetes provider yet (docs/files.md)");
    if (row.host && row.host !== this.deps.hostId)
      throw new ApiError(409, "other_host", `This session's workspace is on host ${row.host}; ask that LAP replica`);
    if (!WORKSPACE_ID.test(row.workspace_id)) throw notFound("Workspace");
    const dir = join(this.deps.workspacesDir, row.workspace_id);
    if (!existsSync(dir))
      throw new ApiError(404, "not_found", "This session's workspace is gone (removed after LAP_WORKSPACE_RETENTION_DAYS)");
    return { dir, running: ["provisioning", "claimed"].includes(row.status) };
  }

  async list(
    sessionId: string,
    path: string,
    actor: Principal = SYSTEM,
  ): Promise<{ path: string; data: TreeEntry[]; truncated: boolean; skipped: number; sandbox_running: boolean }> {
    const { dir, running } = await this.locate(sessionId, actor);
    const root = openRoot(dir);
    try {
      const tree = walkTree(root, split(path), { maxEntries: this.caps.maxEntries, maxDepth: this.caps.maxDepth });
      return { path, data: tree.entries, truncated: tree.truncated, skipped: tree.skipped, sandbox_running: running };
    } catch (err) {
      unsafe(err);
    } finally {
      closeSync(root);
    }
  }

  /** One file, streamed from a descriptor LAP checked (regular, one link, no link on the way). */
  async download(sessionId: string, path: string, actor: Principal = SYSTEM): Promise<Response> {
    if (!path) throw badRequest("path: name a file of the workspace", [{ field: "path", message: "required" }]);
    const { dir } = await this.locate(sessionId, actor);
    const root = openRoot(dir);
    let opened: ReturnType<typeof openFileAt>;
    try {
      opened = openFileAt(root, split(path));
    } catch (err) {
      unsafe(err);
    } finally {
      closeSync(root);
    }
    const { fd, stat } = opened;
    let left = stat.size;
    let closed = false;
    const close = () => {
      if (!closed) closeSync(fd);
      closed = true;
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const buf = new Uint8Array(Math.min(64 * 1024, left));
        const n = buf.byteLength
          ? await new Promise<number>((ok, no) => read(fd, buf, 0, buf.byteLength, null, (e, got) => (e ? no(e) : ok(got))))
          : 0;
        left -= n;
        if (n > 0) controller.enqueue(buf.subarray(0, n));
        if (n === 0 || left <= 0) {
          close();
          controller.close();
        }
      },
      cancel: close,
    });
    return new Response(body, { headers: downloadHeaders(path.split("/").at(-1)!, "application/octet-stream", stat.size) });
  }

  /** A folder ("" = the whole workspace) as a zip; over the caps it is a 413 before any byte is sent. */
  async zip(sessionId: string, path: string, actor: Principal = SYSTEM): Promise<Response> {
    const { dir } = await this.locate(sessionId, actor);
    const root = openRoot(dir);
    let base: number | null = null;
    try {
      base = openDirAt(root, split(path));
      const tree = walkTree(base, [], { maxEntries: this.caps.zipMaxFiles, maxDepth: this.caps.maxDepth });
      const files = tree.entries.filter((e) => e.type === "file");
      const bytes = files.reduce((n, f) => n + f.size, 0);
      if (tree.truncated || bytes > this.caps.zipMaxBytes) {
        throw new ApiError(
          413,
          "payload_too_large",
          `path: the folder holds more than ${this.caps.zipMaxFiles} entries or ${this.caps.zipMaxBytes} bytes; zip a smaller folder`,
          [{ field: "path", message: "too large to zip" }],
        );
      }
      const fd = base;
      base = null;
      const name = `${path ? path.split("/").at(-1) : `workspace-${sessionId}`}.zip`;
      return new Response(
        zipStream(fd, [], tree.entries, () => closeSync(fd)),
        { headers: downloadHeaders(name, "application/zip") },
      );
    } catch (err) {
      return unsafe(err);
    } finally {
      closeSync(root);
      if (base !== null) closeSync(base);
    }
  }
}

const split = (path: string) => (path ? path.split("/") : []);

/** Always an attachment with a safe type: a workspace's HTML or SVG is never rendered as LAP's own page. */
export function downloadHeaders(name: string, type: string, size?: number): Record<string, string> {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return {
    "content-type": type,
    "content-disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "cache-control": "no-store",
    ...(size !== undefined ? { "content-length": String(size) } : {}),
  };
}
