/**
 * Clones the agent's repository into a session's workspace at session start, on the host side
 * (the sandbox has no network of its own). An existing checkout is kept: a restarted or recovered
 * session gets its workspace back as it left it.
 *
 * `repo_url` is user input that makes LAP connect somewhere, so (docs/security.md, "User-supplied
 * URLs and hosts"): https only (http only to a host LAP_ALLOW_PRIVATE_HOSTS names; never ssh, git,
 * file or a path, which would use the host's keys or files); the host must resolve to public
 * addresses only and git is pinned to the checked address (`http.curloptResolve`); git runs with no
 * system or global config, no credential helper, no prompts, no proxy, no redirects and only the
 * https (or http) protocol. A failure is reported as a fixed message: the remote's answer is
 * never echoed into the session (it could be an internal page), only git's own error line is logged.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SYSTEM_CA_BUNDLES } from "../../../harness/sandbox-env";
import type { Logger } from "../../lib/logger";
import { DestinationRefused, type DestinationGuard } from "../../net/destinations";
import { defaultPort } from "../../net/pinned-fetch";
import { repoUrlProblem } from "../../net/user-destinations";

export class RepoCloneError extends Error {}

export interface CloneOptions {
  destinations: DestinationGuard;
  /**
   * The operator configured this URL (PREINSTALLED_GITHUB_REPO): its address is not checked, and a
   * local path or file:// URL (a repository on LAP's host the operator chose) is accepted.
   */
  trusted?: boolean;
  logger?: Logger;
  timeoutMs?: number;
  /** EGRESS_UPSTREAM_CA_FILE: CAs the operator trusts besides the system's (a GitHub Enterprise with its own CA). */
  extraCaFile?: string;
  /**
   * The agent's vault secret bound to the repository's host (a private repository): sent as GitHub's
   * `x-access-token` Basic credentials through GIT_CONFIG_* (never on the command line, never stored in
   * the checkout's .git/config).
   */
  token?: string;
}

/** The URL with any user:password removed, for logs. */
export const redactUrl = (url: string) => url.replace(/\/\/[^/@\s]*@/g, "//***@");

export async function cloneInto(workspace: string, repoUrl: string, branch: string | null, opts: CloneOptions): Promise<"cloned" | "kept"> {
  if (existsSync(join(workspace, ".git"))) return "kept";
  if (readdirSync(workspace).length)
    throw new RepoCloneError("could not clone the agent's repository: the workspace is not empty and has no .git");
  const operatorRepo = opts.trusted && /^(https?:\/\/|file:\/\/\/|\/)/i.test(repoUrl);
  const problem = operatorRepo ? null : repoUrlProblem(repoUrl, opts.destinations);
  if (problem) throw new RepoCloneError(`could not clone the agent's repository: repo_url ${problem}`);
  const url = new URL(repoUrl.startsWith("/") ? `file://${repoUrl}` : repoUrl);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = defaultPort(url);
  const pin: string[] = [];
  if (!opts.trusted) {
    try {
      const dest = await opts.destinations.check(host, port);
      // curl's resolve entry: git connects to the checked address, whatever DNS says next.
      if (dest.address !== host)
        pin.push("-c", `http.curloptResolve=${host}:${port}:${dest.family === 6 ? `[${dest.address}]` : dest.address}`);
    } catch (err) {
      if (err instanceof DestinationRefused) throw new RepoCloneError(`could not clone the agent's repository: ${err.message}`);
      throw err;
    }
  }
  const scheme = url.protocol.slice(0, -1);
  const protocols = scheme === "https" ? "https" : `${scheme}:https`;
  const home = mkdtempSync(join(tmpdir(), "lap-git-home-"));
  try {
    const args = [
      "git",
      ...[
        "-c",
        "protocol.allow=never",
        "-c",
        "protocol.https.allow=always",
        ...(scheme !== "https" ? ["-c", `protocol.${scheme}.allow=always`] : []),
      ],
      ...[
        "-c",
        "http.followRedirects=false",
        "-c",
        "credential.helper=",
        "-c",
        "core.askPass=",
        "-c",
        "http.proxy=",
        "-c",
        "transfer.fsckObjects=true",
        "-c",
        "advice.detachedHead=false",
      ],
      ...pin,
      "clone",
      "--depth",
      "1",
      "--no-recurse-submodules",
      "--template=",
      ...(branch ? ["--branch", branch] : []),
      "--",
      url.toString(),
      workspace,
    ];
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      LANG: "C",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_TERMINAL_PROMPT: "0",
      GIT_ALLOW_PROTOCOL: protocols,
      GIT_SSH_COMMAND: "false",
    };
    if (opts.token) {
      Object.assign(env, {
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: "http.extraHeader",
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${opts.token}`).toString("base64")}`,
      });
    }
    if (opts.extraCaFile) {
      const system = SYSTEM_CA_BUNDLES.find((f) => existsSync(f));
      env.GIT_SSL_CAINFO = join(home, "ca-bundle.pem");
      writeFileSync(env.GIT_SSL_CAINFO, `${system ? readFileSync(system, "utf8") : ""}\n${readFileSync(opts.extraCaFile, "utf8")}`);
    }
    const proc = Bun.spawn(args, { stdin: "ignore", stdout: "ignore", stderr: "pipe", env, timeout: opts.timeoutMs ?? 300_000 });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) {
      // git's own error lines only ("fatal: ...", "error: ..."), never what the remote sent ("remote: ...").
      const own = stderr
        .split("\n")
        .filter((l) => /^(fatal|error):/.test(l))
        .join(" ")
        .slice(0, 500);
      opts.logger?.warn(
        { repo: redactUrl(repoUrl), branch, exit_code: code, git: redactUrl(own) },
        "git clone of the agent's repository failed",
      );
      throw new RepoCloneError(
        `could not clone the agent's repository (git exit code ${code}${proc.signalCode ? `, ${proc.signalCode}` : ""}); LAP's log has git's error`,
      );
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  return "cloned";
}
