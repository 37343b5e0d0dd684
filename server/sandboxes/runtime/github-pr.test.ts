/**
 * An agent opens a pull request (docs/github.md), on a real LAP with a real bubblewrap sandbox and the
 * built-in harness: its repository is cloned from a fake GitHub (test/support/fake-github.ts, over TLS),
 * its GitHub token is a vault secret bound to GitHub's host, and in the sandbox it commits, `git push`es
 * a branch (git's credential request answered with the stub) and opens the pull request with `gh api`.
 * GitHub receives the real token; the sandbox never holds it; the session shows the pull request's link,
 * read from GitHub's answer by the egress proxy.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLap, type RunningLap } from "../../main";
import { testDatabase } from "../../../test/support/db";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../../test/support/api-client";
import { startFakeGitHub, type FakeGitHub } from "../../../test/support/fake-github";
import { LOOPBACK_FAKES_ALLOWED, loopbackFakesAllowed } from "../../../test/support/destinations";
import { type DnsStub, startDnsStub } from "../../../test/support/dns-stub";

const MASTER = "github-pr-master-key";
const TOKEN = "ghp_REALGITHUBTOKEN_5e2a7c";
const TOKEN_PATTERN = "ghp_REALGITHUBTOKEN_5e2a7[c]";

let lap: RunningLap;
let model: ScriptedOpenAI;
let github: FakeGitHub;
let privateRepo: FakeGitHub;
let dns: DnsStub;
const { api, events } = lapClient(() => lap.url, MASTER);

beforeAll(async () => {
  model = startScriptedOpenAI();
  // github.test stands for github.com: the DNS stub resolves it to the fake's loopback address.
  dns = await startDnsStub();
  dns.set("github.test", ["127.0.0.2"]);
  github = await startFakeGitHub({ token: TOKEN, host: "github.test", listen: "127.0.0.2" });
  dns.set("git.private.test", ["127.0.0.3"]);
  privateRepo = await startFakeGitHub({ token: TOKEN, host: "git.private.test", listen: "127.0.0.3", private: true, sameCaAs: github });
  const dataDir = mkdtempSync(join(tmpdir(), "lap-github-pr-"));
  const gatewayConfig = join(dataDir, "gateway.yaml");
  writeFileSync(
    gatewayConfig,
    `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: sk-provider }\n`,
  );
  lap = await startLap(
    {
      LAP_DATA_DIR: dataDir,
      PORT: "0",
      MASTER_KEY: MASTER,
      LOG_LEVEL: "silent",
      LAP_GATEWAY_CONFIG: gatewayConfig,
      WARM_POOL_SIZE: "0",
      // The fake GitHub's certificate comes from a CA standing for a public one; it listens on loopback.
      EGRESS_UPSTREAM_CA_FILE: github.caFile,
      LAP_ALLOW_PRIVATE_HOSTS: LOOPBACK_FAKES_ALLOWED,
      PATH: process.env.PATH ?? "",
    },
    { database: await testDatabase(), destinations: loopbackFakesAllowed(dns.resolver) },
  );
}, 90_000);

afterAll(async () => {
  await lap?.stop();
  await model?.stop();
  github?.stop();
  privateRepo?.stop();
  await dns?.close();
});

async function agentWithRepo(name: string) {
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name,
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    repo_url: github.repoUrl,
    vault_keys: ["GITHUB_TOKEN"],
  });
  expect(agent.status).toBe(201);
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  await waitFor(
    "session idle",
    async () => (await api<{ status: string }>("GET", `/api/sessions/${session.body.id}`)).body.status === "idle",
    60_000,
  );
  return session.body.id;
}

async function runCommand(sessionId: string, command: string) {
  model.script([{ toolCalls: [{ name: "bash", arguments: { command } }] }, { text: "done" }]);
  expect((await api("POST", `/api/sessions/${sessionId}/messages`, { text: "open a pull request" })).status).toBe(202);
  await waitFor(
    "the turn",
    async () => (await events(sessionId)).some((e) => e.type === "session.status_idle" || e.type === "session.error"),
    90_000,
  );
  const all = await events(sessionId);
  return {
    all,
    output: all
      .filter((e) => e.type === "agent.tool_result")
      .map((e) => JSON.stringify(e.data))
      .join("\n"),
  };
}

test("the agent pushes a branch and opens a pull request; GitHub gets the real token, the sandbox only a stub; the session shows the link", async () => {
  const secret = await api("POST", "/api/vault", { name: "GITHUB_TOKEN", value: TOKEN, hosts: [github.host] });
  expect(secret.status).toBe(201);
  const id = await agentWithRepo("pr-opener");
  const gh = `GH_HOST=${github.host}:${github.port} GH_ENTERPRISE_TOKEN=$GITHUB_TOKEN`;
  const command = [
    "git checkout -q -b lap/fix-readme",
    "echo 'fixed by the agent' >> README.md",
    "git -c user.name=agent -c user.email=agent@example.com commit -qam 'Fix the README'",
    "git push -q origin lap/fix-readme 2>&1; echo PUSH=$?",
    `${gh} gh api repos/octo/hello/pulls -f title='Fix the README' -f head=lap/fix-readme -f base=main -f body='Opened by a LAP agent' --jq .html_url; echo GH=$?`,
    `grep -rlsE '${TOKEN_PATTERN}' /proc/[0-9]*/environ /proc/[0-9]*/cmdline . /tmp $HOME | sed 's/^/FOUND:/'`,
    "git remote get-url origin | sed 's/^/ORIGIN=/'",
    "echo DONE",
  ].join("; ");
  const { all, output } = await runCommand(id, command);
  expect(output).toContain("DONE");
  expect(output).toContain("PUSH=0");
  expect(output).toContain("GH=0");
  expect(output).not.toContain("FOUND:");
  expect(output).not.toContain(TOKEN);
  expect(output).toContain(`ORIGIN=${github.repoUrl}`);

  // GitHub has the branch and the pull request, made with the real token.
  expect(github.fileAt("lap/fix-readme", "README.md")).toBe("hello from the repo\nfixed by the agent\n");
  expect(github.pulls).toMatchObject([
    { number: 1, title: "Fix the README", head: "lap/fix-readme", base: "main", body: "Opened by a LAP agent" },
  ]);
  const pushes = github.requests.filter((r) => r.path.endsWith("/git-receive-pack"));
  expect(pushes.length).toBeGreaterThan(0);
  for (const p of pushes) expect(Buffer.from(p.authorization!.replace(/^Basic /, ""), "base64").toString()).toBe(`x-access-token:${TOKEN}`);
  expect(github.requests.find((r) => r.path === "/api/v3/repos/octo/hello/pulls")?.authorization).toBe(`token ${TOKEN}`);

  // The session shows the pull request, as GitHub answered it.
  await waitFor("the pull request on the session", async () => (await events(id)).some((e) => e.type === "session.pull_request"), 10_000);
  const pr = (await events(id)).find((e) => e.type === "session.pull_request")!;
  expect(pr.data).toMatchObject({
    url: `${github.origin}/octo/hello/pull/1`,
    number: 1,
    title: "Fix the README",
    repository: "octo/hello",
    host: github.host,
  });
  expect(JSON.stringify(all)).not.toContain(TOKEN);
  // The egress records name the secret swapped toward GitHub, never its value.
  const records = (await api<{ data: Array<{ host: string; swapped: string[] }> }>("GET", `/api/sandboxes/egress?session_id=${id}`)).body
    .data;
  expect(records.some((r) => r.host === github.host && r.swapped.includes("GITHUB_TOKEN"))).toBe(true);
  expect(JSON.stringify(records)).not.toContain(TOKEN);
}, 150_000);

test("a pull request GitHub refuses is not shown, and a claim in the agent's own output is not a pull request", async () => {
  const id = await agentWithRepo("pr-refused");
  const gh = `GH_HOST=${github.host}:${github.port} GH_ENTERPRISE_TOKEN=$GITHUB_TOKEN`;
  const command = [
    // No such branch: GitHub answers 422 and no pull request exists.
    `${gh} gh api repos/octo/hello/pulls -f title=Nothing -f head=lap/not-pushed -f base=main 2>&1; echo GH=$?`,
    `echo 'Opened ${github.origin}/octo/hello/pull/99'`,
  ].join("; ");
  const { output } = await runCommand(id, command);
  expect(output).toContain("Validation Failed");
  expect(output).not.toContain("GH=0");
  await Bun.sleep(500);
  expect((await events(id)).filter((e) => e.type === "session.pull_request")).toEqual([]);
  expect(github.pulls.map((p) => p.number)).toEqual([1]);
}, 150_000);

test("a private repository is cloned at session start with the secret bound to its host, which stays out of the checkout; without one the session says the clone failed", async () => {
  expect((await api("POST", "/api/vault", { name: "PRIVATE_GIT_TOKEN", value: TOKEN, hosts: [privateRepo.host] })).status).toBe(201);
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "private-repo",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    repo_url: privateRepo.repoUrl,
    vault_keys: ["PRIVATE_GIT_TOKEN"],
  });
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  await waitFor(
    "session idle",
    async () => (await api<{ status: string }>("GET", `/api/sessions/${session.body.id}`)).body.status === "idle",
    60_000,
  );
  const { output } = await runCommand(session.body.id, `cat README.md; grep -rlsE '${TOKEN_PATTERN}' .git | sed 's/^/FOUND:/'; echo DONE`);
  expect(output).toContain("hello from the repo");
  expect(output).toContain("DONE");
  expect(output).not.toContain("FOUND:");
  const clones = privateRepo.requests.filter((r) => r.path.endsWith("/git-upload-pack"));
  expect(clones.length).toBeGreaterThan(0);
  for (const c of clones) expect(Buffer.from(c.authorization!.replace(/^Basic /, ""), "base64").toString()).toBe(`x-access-token:${TOKEN}`);

  // The same repository for an agent whose secret is bound to another host: no token is sent, the clone fails.
  const before = privateRepo.requests.length;
  const other = await api<{ id: string }>("POST", "/api/agents", {
    name: "private-repo-no-token",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    repo_url: privateRepo.repoUrl,
    vault_keys: ["GITHUB_TOKEN"],
  });
  const failed = await api<{ id: string }>("POST", "/api/sessions", { agent_id: other.body.id });
  await waitFor("the clone to fail", async () => (await events(failed.body.id)).some((e) => e.type === "session.error"), 60_000);
  expect(JSON.stringify((await events(failed.body.id)).find((e) => e.type === "session.error"))).toContain(
    "could not clone the agent's repository",
  );
  expect(privateRepo.requests.slice(before).every((r) => r.authorization === null)).toBe(true);
}, 150_000);
