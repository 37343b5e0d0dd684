import { z } from "zod";
import { badRequest } from "../lib/errors";
import { idString, safeString } from "../lib/strings";
import { MAX_PATH_CHARS, normalizeRelativePath } from "../../harness/files/paths";

/**
 * `path` as callers send it, checked (harness/files/paths.ts; errors name the field). A refinement, not
 * a transform (the API docs' JSON Schema cannot show transforms): handlers normalize with `normalized`.
 */
const relativePath = (allowRoot: boolean) =>
  safeString({ max: MAX_PATH_CHARS, min: allowRoot ? 0 : 1 }).superRefine((v, ctx) => {
    const r = normalizeRelativePath(v, { allowRoot });
    if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
  });

/** The normalized form of a path its schema accepted. */
export function normalized(path: string, allowRoot = false): string {
  const r = normalizeRelativePath(path, { allowRoot });
  if (!r.ok) throw badRequest(`path: ${r.message}`, [{ field: "path", message: r.message }]);
  return r.path;
}

/** The rest of the URL after `files/`, percent-decoded (Elysia hands the wildcard over as sent), then checked. */
const urlPath = z
  .string()
  .transform((v, ctx) => {
    try {
      return decodeURIComponent(v);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not valid percent-encoding" });
      return z.NEVER;
    }
  })
  .pipe(relativePath(false))
  .transform((v) => normalized(v));

/**
 * `/api/agents/:id/files/<path>` and `/api/sessions/:id/files/<path>`: the path is checked by
 * `filePath` in the handler, so its errors name `path` (not the wildcard).
 */
export const fileParams = z.object({ id: idString(64), "*": z.string() });

export function filePath(raw: string): string {
  const r = urlPath.safeParse(raw);
  if (r.success) return r.data;
  const message = r.error.issues[0]?.message ?? "is not a valid path";
  throw badRequest(`path: ${message}`, [{ field: "path", message }]);
}
export const workspacePathQuery = z.object({ path: relativePath(true).optional() });

/**
 * The JSON form of an upload, for the dashboard: a cookie session may only send JSON (docs/security.md
 * "Dashboard sessions, CSRF and login"), so files come base64-encoded.
 */
export const jsonUploadBody = z.object({
  files: z
    .array(
      z.object({
        path: relativePath(false),
        content_base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64"),
        content_type: safeString({ max: 100, line: true }).optional(),
      }),
    )
    .min(1)
    .max(1000),
});

export const agentFileView = z.object({
  id: z.string(),
  agent_id: z.string(),
  path: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  content_type: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type AgentFileView = z.infer<typeof agentFileView>;

export const agentFileLimitsView = z.object({ max_file_bytes: z.number(), max_files: z.number(), max_total_bytes: z.number() });
export const agentFileListView = z.object({ data: z.array(agentFileView), total_bytes: z.number(), limits: agentFileLimitsView });
export const agentFilesUploadedView = z.object({ data: z.array(agentFileView) });

export const workspaceEntryView = z.object({
  path: z.string(),
  type: z.enum(["file", "dir"]),
  size: z.number(),
  modified_at: z.string(),
});
export const workspaceListView = z.object({
  /** The folder listed ("" = the workspace). */
  path: z.string(),
  data: z.array(workspaceEntryView),
  /** More entries than LAP lists (or deeper than it walks) were there. */
  truncated: z.boolean(),
  /** Symbolic links, hard-linked files, sockets and other special files left out. */
  skipped: z.number(),
  /** Whether the session's sandbox is running now (the tree can change under you). */
  sandbox_running: z.boolean(),
});
