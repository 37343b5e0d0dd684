/**
 * A session's workspace as files (docs/files.md): the tree, one file, or a folder as a zip.
 * Host sandboxes (local, process): from LAP_DATA_DIR/workspaces/<id> on this host, while the sandbox
 * runs and after it stopped. Kubernetes: while the pod runs, through its supervisor's workspace API
 * (`remote`, harness/supervisor/files.ts); after it stopped, from the copy LAP kept under the same
 * folder before deleting the pod (./archive.ts). Kept workspaces go LAP_WORKSPACE_RETENTION_DAYS after
 * the session ended (./retention.ts). The agent wrote these files: every read on this host goes through
 * harness/files/safe-fs.ts, and what a pod answers is checked again here (docs/security.md "Workspace files").
 */
import { closeSync, existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { Principal } from "../auth/model";
import { SYSTEM } from "../auth/policy";
import type { Database } from "../db/client";
import { ApiError, badRequest, notFound } from "../lib/errors";
import { fileStream, openDirAt, openFileAt, openRoot, type TreeEntry, UnsafePathError, walkTree } from "../../harness/files/safe-fs";
import { zipStream } from "../../harness/files/zip";

/** What LAP lists and zips at most (docs/files.md "Limits"). */
export const WORKSPACE_CAPS = { maxEntries: 5000, maxDepth: 32, zipMaxFiles: 10_000, zipMaxBytes: 1024 * 1024 * 1024 };

/** A workspace LAP reaches only through its sandbox's supervisor (kubernetes: SandboxProvider.workspaceRequest). */
export interface RemoteWorkspace {
  /** A GET of the supervisor's workspace API (`/lap/files/...?...`) in sandbox `sandboxId`; rejects when the pod does not answer. */
  request(sandboxId: string, pathAndQuery: string): Promise<Response>;
}

export interface WorkspaceFilesDeps {
  database: Database;
  /** LAP_DATA_DIR/workspaces. */
  workspacesDir: string;
  /** This machine's id (LAP_HOST_ID): a workspace kept on another host is not here. */
  hostId: string;
  /** The session if the caller may see it (else 404): SessionService.row. */
  sessionRow(sessionId: string, actor: Principal): Promise<unknown>;
  /** Pods' workspaces while they run (absent: kubernetes sessions are served from their kept copy only). */
  remote?: RemoteWorkspace;
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

type Location = { kind: "dir"; dir: string; running: boolean } | { kind: "pod"; sandboxId: string; keptDir: string | null };

/** What a pod's supervisor says about a path: its text is the sandbox's, so it is cut short and printable only. */
const podText = (s: unknown) =>
  String(s ?? "")
    .replace(/[^\x20-\x7e]/g, "?")
    .slice(0, 300);

const podError = z.object({ error: z.object({ message: z.string() }) });
const podTree = z.object({
  entries: z.array(
    z.object({ path: z.string().max(8192), type: z.enum(["file", "dir"]), size: z.number().int().min(0), modified_at: z.string().max(40) }),
  ),
  truncated: z.boolean(),
  skipped: z.number().int().min(0),
});

export class WorkspaceFiles {
  constructor(private readonly deps: WorkspaceFilesDeps) {}

  private get caps() {
    return this.deps.caps ?? WORKSPACE_CAPS;
  }

  /** Where the session's workspace is: a directory on this host, or a running pod (with the copy kept of an earlier one, if any). */
  async locate(sessionId: string, actor: Principal = SYSTEM): Promise<Location> {
    await this.deps.sessionRow(sessionId, actor);
    const rows = await this.deps.database.query<{
      workspace_id: string;
      provider: string;
      host: string | null;
      status: string;
      sandbox_id: string | null;
    }>(`select workspace_id, provider, host, status, sandbox_id from sandboxes where session_id = $1 order by created_at desc limit 1`, [
      sessionId,
    ]);
    const row = rows[0];
    if (!row) throw new ApiError(404, "not_found", "This session has no workspace: it never started a sandbox");
    if (row.host && row.host !== this.deps.hostId)
      throw new ApiError(409, "other_host", `This session's workspace is on host ${row.host}; ask that LAP replica`);
    if (!WORKSPACE_ID.test(row.workspace_id)) throw notFound("Workspace");
    const dir = join(this.deps.workspacesDir, row.workspace_id);
    const running = ["provisioning", "claimed"].includes(row.status);
    if (row.provider === "kubernetes") {
      const kept = existsSync(dir) ? dir : null;
      if (running && row.sandbox_id && this.deps.remote) return { kind: "pod", sandboxId: row.sandbox_id, keptDir: kept };
      if (kept) return { kind: "dir", dir: kept, running: false };
      throw new ApiError(
        404,
        "not_found",
        "This session's workspace was not kept: its pod was gone before LAP could copy it, it was over LAP_WORKSPACE_ARCHIVE_MAX_BYTES, it was kept by another LAP replica, or LAP_WORKSPACE_RETENTION_DAYS passed",
      );
    }
    if (!existsSync(dir))
      throw new ApiError(404, "not_found", "This session's workspace is gone (removed after LAP_WORKSPACE_RETENTION_DAYS)");
    return { kind: "dir", dir, running };
  }

  /**
   * A GET of the pod's workspace API; its 4xx become LAP's (naming `path`). A pod that does not answer
   * (lost, being replaced) falls back to the kept copy (null), else 503.
   */
  private async fromPod(at: Extract<Location, { kind: "pod" }>, pathAndQuery: string): Promise<Response | null> {
    let res: Response;
    try {
      res = await this.deps.remote!.request(at.sandboxId, pathAndQuery);
    } catch (err) {
      if (at.keptDir) return null;
      throw new ApiError(
        503,
        "not_available",
        `The session's pod does not answer and no copy of its workspace was kept: ${podText((err as Error).message)}`,
      );
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => "");
    const parsed = podError.safeParse(safeJson(text));
    const detail = podText(parsed.success ? parsed.data.error.message : text) || `HTTP ${res.status}`;
    if (res.status === 404 && parsed.success && detail.startsWith("path:"))
      throw new ApiError(404, "not_found", detail, [{ field: "path", message: "no such file or folder" }]);
    if (res.status === 422) throw new ApiError(422, "unsafe_path", detail, [{ field: "path", message: detail.replace(/^path: /, "") }]);
    if (res.status === 413) throw tooLargeToZip(this.caps);
    if (res.status === 400) throw badRequest(detail, [{ field: "path", message: detail.replace(/^path: /, "") }]);
    if (at.keptDir) return null;
    throw new ApiError(503, "not_available", `The session's pod answered HTTP ${res.status} for its workspace: ${detail}`);
  }

  async list(
    sessionId: string,
    path: string,
    actor: Principal = SYSTEM,
  ): Promise<{ path: string; data: TreeEntry[]; truncated: boolean; skipped: number; sandbox_running: boolean }> {
    const at = await this.locate(sessionId, actor);
    if (at.kind === "pod") {
      const q = new URLSearchParams({ path, max_entries: String(this.caps.maxEntries), max_depth: String(this.caps.maxDepth) });
      const res = await this.fromPod(at, `/lap/files/tree?${q}`);
      if (res) {
        const tree = podTree.safeParse(await res.json().catch(() => null));
        if (!tree.success) throw new ApiError(503, "not_available", "The session's pod answered a workspace listing LAP cannot read");
        const entries = tree.data.entries.slice(0, this.caps.maxEntries);
        const truncated = tree.data.truncated || entries.length < tree.data.entries.length;
        return { path, data: entries, truncated, skipped: tree.data.skipped, sandbox_running: true };
      }
      return this.listDir(at.keptDir!, path, false);
    }
    return this.listDir(at.dir, path, at.running);
  }

  private listDir(dir: string, path: string, running: boolean) {
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

  /** One file, streamed from a descriptor LAP checked (regular, one link, no link on the way), or from the pod. */
  async download(sessionId: string, path: string, actor: Principal = SYSTEM): Promise<Response> {
    if (!path) throw badRequest("path: name a file of the workspace", [{ field: "path", message: "required" }]);
    const at = await this.locate(sessionId, actor);
    const name = path.split("/").at(-1)!;
    if (at.kind === "pod") {
      const res = await this.fromPod(at, `/lap/files/raw?${new URLSearchParams({ path })}`);
      if (res) {
        // The pod's length only when it sent one (a chunked answer has none; 0 would cut the file).
        const length = res.headers.get("content-length");
        const size = length === null ? Number.NaN : Number(length);
        return new Response(res.body, {
          headers: downloadHeaders(name, "application/octet-stream", Number.isSafeInteger(size) && size >= 0 ? size : undefined),
        });
      }
    }
    const dir = at.kind === "pod" ? at.keptDir! : at.dir;
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
    return new Response(fileStream(fd, stat.size), { headers: downloadHeaders(name, "application/octet-stream", stat.size) });
  }

  /** A folder ("" = the whole workspace) as a zip; over the caps it is a 413 before any byte is sent. */
  async zip(sessionId: string, path: string, actor: Principal = SYSTEM): Promise<Response> {
    const at = await this.locate(sessionId, actor);
    const name = `${path ? path.split("/").at(-1) : `workspace-${sessionId}`}.zip`;
    if (at.kind === "pod") {
      const q = new URLSearchParams({ path, max_files: String(this.caps.zipMaxFiles), max_bytes: String(this.caps.zipMaxBytes) });
      const res = await this.fromPod(at, `/lap/files/zip?${q}`);
      if (res) return new Response(res.body, { headers: downloadHeaders(name, "application/zip") });
    }
    const root = openRoot(at.kind === "pod" ? at.keptDir! : at.dir);
    let base: number | null = null;
    try {
      base = openDirAt(root, split(path));
      const tree = walkTree(base, [], { maxEntries: this.caps.zipMaxFiles, maxDepth: this.caps.maxDepth });
      const files = tree.entries.filter((e) => e.type === "file");
      const bytes = files.reduce((n, f) => n + f.size, 0);
      if (tree.truncated || bytes > this.caps.zipMaxBytes) throw tooLargeToZip(this.caps);
      const fd = base;
      base = null;
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

const tooLargeToZip = (caps: typeof WORKSPACE_CAPS) =>
  new ApiError(
    413,
    "payload_too_large",
    `path: the folder holds more than ${caps.zipMaxFiles} entries or ${caps.zipMaxBytes} bytes; zip a smaller folder`,
    [{ field: "path", message: "too large to zip" }],
  );

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
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
