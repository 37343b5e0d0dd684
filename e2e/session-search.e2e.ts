import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { login, MASTER_KEY, shot, navTo } from "./support";

// Sessions search, rename and cost columns (docs/sessions.md "Search", "Titles", "Cost"). The remote
// runtime is the local stand-in speaking the Managed Agents protocol (test/support/fake-managed-agents-server.ts).
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const auth = { authorization: `Bearer ${MASTER_KEY}` };
const uid = Date.now().toString(36);
// A word no other e2e file writes, so the results hold only this test's session.
const WORD = `quokka${uid}`;
let fake: ChildProcess;
let fakeUrl: string;

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

test("search sessions with /, open a hit from its snippet, rename it inline, see cost columns", async ({ page, request }) => {
  test.setTimeout(60_000);
  const rt = await request.post("/api/runtimes", {
    headers: auth,
    data: { alias: `search-rt-${uid}`, base_url: fakeUrl, api_key: "fake-runtime-key" },
  });
  expect(rt.status()).toBe(201);
  const agent = await request.post("/api/agents", {
    headers: auth,
    data: { name: `searcher-${uid}`, model: "claude-sonnet-4-5", runtime_id: (await rt.json()).id },
  });
  expect(agent.status()).toBe(201);
  const agentId = (await agent.json()).id as string;
  const made = await request.post("/api/sessions", {
    headers: auth,
    data: { agent_id: agentId, prompt: `Where does the ${WORD} live in the wild?` },
  });
  expect(made.status()).toBe(201);
  const id = (await made.json()).id as string;
  await expect
    .poll(async () => (await (await request.get(`/api/sessions/${id}`, { headers: auth })).json()).status, { timeout: 30_000 })
    .toBe("idle");

  await login(page);
  await navTo(page, /Sessions/);
  // Cost columns on the lists.
  const row = page.getByTestId("session-row").filter({ has: page.locator(`a[href="/sessions/${id}"]`) });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("session-cost")).toHaveText("$0");

  // `/` focuses the search box (nothing focused yet: the page itself has the keyboard).
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("/");
  await expect(page.getByTestId("session-search")).toBeFocused();
  await page.keyboard.type(WORD);
  const hits = page.getByTestId("search-hit");
  await expect(hits).toHaveCount(1);
  await expect(hits.first().getByTestId("search-snippet")).toContainText("live in the wild");
  await expect(hits.first().locator("mark").first()).toHaveText(WORD);
  await shot(page, "session-search");

  // A word nobody wrote finds nothing; Escape clears the box and the list is back.
  await page.getByTestId("session-search").fill(`nothing${uid}zz`);
  await expect(page.getByTestId("search-results")).toContainText("No session matches");
  await page.getByTestId("session-search").press("Escape");
  await expect(page.getByTestId("session-row").first()).toBeVisible();

  // Open the hit and rename the session in place.
  await page.getByTestId("session-search").fill(WORD);
  await hits.first().getByRole("link").click();
  await expect(page.getByTestId("msg-assistant").first()).toContainText("You said");
  await page.getByRole("button", { name: "Rename session" }).click();
  const input = page.getByLabel("Session title");
  await input.fill(`Quokka habitats ${uid}`);
  await input.press("Enter");
  await expect(page.getByTestId("session-title")).toContainText(`Quokka habitats ${uid}`);
  // An empty title is refused with the field named, and Escape keeps the old one.
  await page.getByRole("button", { name: "Rename session" }).click();
  await input.fill("   ");
  await input.press("Enter");
  await expect(page.locator(".field-error")).toContainText("title: must not be empty");
  await input.press("Escape");
  await expect(page.getByTestId("session-title")).toContainText(`Quokka habitats ${uid}`);
  expect((await (await request.get(`/api/sessions/${id}`, { headers: auth })).json()).title).toBe(`Quokka habitats ${uid}`);
  await shot(page, "session-rename");

  // The new title is searchable, and the agents list has its cost column.
  await navTo(page, /Sessions/);
  await page.getByTestId("session-search").fill("habitats");
  await expect(page.getByTestId("search-hit").filter({ hasText: `Quokka habitats ${uid}` })).toHaveCount(1);
  await page
    .getByRole("link", { name: /Agents/ })
    .first()
    .click();
  const agentRow = page.getByTestId("agent-row").filter({ hasText: `searcher-${uid}` });
  await expect(agentRow.getByTestId("agent-cost")).toHaveText("$0");
});
