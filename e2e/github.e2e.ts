/**
 * An agent opens a pull request and the chat shows its link (docs/github.md). This file runs its own LAP,
 * which trusts the fake GitHub's CA (test/support/fake-github-server.ts, standing in for github.com over
 * TLS on 127.0.0.2) and allows loopback destinations as an operator would. The scripted model has the
 * agent commit, `git push` (git's credential request answered with the vault stub) and create the pull
 * request with curl through the egress proxy, which swaps in the token toward GitHub only.
 */
import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { BUN, ownLapAddress, ROOT, startOwnLap, type OwnLap } from "./own-lap";
import { login, MASTER_KEY, shot, startFakeProcess, type FakeProcess } from "./support";

const address = await ownLapAddress("github");
const BASE = address.base;
const TOKEN = "ghp_e2eREALTOKEN_91b3";
let lap: OwnLap | undefined;
let github: ChildProcess | undefined;
let model: FakeProcess | undefined;
let gh = { url: "", repoUrl: "", caFile: "" };

test.use({ baseURL: BASE });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  github = spawn(BUN, ["test/support/fake-github-server.ts", TOKEN], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  gh = await new Promise((resolve, reject) => {
    github!.stdout!.once("data", (d: Buffer) => resolve(JSON.parse(d.toString().split("\n")[0]!)));
    github!.once("exit", () => reject(new Error("fake GitHub exited")));
  });
  const command = [
    "git checkout -q -b lap/docs-typo",
    "echo 'Typo fixed.' >> README.md",
    "git -c user.name=agent -c user.email=agent@example.com commit -qam 'Fix a typo'",
    "git push -q origin lap/docs-typo 2>&1",
    `curl -sS -X POST -H "Authorization: token $GITHUB_TOKEN" -H 'content-type: application/json' ${gh.url}/api/v3/repos/octo/hello/pulls -d '{"title":"Fix a typo","head":"lap/docs-typo","base":"main"}' | grep -o '"html_url":"[^"]*"' | head -1`,
  ].join(" && ");
  model = await startFakeProcess("test/support/scripted-openai-server.ts", [
    JSON.stringify([
      { toolCalls: [{ name: "bash", arguments: { command } }] },
      { text: "I pushed **lap/docs-typo** and opened a pull request." },
    ]),
  ]);
  lap = await startOwnLap(address, {
    WARM_POOL_SIZE: "0",
    EGRESS_UPSTREAM_CA_FILE: gh.caFile,
    LAP_ALLOW_PRIVATE_HOSTS: "127.0.0.0/8",
  });
});
test.afterAll(() => {
  lap?.stop();
  github?.kill();
  model?.stop();
});

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

test("an agent pushes a branch and opens a pull request with a token it never sees; the chat links to it", async ({ page }) => {
  test.setTimeout(120_000);
  expect(
    (
      await api("POST", "/model/new", {
        model_name: "scripted-model",
        litellm_params: { model: "openai/scripted-model", api_base: model!.url, api_key: "sk-scripted" },
      })
    ).status,
  ).toBe(200);
  expect((await api("POST", "/api/vault", { name: "GITHUB_TOKEN", value: TOKEN, hosts: ["127.0.0.2"] })).status).toBe(201);
  const agent = await api("POST", "/api/agents", {
    name: "pr-agent",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    repo_url: gh.repoUrl,
    vault_keys: ["GITHUB_TOKEN"],
  });
  expect(agent.status).toBe(201);
  const session = await api("POST", "/api/sessions", { agent_id: agent.body.id });
  expect(session.status).toBe(201);

  await login(page);
  await page.goto(`/sessions/${session.body.id}`);
  const composer = page.getByPlaceholder(/message/i);
  await expect(composer).toBeEnabled({ timeout: 60_000 });
  await composer.fill("Fix the typo in the README and open a pull request");
  await composer.press("Enter");
  const link = page.getByTestId("pull-request").getByRole("link");
  await expect(link).toBeVisible({ timeout: 60_000 });
  await expect(link).toHaveAttribute("href", `${gh.url}/octo/hello/pull/1`);
  await expect(link).toContainText("octo/hello#1 Fix a typo");
  await expect(page.getByText("opened a pull request")).toBeVisible();
  await shot(page, "chat-pull-request");
  // Nothing the browser was given holds the token.
  expect(JSON.stringify((await api("GET", `/api/sessions/${session.body.id}/events?limit=1000`)).body)).not.toContain(TOKEN);
});
