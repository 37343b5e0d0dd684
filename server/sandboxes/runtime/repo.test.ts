/**
 * repo_url is cloned on the host, so it is checked like any user-supplied destination
 * (docs/security.md, "User-supplied URLs and hosts"): https only (http to a host the operator
 * names), public addresses after resolution with git pinned to the checked one, no host config or
 * credentials, no redirects, and nothing the remote answered in the error the session shows.
 * A real git (smart HTTP through `git http-backend`) on loopback stands for github.com.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DnsStub, startDnsStub } from "../../../test/support/dns-stub";
import { type GitHttpServer, startGitHttp } from "../../../test/support/git-http";
import { AllowList } from "../../net/allow-list";
import { DestinationGuard } from "../../net/destinations";
import { cloneInto, RepoCloneError } from "./repo";

let dns: DnsStub;
let git: GitHttpServer;
// Stands for LAP itself or an internal service: its page must never reach a session.
let internal: ReturnType<typeof Bun.serve>;
const internalHits: string[] = [];
const logged: Array<Record<string, unknown>> = [];
const logger = { warn: (obj: Record<string, unknown>) => logged.push(obj) } as never;

beforeAll(async () => {
  dns = await startDnsStub();
  internal = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => (internalHits.push(new URL(req.url).pathname), new Response("INTERNAL-ADMIN-PAGE secret=hunter2", { status: 500 })),
  });
  git = startGitHttp({
    routes: {
      "/moved.git/info/refs": () =>
        new Response(null, {
          status: 302,
          headers: { location: `http://127.0.0.1:${internal.port}/repo.git/info/refs?service=git-upload-pack` },
        }),
      "/internal.git/info/refs": () => new Response("remote: INTERNAL-ADMIN-PAGE secret=hunter2\n", { status: 500 }),
    },
  });
  dns.set("git.test", ["127.0.0.1"]);
  dns.set("evil.test", ["127.0.0.1"]);
  dns.set("metadata.test", ["169.254.169.254"]);
});
afterAll(async () => {
  git?.stop();
  internal?.stop(true);
  await dns?.close();
});

const workspace = () => mkdtempSync(join(tmpdir(), "lap-clone-ws-"));
const noExceptions = () => new DestinationGuard({ resolve: dns.resolver });
/** The operator allows git.test (by name: http and its private address). */
const allowingGitTest = () => new DestinationGuard({ allow: AllowList.parse("git.test"), resolve: dns.resolver });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => "cloned",
    (e) => (e instanceof RepoCloneError ? e.message : `unexpected ${e}`),
  );

describe("repo_url", () => {
  test("file, ssh, scp-style, paths and plain http are refused before git runs", async () => {
    for (const url of [
      "file:///etc",
      "/etc",
      "ssh://git@github.com/acme/app.git",
      "git@github.com:acme/app.git",
      "git://github.com/acme/app.git",
      `http://git.test:${git.port}/repo.git`,
    ]) {
      const ws = workspace();
      expect([url, await failure(cloneInto(ws, url, null, { destinations: noExceptions() }))]).toEqual([
        url,
        expect.stringMatching(/repo_url must be (an https URL|a URL)/),
      ]);
      expect(existsSync(join(ws, ".git"))).toBe(false);
    }
  });

  test("PREINSTALLED_GITHUB_REPO is the operator's: a local repository path is cloned for it, never for repo_url", async () => {
    const src = mkdtempSync(join(tmpdir(), "lap-operator-repo-"));
    for (const args of [
      ["init", "-q", "-b", "main"],
      ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "init"],
    ])
      Bun.spawnSync(["git", ...args], { cwd: src });
    expect(await failure(cloneInto(workspace(), src, null, { destinations: noExceptions() }))).toContain("repo_url must be");
    const ws = workspace();
    expect(await cloneInto(ws, src, null, { destinations: noExceptions(), trusted: true })).toBe("cloned");
    expect(existsSync(join(ws, ".git"))).toBe(true);
  });

  test("loopback, private and metadata hosts are refused in any spelling and through DNS; nothing is fetched", async () => {
    internalHits.length = 0;
    for (const url of [
      `https://127.0.0.1:${internal.port}/x.git`,
      `https://127.1:${internal.port}/x.git`,
      `https://0x7f000001:${internal.port}/x.git`,
      `https://[::ffff:127.0.0.1]:${internal.port}/x.git`,
      `https://0.0.0.0:${internal.port}/x.git`,
      `https://localhost:${internal.port}/x.git`,
      `https://evil.test:${internal.port}/x.git`,
      "https://metadata.test/x.git",
    ]) {
      const message = await failure(cloneInto(workspace(), url, null, { destinations: noExceptions() }));
      expect([url, message]).toEqual([url, expect.stringMatching(/non-public address|names this machine/)]);
    }
    expect(internalHits).toEqual([]);
  });

  test("an allowed host is cloned through the checked address (git itself cannot resolve git.test), with no host git config", async () => {
    // A global git config on LAP's host that would send the clone elsewhere: the clone must not read it.
    const hostConfig = join(mkdtempSync(join(tmpdir(), "lap-host-gitconfig-")), "gitconfig");
    writeFileSync(hostConfig, `[url "http://127.0.0.1:${internal.port}/"]\n\tinsteadOf = http://git.test:${git.port}/\n`);
    const saved = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = hostConfig;
    internalHits.length = 0;
    try {
      const ws = workspace();
      expect(await cloneInto(ws, `http://git.test:${git.port}/repo.git`, null, { destinations: allowingGitTest() })).toBe("cloned");
      expect(readFileSync(join(ws, "README.md"), "utf8")).toBe("hello from the repo\n");
      expect(git.requests.at(-1)!.host).toBe(`git.test:${git.port}`);
      expect(await cloneInto(ws, `http://git.test:${git.port}/repo.git`, null, { destinations: allowingGitTest() })).toBe("kept");
    } finally {
      if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = saved;
    }
    expect(internalHits).toEqual([]);
  }, 30_000);

  test("a redirect is not followed; the remote's answer never reaches the session's error, only git's own line reaches the log", async () => {
    internalHits.length = 0;
    logged.length = 0;
    const moved = await failure(
      cloneInto(workspace(), `http://git.test:${git.port}/moved.git`, null, { destinations: allowingGitTest(), logger }),
    );
    expect(moved).toMatch(/^could not clone the agent's repository \(git exit code \d+\); LAP's log has git's error$/);
    expect(internalHits).toEqual([]);
    const page = await failure(
      cloneInto(workspace(), `http://user:tok3n@git.test:${git.port}/internal.git`, null, { destinations: allowingGitTest(), logger }),
    );
    expect(page).not.toContain("INTERNAL-ADMIN-PAGE");
    expect(page).not.toContain("hunter2");
    expect(JSON.stringify(logged)).not.toMatch(/INTERNAL-ADMIN-PAGE|hunter2|tok3n/);
    expect(logged.at(-1)).toMatchObject({ repo: `http://***@git.test:${git.port}/internal.git` });
  }, 30_000);
});
