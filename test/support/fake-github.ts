/**
 * A fake GitHub on loopback, standing for github.com and its REST API (or a GitHub Enterprise host:
 * git at `/{owner}/{repo}.git`, REST under `/api/v3`), over TLS with a certificate from a CA standing
 * for a public one (its PEM in `caFile`, for LAP's EGRESS_UPSTREAM_CA_FILE). What it does as GitHub does:
 * - git smart HTTP by git's own `git http-backend`: anyone may fetch (unless `private`); a push needs
 *   Basic credentials whose password is the token (`x-access-token:<token>`), else 401 with
 *   `WWW-Authenticate: Basic` so git asks its credential helper.
 * - `POST /api/v3/repos/{owner}/{repo}/pulls` with `Authorization: token|Bearer <token>` and
 *   `{title, head, base, body?}`: 401 `Bad credentials` for another token, 422 `Validation Failed`
 *   when `head` is not a branch of the repository, else 201 with the pull request in GitHub's shape.
 * Every request's path and Authorization header is recorded.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EgressCa } from "../../server/sandboxes/egress/ca";

const BACKEND = "/usr/lib/git-core/git-http-backend";
const GIT_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
};

function git(args: string[], cwd: string) {
  const p = Bun.spawnSync(["git", ...args], { cwd, env: { ...GIT_ENV, HOME: cwd } });
  if (p.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${p.stderr.toString()}`);
  return p.stdout.toString().trim();
}

export interface FakePull {
  number: number;
  title: string;
  head: string;
  base: string;
  body: string | null;
  html_url: string;
}

export interface FakeGitHub {
  /** `https://<host>:<port>` as the sandbox reaches it. */
  origin: string;
  host: string;
  port: number;
  /** `<origin>/<owner>/<repo>.git`. */
  repoUrl: string;
  caFile: string;
  requests: Array<{ method: string; path: string; authorization: string | null }>;
  pulls: FakePull[];
  /** A file at a branch of the repository (what was pushed), or null. */
  fileAt(branch: string, path: string): string | null;
  stop(): void;
}

/**
 * Serves `owner/repo` (README.md "hello from the repo" on main) on `listen` (a loopback address), named
 * `host` in its URLs and certificate: a name the test's DNS stub resolves to `listen` (programs in a
 * sandbox send loopback addresses around their proxy, as Go's HTTP client always does).
 */
export async function startFakeGitHub(opts: {
  host?: string;
  listen?: string;
  owner?: string;
  repo?: string;
  token: string;
  private?: boolean;
  sameCaAs?: FakeGitHub;
}): Promise<FakeGitHub> {
  const host = opts.host ?? "127.0.0.2";
  const listen = opts.listen ?? host;
  const owner = opts.owner ?? "octo";
  const repo = opts.repo ?? "hello";
  const root = mkdtempSync(join(tmpdir(), "lap-fake-github-"));
  const work = join(root, "work");
  git(["init", "-q", "-b", "main", work], root);
  writeFileSync(join(work, "README.md"), "hello from the repo\n");
  git(["add", "README.md"], work);
  git(["commit", "-q", "-m", "first"], work);
  const bare = join(root, owner, `${repo}.git`);
  git(["clone", "-q", "--bare", work, bare], root);
  git(["config", "http.receivepack", "true"], bare);

  // One CA for several fakes (`sameCaAs`), so LAP trusts them all through one EGRESS_UPSTREAM_CA_FILE.
  const publicCa = opts.sameCaAs ? cas.get(opts.sameCaAs)! : new EgressCa(mkdtempSync(join(tmpdir(), "lap-github-ca-")));
  await publicCa.init();
  const caFile = opts.sameCaAs?.caFile ?? join(root, "public-ca.pem");
  if (!opts.sameCaAs) writeFileSync(caFile, publicCa.caPem);
  const requests: FakeGitHub["requests"] = [];
  const pulls: FakePull[] = [];
  let origin = "";

  const tokenOf = (auth: string | null) => {
    if (!auth) return null;
    const basic = /^basic\s+(.+)$/i.exec(auth);
    if (basic) return Buffer.from(basic[1]!, "base64").toString("utf8").split(":").slice(1).join(":");
    return /^(?:token|bearer)\s+(.+)$/i.exec(auth)?.[1] ?? null;
  };
  const json = (status: number, body: unknown) => Response.json(body, { status });

  async function gitBackend(req: Request, url: URL) {
    const push = url.pathname.endsWith("/git-receive-pack") || url.searchParams.get("service") === "git-receive-pack";
    // A private repository answers every git request without the token with 401, as GitHub does.
    if ((push || opts.private) && tokenOf(req.headers.get("authorization")) !== opts.token) {
      return new Response("Invalid username or token.\n", { status: 401, headers: { "www-authenticate": 'Basic realm="GitHub"' } });
    }
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
        ...(push ? { REMOTE_USER: "x-access-token" } : {}),
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
  }

  async function createPull(req: Request, o: string, r: string) {
    if (tokenOf(req.headers.get("authorization")) !== opts.token)
      return json(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
    if (o !== owner || r !== repo) return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    const body = (await req.json().catch(() => null)) as { title?: unknown; head?: unknown; base?: unknown; body?: unknown } | null;
    const missing = ["title", "head", "base"].filter((f) => typeof body?.[f as "title"] !== "string" || !(body[f as "title"] as string));
    if (missing.length)
      return json(422, {
        message: "Validation Failed",
        errors: missing.map((field) => ({ resource: "PullRequest", field, code: "missing_field" })),
      });
    const head = String(body!.head).replace(new RegExp(`^${owner}:`), "");
    const exists =
      Bun.spawnSync(["git", "rev-parse", "--verify", "--quiet", `refs/heads/${head}`], { cwd: bare, env: { ...GIT_ENV, HOME: root } })
        .exitCode === 0;
    if (!exists) return json(422, { message: "Validation Failed", errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] });
    const number = pulls.length + 1;
    const pull: FakePull = {
      number,
      title: String(body!.title),
      head,
      base: String(body!.base),
      body: typeof body!.body === "string" ? body!.body : null,
      html_url: `${origin}/${owner}/${repo}/pull/${number}`,
    };
    pulls.push(pull);
    return json(201, {
      id: 1000 + number,
      number,
      state: "open",
      title: pull.title,
      body: pull.body,
      html_url: pull.html_url,
      url: `${origin}/api/v3/repos/${owner}/${repo}/pulls/${number}`,
      diff_url: `${pull.html_url}.diff`,
      head: { ref: head, label: `${owner}:${head}` },
      base: { ref: pull.base, label: `${owner}:${pull.base}` },
      user: { login: "x-access-token", type: "Bot" },
      draft: false,
      merged: false,
      created_at: new Date().toISOString(),
    });
  }

  const server = Bun.serve({
    hostname: listen,
    port: 0,
    tls: await publicCa.leaf(host),
    async fetch(req: Request) {
      const url = new URL(req.url);
      requests.push({ method: req.method, path: url.pathname, authorization: req.headers.get("authorization") });
      const rest = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(url.pathname);
      if (rest && req.method === "POST") return createPull(req, rest[1]!, rest[2]!);
      if (url.pathname.startsWith(`/${owner}/${repo}.git/`)) return gitBackend(req, url);
      return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    },
  } as unknown as Parameters<typeof Bun.serve>[0]);
  origin = `https://${host}:${server.port}`;
  const fake: FakeGitHub = {
    origin,
    host,
    port: server.port!,
    repoUrl: `${origin}/${owner}/${repo}.git`,
    caFile,
    requests,
    pulls,
    fileAt(branch, path) {
      const p = Bun.spawnSync(["git", "show", `${branch}:${path}`], { cwd: bare, env: { ...GIT_ENV, HOME: root } });
      return p.exitCode === 0 ? p.stdout.toString() : null;
    },
    stop: () => server.stop(true),
  };
  cas.set(fake, publicCa);
  return fake;
}

const cas = new WeakMap<FakeGitHub, EgressCa>();
