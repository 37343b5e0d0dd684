/**
 * A skill bundle (docs/skills.md): SKILL.md with YAML front matter (`name`, `description`) plus files
 * at safe relative paths, within the size limits. Every way a skill arrives (the API, a zip, a git
 * repository) ends here, so the checks are the same; a problem is a 400 naming the field.
 */
import { parse as parseYaml } from "yaml";
import type { SkillFile } from "../../schema";
import { badRequest, type FieldError } from "../lib/errors";

export const SKILL_LIMITS = {
  /** SKILL.md itself. */
  skillMdBytes: 100_000,
  /** Files besides SKILL.md. */
  files: 100,
  /** Everything together, uncompressed: what a zip may expand to. */
  totalBytes: 2 * 1024 * 1024,
  pathChars: 200,
  pathDepth: 8,
};

/** Agent Skills names: lowercase letters, digits and single hyphens, at most 64 (also a safe folder name). */
export const SKILL_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface SkillBundle {
  name: string;
  description: string;
  skillMd: string;
  files: SkillFile[];
  size: number;
}

const fail = (field: string, message: string): never => {
  throw badRequest(`${field}: ${message}`, [{ field, message }]);
};

/** `name` and `description` from SKILL.md's front matter, or the problem with them. */
export function frontMatter(skillMd: string): { name: string; description: string } | FieldError {
  const m = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(skillMd);
  if (!m) return { field: "skill_md", message: "SKILL.md must start with YAML front matter between --- lines, with name and description" };
  let data: unknown;
  try {
    data = parseYaml(m[1]!, { maxAliasCount: 0, customTags: [], schema: "core" });
  } catch (err) {
    return { field: "skill_md", message: `the front matter is not valid YAML (${(err as Error).message.split("\n")[0]!.slice(0, 200)})` };
  }
  if (!data || typeof data !== "object" || Array.isArray(data))
    return { field: "skill_md", message: "the front matter must be a YAML mapping with name and description" };
  const { name, description } = data as Record<string, unknown>;
  if (typeof name !== "string" || name.length > 64 || !SKILL_NAME.test(name)) {
    return {
      field: "skill_md.name",
      message: "front matter `name` is required: lowercase letters, digits and hyphens, at most 64 characters (e.g. pdf-forms)",
    };
  }
  if (typeof description !== "string" || !description.trim() || description.length > 1024) {
    return {
      field: "skill_md.description",
      message: "front matter `description` is required: what the skill does and when to use it, at most 1024 characters",
    };
  }
  return { name, description: description.trim() };
}

/** Why a path may not be a skill file, or null. Relative, `/`-separated, no `.`/`..`, no odd characters. */
export function pathProblem(path: string): string | null {
  if (!path || path.length > SKILL_LIMITS.pathChars) return `must be 1 to ${SKILL_LIMITS.pathChars} characters`;
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "must be relative (no leading / or drive letter)";
  if (path.includes("\\")) return "must use / as the separator";
  const parts = path.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return "must not contain empty, . or .. segments";
  if (parts.length > SKILL_LIMITS.pathDepth) return `at most ${SKILL_LIMITS.pathDepth} folders deep`;
  if (!parts.every((p) => /^[A-Za-z0-9_][A-Za-z0-9_. -]*$/.test(p)))
    return "letters, digits, _ . - and spaces only, each part starting with a letter, digit or _";
  if (path === "SKILL.md") return "SKILL.md is the skill itself, not one of its files";
  return null;
}

/** Checks a whole bundle: front matter, paths (unique), count and size. */
export function checkBundle(skillMd: string, files: SkillFile[], field = "files"): SkillBundle {
  const mdBytes = Buffer.byteLength(skillMd);
  if (mdBytes > SKILL_LIMITS.skillMdBytes) fail("skill_md", `SKILL.md is ${mdBytes} bytes; at most ${SKILL_LIMITS.skillMdBytes}`);
  const fm = frontMatter(skillMd);
  if ("field" in fm) throw badRequest(`${fm.field}: ${fm.message}`, [fm]);
  if (files.length > SKILL_LIMITS.files) fail(field, `${files.length} files; at most ${SKILL_LIMITS.files}`);
  let size = mdBytes;
  const seen = new Set<string>();
  files.forEach((f, i) => {
    const problem = pathProblem(f.path);
    if (problem) fail(`${field}.${i}.path`, `${JSON.stringify(f.path.slice(0, 100))} ${problem}`);
    if (seen.has(f.path)) fail(`${field}.${i}.path`, `${f.path} appears twice`);
    seen.add(f.path);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(f.content_base64)) fail(`${field}.${i}.content_base64`, "must be base64");
    size += Math.floor((f.content_base64.length * 3) / 4) - (f.content_base64.match(/=+$/)?.[0].length ?? 0);
    if (size > SKILL_LIMITS.totalBytes) fail(field, `the skill is larger than ${SKILL_LIMITS.totalBytes} bytes uncompressed`);
  });
  return { ...fm, skillMd, files: [...files].sort((a, b) => a.path.localeCompare(b.path)), size };
}

/** A bundle from a folder's entries (a zip or a checkout): SKILL.md at the top, or in the one top-level folder. */
export function bundleFromEntries(entries: Map<string, Uint8Array>, field: string): SkillBundle {
  let prefix = "";
  if (!entries.has("SKILL.md")) {
    const tops = new Set([...entries.keys()].map((k) => k.split("/")[0]));
    const only = tops.size === 1 ? [...tops][0]! : null;
    if (!only || !entries.has(`${only}/SKILL.md`)) fail(field, "no SKILL.md at the top or in a single top-level folder");
    prefix = `${only}/`;
  }
  const skillMd = new TextDecoder("utf-8", { fatal: false }).decode(entries.get(`${prefix}SKILL.md`));
  const files: SkillFile[] = [];
  for (const [path, bytes] of entries) {
    if (path === `${prefix}SKILL.md`) continue;
    files.push({ path: path.slice(prefix.length), content_base64: Buffer.from(bytes).toString("base64") });
  }
  return checkBundle(skillMd, files, field);
}
