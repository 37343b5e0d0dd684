// Issue 24, item 10: what experienced users notice. The shortcut sheet, the command palette, `c` on
// every list page, a title per page, API keys vs gateway keys, /docs without Scalar's hosted-service
// menus, and the layout slips (the Live checkbox, pills, Sandboxes' sections).
import { expect, test } from "@playwright/test";
import { login, MASTER_KEY, shot } from "./support";

const auth = { authorization: `Bearer ${MASTER_KEY}` };

test("? shows every shortcut; ⌘K / Ctrl+K goes to pages and creates objects; each page has its title", async ({ page }) => {
  await login(page);
  await expect(page).toHaveTitle("Home · LAP");

  await page.keyboard.press("?");
  const sheet = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(sheet).toContainText("Command palette");
  await expect(sheet.getByRole("row").filter({ hasText: "Go to Models & providers" })).toContainText("g m");
  await shot(page, "shortcut-sheet");
  await page.keyboard.press("Escape");
  await expect(sheet).toHaveCount(0);

  // Ctrl+K, a few letters, Enter: a page.
  await page.keyboard.press("Control+k");
  const palette = page.getByRole("dialog", { name: "Command palette" });
  await palette.getByLabel("Command").fill("logs");
  await expect(palette.getByRole("option").first()).toContainText("Logs & spend");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Gateway logs" })).toBeVisible();
  await expect(page).toHaveTitle("Logs & spend · LAP");

  // … or a create form, on its page.
  await page.keyboard.press("Control+k");
  await palette.getByLabel("Command").fill("new agent");
  await shot(page, "command-palette");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/agents$/);
  await expect(page.getByRole("dialog", { name: "New agent" })).toBeVisible();
  await page.keyboard.press("Escape");
  // Arrows move, and a query that matches nothing says so.
  await page.keyboard.press("Control+k");
  await palette.getByLabel("Command").fill("zzzz");
  await expect(palette).toContainText("No command matches");
  await page.keyboard.press("Escape");
  await expect(palette).toHaveCount(0);

  // Titles follow the page, including an object's own name.
  for (const [keys, title] of [
    ["g m", "Models & providers"],
    ["g v", "Gateway keys"],
    ["g s", "System"],
    ["g k", "API keys"],
  ] as const) {
    for (const k of keys.split(" ")) await page.keyboard.press(k);
    await expect(page).toHaveTitle(`${title} · LAP`);
  }
});

test("c opens the create form on every list page, and 'g c' still goes to Slack without creating anything", async ({ page }) => {
  await login(page);
  const pages: Array<[string, string]> = [
    ["/agents", "New agent"],
    ["/gateway/models", "Add model"],
    ["/gateway/keys", "Create gateway key"],
    ["/keys", "Create API key"],
    ["/runtimes", "Add runtime"],
    ["/vault", "Add secret"],
    ["/mcp-servers", "Add MCP server"],
    ["/schedules", "New schedule"],
    ["/triggers", "New webhook trigger"],
  ];
  for (const [path, dialog] of pages) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.keyboard.press("c");
    await expect(page.getByRole("dialog", { name: dialog }), `c on ${path}`).toBeVisible();
    // While the form is open, typing a c is typing, not another form.
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);
  }
  // Sessions: c goes to the first message.
  await page.goto("/sessions");
  await expect(page.getByRole("heading", { name: "Sessions", exact: true })).toBeVisible();
  await page.keyboard.press("c");
  await expect(page.getByLabel("First message")).toBeFocused();
  await page.getByLabel("First message").blur();

  await page.goto("/keys");
  await expect(page.getByRole("heading", { name: "API keys", exact: true })).toBeVisible();
  await page.keyboard.press("g");
  await page.keyboard.press("c");
  await expect(page.getByRole("heading", { name: "Slack", exact: true })).toBeVisible();
  await expect(page.getByRole("dialog")).toHaveCount(0);
});

test("API keys and gateway keys are explained, and a gateway key is listed on its page only", async ({ page, request }) => {
  const gw = await (await request.post("/key/generate", { headers: auth, data: { key_alias: "polish-gateway-key" } })).json();
  const apiKey = await (await request.post("/api/keys", { headers: auth, data: { label: "polish-api-key" } })).json();
  await login(page);
  await page.goto("/keys");
  await expect(page.getByTestId("keys-explained")).toContainText("API keys or gateway keys?");
  await expect(page.getByTestId("key-row").filter({ hasText: "polish-api-key" })).toHaveCount(1);
  await expect(page.getByTestId("key-row").filter({ hasText: "polish-gateway-key" })).toHaveCount(0);
  await expect(page.getByTestId("key-kind").filter({ hasText: /^(gateway|session)$/ })).toHaveCount(0);
  await shot(page, "api-keys-explained");
  await page.getByTestId("keys-explained").getByRole("link", { name: "gateway key" }).click();
  await expect(page.getByTestId("gateway-key-row").filter({ hasText: "polish-gateway-key" })).toHaveCount(1);
  await expect(page.getByTestId("gateway-key-row").filter({ hasText: "polish-api-key" })).toHaveCount(0);
  await expect(page.getByTestId("keys-explained")).toContainText("Keys that manage LAP are under API keys");
  expect(gw.token_id).toBeTruthy();
  expect(apiKey.key.id).toBeTruthy();
});

test("/docs has no hosted-service menus (Open API Client, Deploy)", async ({ page }) => {
  test.setTimeout(90_000);
  await login(page);
  await page.goto("/docs");
  await expect(page.getByRole("heading", { name: "LAP API" }).first()).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: ".cache/screenshots/api-docs.png" });
  // biome-ignore lint/performance/useDomNodeTextContent: the visible text, as a reader sees it
  const text = await page.locator("body").innerText();
  expect(text).not.toContain("Open API Client");
  expect(text).not.toMatch(/Deploy (on Scalar|your documentation)/);
  expect(await page.getByRole("button", { name: "Deploy", exact: true }).count()).toBe(0);
});

test("layout: the Live checkbox is checkbox-sized, pills stay in their cells, Sandboxes' sections have room", async ({ page }) => {
  await login(page);
  await page.keyboard.press("g");
  await page.keyboard.press("l");
  const live = page.getByLabel("Live");
  const box = (await live.boundingBox())!;
  expect(box.height).toBeLessThan(20);
  expect(box.width).toBeLessThan(20);

  await page.keyboard.press("g");
  await page.keyboard.press("x");
  const heading = page.getByRole("heading", { name: "Recent egress" });
  await expect(heading).toBeVisible();
  const margin = await heading.evaluate((el) => parseFloat(getComputedStyle(el).marginTop));
  expect(margin).toBeGreaterThanOrEqual(16);
  // No pill is wider than its table cell.
  const overflowing = await page.evaluate(
    () =>
      [...document.querySelectorAll<HTMLElement>("td .badge, td .chip")].filter(
        (b) => b.getBoundingClientRect().right > b.closest("td")!.getBoundingClientRect().right + 1,
      ).length,
  );
  expect(overflowing).toBe(0);
  await shot(page, "sandboxes-sections");
});
