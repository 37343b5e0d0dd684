/**
 * Relative file paths a caller names (agent files, a file or folder of a session's workspace):
 * normalized to `a/b/c` or refused with the reason (docs/files.md "Paths"). Never absolute, no `..`,
 * no backslash, NUL or control characters, no `.git` component (a cloned repository's git state is
 * not the agent files' to change), bounded length and depth.
 */
export const MAX_PATH_CHARS = 1024;
export const MAX_PATH_DEPTH = 32;
const MAX_SEGMENT_BYTES = 255;

export type PathCheck = { ok: true; path: string; segments: string[] } | { ok: false; message: string };

/** `allowRoot`: the empty path (or `.`, `/`) names the workspace itself (listings and zips of a session). */
export function normalizeRelativePath(input: string, opts: { allowRoot?: boolean } = {}): PathCheck {
  if (input.length > MAX_PATH_CHARS) return { ok: false, message: `is longer than ${MAX_PATH_CHARS} characters` };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) return { ok: false, message: "contains a control character" };
  if (input.includes("\\")) return { ok: false, message: "contains a backslash (use / between folders)" };
  if (/^[A-Za-z]:/.test(input)) return { ok: false, message: "must be relative, not a drive path" };
  const trimmed = input.normalize("NFC");
  if (trimmed.startsWith("/") && !(opts.allowRoot && /^\/*$/.test(trimmed)))
    return { ok: false, message: "must be relative (no leading /)" };
  const segments = trimmed.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.some((s) => s === "..")) return { ok: false, message: "must not contain .." };
  if (segments.length === 0) return opts.allowRoot ? { ok: true, path: "", segments: [] } : { ok: false, message: "names no file" };
  if (segments.length > MAX_PATH_DEPTH) return { ok: false, message: `is deeper than ${MAX_PATH_DEPTH} folders` };
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES))
    return { ok: false, message: `has a name longer than ${MAX_SEGMENT_BYTES} bytes` };
  if (segments.some((s) => s.toLowerCase() === ".git")) return { ok: false, message: "must not be inside .git" };
  return { ok: true, path: segments.join("/"), segments };
}
