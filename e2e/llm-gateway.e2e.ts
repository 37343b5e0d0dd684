import { expect, test } from "@playwright/test";
import { type FakeProcess, login, shot, startFakeProcess } from "./support";

const PROVIDER_KEY = "sk-e2e-provider-key";
let provider: FakeProcess;

// A fake OpenAI-compatible provider in its own Bun process (test/support/fake-openai-server.ts).
test.beforeAll(async () => {
  provider = await startFakeProcess("test/support/fake-openai-server.ts", [PROVIDER_KEY]);
});
test.afterAll(() => {
  provider?.stop();
});

test("add a provider, test the model, mint a limited key, use it, and see the call in the logs", async ({ page, request }) => {
  // Many pages in one walk: room for a machine shared with other test runs.
  test.setTimeout(60_000);
  await login(page);
  await page.keyboard.press("g");
  await page.keyboard.press("m");
  await expect(page.getByRole("heading", { name: "Models & providers", exact: true })).toBeVisible();
  await shot(page, "gateway-models-empty");

  // Validation: an empty form names the missing field.
  await page.getByRole("button", { name: "Add model" }).first().click();
  await page.getByRole("dialog").getByRole("button", { name: "Add model" }).click();
  await expect(page.getByRole("dialog")).toContainText("model name");
  // The label carries its field error once the empty form was sent; the name starts with "Model name".
  await page.getByRole("textbox", { name: /^Model name/ }).fill("e2e-gpt");
  await page.getByLabel("Upstream model").fill("gpt-4o-mini");
  await page.getByLabel("API base").fill(provider.url);
  await page.getByLabel("Provider API key").fill(PROVIDER_KEY);
  await page.getByRole("dialog").getByRole("button", { name: "Add model" }).click();
  const row = page.getByTestId("model-row").filter({ hasText: "e2e-gpt" });
  await expect(row).toContainText("stored");
  await expect(page.locator("body")).not.toContainText(PROVIDER_KEY);
  await row.getByRole("button", { name: "Test e2e-gpt" }).click();
  await expect(row.getByTestId("test-result")).toContainText("ok");
  await shot(page, "gateway-models");

  // A key limited to that model with a budget.
  await page.keyboard.press("g");
  await page.keyboard.press("v");
  await expect(page.getByRole("heading", { name: "Gateway keys", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Create key" }).first().click();
  await page.getByLabel("Alias").fill("e2e-agent");
  // Models are ticked from the gateway's own list, not typed.
  await page.getByRole("group", { name: "Models", exact: true }).getByLabel("e2e-gpt").check();
  await page.getByLabel("Max budget (USD)").fill("1");
  await page.getByRole("dialog").getByRole("button", { name: "Create key" }).click();
  const token = (await page.getByTestId("new-gateway-key").textContent())!.trim();
  expect(token).toMatch(/^sk-lap-/);
  await page.getByRole("button", { name: "Done" }).click();

  // The key works for its model and is refused for another.
  const ok = await request.post("/v1/chat/completions", {
    headers: { authorization: `Bearer ${token}` },
    data: { model: "e2e-gpt", messages: [{ role: "user", content: "hello from e2e" }] },
  });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).choices[0].message.content).toBe("Hello! You said: hello from e2e");
  const denied = await request.post("/v1/chat/completions", {
    headers: { authorization: `Bearer ${token}` },
    data: { model: "other", messages: [{ role: "user", content: "x" }] },
  });
  expect(denied.status()).toBe(403);

  await page.getByRole("button", { name: "Refresh" }).click();
  const keyRow = page.getByTestId("gateway-key-row").filter({ hasText: "e2e-agent" });
  await expect(keyRow.getByTestId("spend")).toContainText("of $1");
  await expect(keyRow.getByTestId("spend")).not.toContainText("$0 of");
  await shot(page, "gateway-keys");

  // Raise the budget from the Edit dialog.
  await keyRow.getByRole("button", { name: "Edit e2e-agent" }).click();
  await page.getByLabel("Max budget (USD)").fill("2");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(keyRow.getByTestId("spend")).toContainText("of $2");

  // The call shows up in the live log; its drawer has the timings and the attempt.
  await page.keyboard.press("g");
  await page.keyboard.press("l");
  await expect(page.getByRole("heading", { name: "Gateway logs", exact: true })).toBeVisible();
  // The key's successful call (its refused call to "other" is logged too, with why).
  const keyRows = page.getByTestId("log-row").filter({ hasText: "e2e-agent" });
  const logRow = keyRows.filter({ has: page.getByTestId("log-status").getByText("ok", { exact: true }) }).first();
  await expect(keyRows.filter({ hasText: "not allowed to call model=other" }).getByTestId("log-status")).toContainText("403");
  await expect(logRow).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId("spend-total")).not.toHaveText("$0");
  await logRow.click();
  const drawer = page.getByTestId("log-drawer");
  await expect(drawer).toContainText("e2e-gpt");
  await expect(drawer).toContainText("Time to first token");
  await expect(drawer.getByTestId("attempt")).toHaveCount(1);
  await expect(drawer.getByTestId("bodies-off")).toBeVisible();
  await shot(page, "gateway-logs");
  await page.getByRole("button", { name: "Close details" }).click();
  await expect(drawer).toHaveCount(0);
});
