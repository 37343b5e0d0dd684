/**
 * A skill from a git repository a user names (docs/skills.md). The URL is a destination a user names:
 * the clone is the agent repo_url's clone (server/sandboxes/runtime/repo.ts): https only, the host
 * resolved and checked, git pinned to the checked address, no config, hooks, submodules or
 * redirects (docs/security.md "User-supplied URLs and hosts"). The checkout goes to a temporary
 * folder that is removed after; symbolic links in it are refused, and the walk stops at the limits.
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../lib/logger";
import { badRequest } from "../lib/errors";
import type { DestinationGuard } from "../net/destinations";
import { cloneInto, RepoCloneError } from "../sandboxes/runtime/repo";
import { bundleFromEntries, pathProblem, SKILL_LIMITS, type SkillBundle } from "./bundle";

const fail = (field: string, message: string): never => {
  throw badRequest(`${field}: ${message}`, [{ field, message }]);
};

export async function skillFromGit(
  input: { git_url: string; git_ref?: string; path?: string },
  deps: { destinations: DestinationGuard; logger?: Logger; timeoutMs?: number },
): Promise<SkillBundle> {
  if (input.path !== undefined && pathProblem(input.path)) fail("path", `a folder inside the repository, ${pathProblem(input.path)}`);
  const dir = mkdtempSync(join(tmpdir(), "lap-skill-git-"));
  try {
    try {
      await cloneInto(dir, input.git_url, input.git_ref ?? null, {
        destinations: deps.destinations,
        logger: deps.logger,
        timeoutMs: deps.timeoutMs ?? 60_000,
      });
    } catch (err) {
      if (err instanceof RepoCloneError) fail("git_url", err.message.replace("the agent's repository", "the skill's repository"));
      throw err;
    }
    const root = input.path ? join(dir, input.path) : dir;
    const rootStat = lstatSync(root, { throwIfNoEntry: false });
    if (!rootStat?.isDirectory()) fail("path", `${input.path} is not a folder in the repository`);
    const entries = new Map<string, Uint8Array>();
    let total = 0;
    const walk = (abs: string, rel: string) => {
      for (const name of readdirSync(abs).sort()) {
        if (!rel && name === ".git") continue;
        const path = rel ? `${rel}/${name}` : name;
        const st = lstatSync(join(abs, name));
        if (st.isSymbolicLink()) fail("git_url", `${path} is a symbolic link; skills hold regular files only`);
        if (st.isDirectory()) {
          if (path.split("/").length > SKILL_LIMITS.pathDepth)
            fail("git_url", `${path} is more than ${SKILL_LIMITS.pathDepth} folders deep`);
          walk(join(abs, name), path);
          continue;
        }
        if (!st.isFile()) fail("git_url", `${path} is not a regular file`);
        if (entries.size >= SKILL_LIMITS.files + 1) fail("git_url", `more than ${SKILL_LIMITS.files} files`);
        total += st.size;
        if (total > SKILL_LIMITS.totalBytes) fail("git_url", `the skill is larger than ${SKILL_LIMITS.totalBytes} bytes`);
        entries.set(path, readFileSync(join(abs, name)));
      }
    };
    walk(root, "");
    if (!entries.has("SKILL.md"))
      fail(
        input.path ? "path" : "git_url",
        `no SKILL.md at ${input.path ? `${input.path}/` : "the top of the repository"} (name the skill's folder in path)`,
      );
    return bundleFromEntries(entries, "git_url");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
