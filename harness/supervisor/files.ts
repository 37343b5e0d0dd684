/**
 * The workspace over the supervisor's API (docs/files.md "Kubernetes"), for a LAP that cannot read the
 * sandbox's disk (a pod): put the agent's files in, list the tree, read one file, zip a folder. Behind
 * the supervisor token like every other route (./routes.ts). Every path is checked as LAP checks it
 * (../files/paths.ts) and walked without following links (../files/safe-fs.ts), so the agent, who can
 * reach this API from inside its pod but not its token, gains nothing by links it left in the workspace:
 * nothing outside the workspace is read or written (docs/security.md "Workspace files").
 *
 *   GET  /lap/files/tree?path=&max_entries=&max_depth=   → { entries, truncated, skipped }
 *   GET  /lap/files/raw?path=                            → the file's bytes
 *   GET  /lap/files/zip?path=&max_files=&max_bytes=      → a zip (413 over the caps, before any byte)
 *   POST /lap/files  { files: [{ path, content_base64 }] } → { written } (every path checked before the first write)
 */
import { closeSync } from "node:fs";
import { z } from "zod";
import { normalizeRelativePath } from "../files/paths";
import { fileStream, openDirAt, openFileAt, openRoot, UnsafePathError, walkTree, writeFileAt } from "../files/safe-fs";
import { zipStream } from "../files/zip";

/** The most this API lists, zips or accepts, whatever LAP asks (LAP's own caps are lower: server/files/workspace.ts). */
export const SUPERVISOR_FILE_CAPS = {
  maxEntries: 10_000,
  maxDepth: 32,
  zipMaxFiles: 20_000,
  zipMaxBytes: 2 * 1024 * 1024 * 1024,
  /** One POST /lap/files body (LAP sends the agent's files in batches well below this). */
  placeMaxBodyBytes: 96 * 1024 * 1024,
};

const placeBody = z.object({
  files: z
    .array(z.object({ path: z.string().min(1).max(4096), content_base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64") }))
    .min(1)
    .max(1000),
});

type Fail = (status: number, message: string, fields?: { field: string; message: string }[]) => Response;

/** A bounded integer query parameter: absent → the cap, else at most the cap. */
function capped(url: URL, name: string, cap: number): number {
  const n = Number(url.searchParams.get(name) ?? cap);
  return Number.isInteger(n) && n > 0 ? Math.min(n, cap) : cap;
}

/** A relative path from `?path=`, or a 400 naming `path`. */
function pathOf(url: URL, allowRoot: boolean, fail: Fail): { ok: true; segments: string[] } | { ok: false; res: Response } {
  const r = normalizeRelativePath(url.searchParams.get("path") ?? "", { allowRoot });
  return r.ok
    ? { ok: true, segments: r.segments }
    : { ok: false, res: fail(400, `path: ${r.message}`, [{ field: "path", message: r.message }]) };
}

/** A link, a special file or a missing name: 404 or 422, as LAP answers for a workspace on its own disk. */
function unsafe(err: unknown, fail: Fail): Response {
  if (!(err instanceof UnsafePathError)) throw err;
  return fail(err.code === "not_found" ? 404 : 422, `path: ${err.message}`, [{ field: "path", message: err.message }]);
}

export async function handleFiles(req: Request, url: URL, workspace: string, fail: Fail): Promise<Response> {
  const route = `${req.method} ${url.pathname}`;
  if (route === "POST /lap/files") return place(req, workspace, fail);
  if (route === "GET /lap/files/tree") {
    const p = pathOf(url, true, fail);
    if (!p.ok) return p.res;
    const root = openRoot(workspace);
    try {
      const caps = { maxEntries: capped(url, "max_entries", SUPERVISOR_FILE_CAPS.maxEntries), maxDepth: capped(url, "max_depth", 32) };
      return Response.json(walkTree(root, p.segments, caps));
    } catch (err) {
      return unsafe(err, fail);
    } finally {
      closeSync(root);
    }
  }
  if (route === "GET /lap/files/raw") {
    const p = pathOf(url, false, fail);
    if (!p.ok) return p.res;
    const root = openRoot(workspace);
    let opened: ReturnType<typeof openFileAt>;
    try {
      opened = openFileAt(root, p.segments);
    } catch (err) {
      return unsafe(err, fail);
    } finally {
      closeSync(root);
    }
    return new Response(fileStream(opened.fd, opened.stat.size), {
      headers: { "content-type": "application/octet-stream", "content-length": String(opened.stat.size) },
    });
  }
  if (route === "GET /lap/files/zip") {
    const p = pathOf(url, true, fail);
    if (!p.ok) return p.res;
    const maxFiles = capped(url, "max_files", SUPERVISOR_FILE_CAPS.zipMaxFiles);
    const maxBytes = capped(url, "max_bytes", SUPERVISOR_FILE_CAPS.zipMaxBytes);
    const root = openRoot(workspace);
    let base: number | null = null;
    try {
      base = openDirAt(root, p.segments);
      const tree = walkTree(base, [], { maxEntries: maxFiles, maxDepth: SUPERVISOR_FILE_CAPS.maxDepth });
      const bytes = tree.entries.reduce((n, e) => n + (e.type === "file" ? e.size : 0), 0);
      if (tree.truncated || bytes > maxBytes)
        return fail(413, `path: the folder holds more than ${maxFiles} entries or ${maxBytes} bytes`, [
          { field: "path", message: "too large to zip" },
        ]);
      const fd = base;
      base = null;
      return new Response(
        zipStream(fd, [], tree.entries, () => closeSync(fd)),
        { headers: { "content-type": "application/zip", "x-lap-zip-bytes": String(bytes) } },
      );
    } catch (err) {
      return unsafe(err, fail);
    } finally {
      closeSync(root);
      if (base !== null) closeSync(base);
    }
  }
  return fail(404, `no route ${route}`);
}

/** Writes the agent's files: each path checked before the first is written; a link in the way is replaced or refused (../files/safe-fs.ts). */
async function place(req: Request, workspace: string, fail: Fail): Promise<Response> {
  if (Number(req.headers.get("content-length") ?? 0) > SUPERVISOR_FILE_CAPS.placeMaxBodyBytes)
    return fail(413, `the body is over ${SUPERVISOR_FILE_CAPS.placeMaxBodyBytes} bytes; send fewer files at once`);
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return fail(400, "body must be JSON");
  }
  const parsed = placeBody.safeParse(body);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
    return fail(400, `invalid ${fields.map((f) => f.field).join(", ")}`, fields);
  }
  const files: Array<{ path: string; segments: string[]; bytes: Uint8Array }> = [];
  for (const [i, f] of parsed.data.files.entries()) {
    const p = normalizeRelativePath(f.path);
    if (!p.ok) return fail(400, `files.${i}.path: ${p.message}`, [{ field: `files.${i}.path`, message: p.message }]);
    files.push({ path: p.path, segments: p.segments, bytes: new Uint8Array(Buffer.from(f.content_base64, "base64")) });
  }
  const root = openRoot(workspace);
  try {
    for (const [i, f] of files.entries()) {
      try {
        writeFileAt(root, f.segments, f.bytes);
      } catch (err) {
        if (!(err instanceof UnsafePathError)) throw err;
        return fail(422, `files.${i}.path: ${f.path} cannot be written in the workspace: ${err.message}`, [
          { field: `files.${i}.path`, message: err.message },
        ]);
      }
    }
  } finally {
    closeSync(root);
  }
  return Response.json({ written: files.length });
}
