/**
 * A git server over smart HTTP on loopback, standing for github.com: git's own `git http-backend`
 * (CGI) behind Bun.serve, serving one bare repository with one commit. Other paths answer what a
 * test wants (`routes`: an internal page, a redirect), and every request is recorded.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const BACKEND = "/usr/lib/git-core/git-http-backend";

function git(args: string[], cwd: string) {
  const p = Bun.spawnSync(["git", ...args], {
    cwd,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  });
  if (p.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${p.stderr.toString()}`);
}

export interface GitHttpServer {
  port: number;
  /** Paths requested, in order, with the Host header they came with. */
  requests: Array<{ path: string; host: string | null }>;
  stop(): void;
}

/**
 * Serves `/repo.git` (a file README.md saying "hello from the repo", plus `files`: relative path →
 * content, e.g. a skill folder); `routes` answer other paths first.
 */
export function startGitHttp(
  opts: { hostname?: string; routes?: Record<string, () => Response>; files?: Record<string, string> } = {},
): GitHttpServer {
  const root = mkdtempSync(join(tmpdir(), "lap-git-http-"));
  const work = join(root, "work");
  git(["init", "-q", "-b", "main", work], root);
  writeFileSync(join(work, "README.md"), "hello from the repo\n");
  for (const [path, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  git(["add", "-A"], work);
  git(["commit", "-q", "-m", "first"], work);
  git(["clone", "-q", "--bare", work, join(root, "repo.git")], root);
  const requests: GitHttpServer["requests"] = [];
  const server = Bun.serve({
    hostname: opts.hostname ?? "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      requests.push({ path: url.pathname, host: req.headers.get("host") });
      const route = opts.routes?.[url.pathname];
      if (route) return route();
      const cgi = Bun.spawn([BACKEND], {
        stdin: new Uint8Array(await req.arrayBuffer()),
        stdout: "pipe",
        stderr: "ignore",
        env: {
          GIT_PROJECT_ROOT: root,
          GIT_HTTP_EXPORT_ALL: "1",
          PATH_INFO: url.pathname,
          QUERY_STRING: url.search.slice(1),
          REQUEST_METHOD: req.method,
          CONTENT_TYPE: req.headers.get("content-type") ?? "",
          GIT_PROTOCOL: req.headers.get("git-protocol") ?? "",
          REMOTE_ADDR: "127.0.0.1",
        },
      });
      const out = Buffer.from(await new Response(cgi.stdout).arrayBuffer());
      const split = out.indexOf("\r\n\r\n");
      const headers = new Headers();
      let status = 200;
      for (const line of out.subarray(0, split).toString("latin1").split("\r\n")) {
        const i = line.indexOf(":");
        if (i <= 0) continue;
        const [name, value] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
        else headers.append(name, value);
      }
      return new Response(out.subarray(split + 4), { status, headers });
    },
  });
  return { port: server.port!, requests, stop: () => server.stop(true) };
}
