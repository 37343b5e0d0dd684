import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MASTER_KEY, shot, navTo } from "./support";

/**
 * Two teams share one LAP (issue 21): each person signs in with their own password, sees only their
 * team's agents and sessions, cannot open the other team's session by its URL, and sees their team's
 * members. Set up through the API as an admin would; used through the dashboard as the people would.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PASSWORD = "correct horse battery staple";
let fake: ChildProcess;
let fakeUrl = "";

test.beforeAll(async () => {
  fake = spawn(join(ROOT, ".tools/node_modules/.bin/bun"), ["test/support/fake-managed-agents-server.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  fakeUrl = await new Promise<string>((resolve, reject) => {
    fake.stdout!.on("data", (d: Buffer) => {
      const m = /FAKE_RUNTIME_URL=(\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    fake.on("exit", () => reject(new Error("fake runtime exited")));
  });
});
test.afterAll(() => {
  fake?.kill();
});

async function admin(request: APIRequestContext, method: "POST" | "GET", path: string, data?: unknown) {
  const res = await request.fetch(path, { method, headers: { authorization: `Bearer ${MASTER_KEY}` }, data });
  expect(res.ok(), `${method} ${path}: ${await res.text()}`).toBe(true);
  return res.json();
}

async function signIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByRole("button", { name: "Use email and password instead" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Sessions", exact: true })).toBeVisible();
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

test("two people in two teams never see each other's sessions", async ({ page, request }) => {
  test.setTimeout(120_000);
  const runtime = await admin(request, "POST", "/api/runtimes", { alias: "teams-remote", base_url: fakeUrl, api_key: "fake-runtime-key" });
  const red = await admin(request, "POST", "/api/teams", { alias: "Red team" });
  const blue = await admin(request, "POST", "/api/teams", { alias: "Blue team" });
  for (const [email, team] of [
    ["rita@red.example", red.id],
    ["bruno@blue.example", blue.id],
  ] as const) {
    const user = await admin(request, "POST", "/api/users", { email, password: PASSWORD });
    await admin(request, "POST", `/api/teams/${team}/members`, { user_id: user.user.id, role: "member" });
  }
  await admin(request, "POST", "/api/agents", { name: "red-helper", model: "claude-sonnet-4-5", runtime_id: runtime.id, team_id: red.id });
  await admin(request, "POST", "/api/agents", {
    name: "blue-helper",
    model: "claude-sonnet-4-5",
    runtime_id: runtime.id,
    team_id: blue.id,
  });

  // Rita (Red) starts a session with her team's agent: the only agent she is offered.
  await signIn(page, "rita@red.example");
  await expect(page.getByLabel("Agent").locator("option")).toHaveText(["red-helper"]);
  await page.getByLabel("First message").fill("red secret plans");
  await page.getByRole("button", { name: "Start session" }).click();
  await expect(page.getByTestId("msg-assistant").first()).toContainText("You said: red secret plans");
  const redSessionUrl = page.url();
  await navTo(page, /Sessions/);
  await expect(page.getByTestId("session-row")).toHaveCount(1);
  await expect(page.getByTestId("session-row")).toContainText("red-helper");
  // Admin pages are not in a member's navigation.
  await expect(page.getByRole("link", { name: /Vault/ })).toHaveCount(0);
  await shot(page, "teams-red-sessions");
  await signOut(page);

  // Bruno (Blue) sees none of it: not in the list, not by its URL.
  await signIn(page, "bruno@blue.example");
  await expect(page.getByLabel("Agent").locator("option")).toHaveText(["blue-helper"]);
  await page.getByLabel("First message").fill("blue notes");
  await page.getByRole("button", { name: "Start session" }).click();
  await expect(page.getByTestId("msg-assistant").first()).toContainText("You said: blue notes");
  await navTo(page, /Sessions/);
  await expect(page.getByTestId("session-row")).toHaveCount(1);
  await expect(page.getByTestId("session-row")).toContainText("blue-helper");
  await expect(page.getByText("red-helper")).toHaveCount(0);
  await shot(page, "teams-blue-sessions");
  await page.goto(redSessionUrl);
  await expect(page.getByText("Session not found")).toBeVisible();
  await expect(page.getByText("red secret plans")).toHaveCount(0);
  await shot(page, "teams-blue-cannot-open-red");

  // His team's members, his role, the team switcher.
  await navTo(page, /Members/);
  await expect(page.getByRole("heading", { name: "Members of Blue team" })).toBeVisible();
  await expect(page.getByTestId("member-row")).toHaveCount(1);
  await expect(page.getByTestId("my-role")).toHaveText("member");
  await expect(page.getByTestId("team-switcher").locator("option")).toHaveText(["All my teams", "Blue team (member)"]);
  await shot(page, "teams-members");
  await signOut(page);

  // Rita's list is still only hers, with Bruno's session now in LAP too.
  await signIn(page, "rita@red.example");
  await expect(page.getByTestId("session-row")).toHaveCount(1);
  await expect(page.getByText("blue-helper")).toHaveCount(0);
});

test("a team admin registers a vault secret for the team; another team's member does not see it", async ({ page, request }) => {
  test.setTimeout(120_000);
  const name = `GREEN_TOKEN_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
  const green = await admin(request, "POST", "/api/teams", { alias: "Green team" });
  const violet = await admin(request, "POST", "/api/teams", { alias: "Violet team" });
  for (const [email, team, role] of [
    ["gwen@green.example", green.id, "admin"],
    ["victor@violet.example", violet.id, "member"],
  ] as const) {
    const user = await admin(request, "POST", "/api/users", { email, password: PASSWORD });
    await admin(request, "POST", `/api/teams/${team}/members`, { user_id: user.user.id, role });
  }

  // Gwen, Green's admin, has the Vault page; a new secret goes to her team.
  await signIn(page, "gwen@green.example");
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Vault/ })
    .click();
  await expect(page.getByRole("heading", { name: "Vault", exact: true })).toBeVisible();
  await page
    .getByRole("button", { name: /^Add (your first )?secret/ })
    .first()
    .click();
  await expect(page.getByTestId("vault-goes-to")).toContainText("team Green team");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Value").fill("green-team-value-4242");
  await page.getByLabel("Bound hosts").fill("api.github.com");
  await page.getByRole("dialog").getByRole("button", { name: "Add secret" }).click();
  const row = page.getByTestId("vault-row").filter({ hasText: name });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("vault-team")).toHaveText("Green team");
  await expect(row.getByRole("button", { name: `Edit ${name}` })).toBeVisible();
  await expect(page.getByText("green-team-value-4242")).toHaveCount(0);
  await shot(page, "teams-vault-team-admin");
  await signOut(page);

  // Victor (Violet) does not see it, even on the page's own address.
  await signIn(page, "victor@violet.example");
  await expect(page.getByRole("navigation").getByRole("link", { name: /^Vault/ })).toHaveCount(0);
  await page.goto("/vault");
  await expect(page.getByRole("heading", { name: "Vault", exact: true })).toBeVisible();
  await expect(page.getByText(name)).toHaveCount(0);
  await expect(page.getByTestId("vault-add-hint")).toContainText("A team's admins and owners add secrets");
  await shot(page, "teams-vault-other-team");

  // Leave the shared LAP as found: other files list the vault.
  const secrets = (await admin(request, "GET", "/api/vault")).data as Array<{ id: string; name: string; team_id: string | null }>;
  const mine = secrets.find((s) => s.name === name)!;
  expect(mine.team_id).toBe(green.id);
  expect((await request.delete(`/api/vault/${mine.id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).ok()).toBe(true);
});
