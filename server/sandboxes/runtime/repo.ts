/**
 * Clones the agent's repository into a session's workspace at session start, on the host side
 * (LAP has the network and the credentials; the sandbox has neither). An existing checkout is kept:
 * a restarted or recovered session gets its workspace back as it left it.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export class RepoCloneError extends Error {}

export async function cloneInto(workspace: string, repoUrl: string, branch: string | null): Promise<"cloned" | "kept"> {
  if (existsSync(join(workspace, ".git"))) return "kept";
  if (readdirSync(workspace).length) throw new RepoCloneError(`workspace is not empty and has no .git; not cloning ${repoUrl} over it`);
  if (!/^(https?:\/\/|git@|ssh:\/\/|file:\/\/|\/)/.test(repoUrl)) throw new RepoCloneError(`repo_url must be an http(s), ssh, file URL or absolute path: ${repoUrl}`);
  const args = ["git", "-c", "advice.detachedHead=false", "clone", "--depth", "1", ...(branch ? ["--branch", branch] : []), "--", repoUrl.startsWith("/") ? `file://${repoUrl}` : repoUrl, workspace];
  const proc = Bun.spawn(args, { stdout: "ignore", stderr: "pipe", env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new RepoCloneError(`git clone ${repoUrl}${branch ? ` (branch ${branch})` : ""} failed: ${stderr.trim().split("\n").slice(-2).join(" ")}`);
  return "cloned";
}
