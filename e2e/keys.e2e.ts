import { expect, test } from "@playwright/test";
import { login, shot } from "./support";

test("create a key, see it once, use it, revoke it", async ({ page, request }) => {
  await login(page);
  await page.keyboard.press("g");
  await page.keyboard.press("k");
  await expect(page.getByRole("heading", { name: "API keys", exact: true })).toBeVisible();
  await shot(page, "keys-empty");

  // Validation: an empty label is refused and the field says why.
  await page.getByRole("button", { name: /Create key/ }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("dialog")).toContainText("label");
  await page.getByLabel("Label").fill("ci-runner");
  await page.getByLabel("Role").selectOption("admin");
  await page.getByRole("dialog").getByRole("button", { name: "Create key" }).click();

  const token = (await page.getByTestId("new-key").textContent())!.trim();
  expect(token).toMatch(/^sk-lap-/);
  await shot(page, "keys-reveal");
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("key-row")).toHaveCount(1);
  await expect(page.getByTestId("key-row")).toContainText("ci-runner");
  await expect(page.locator("body")).not.toContainText(token);

  // The new key works against the API…
  const ok = await request.get("/api/keys", { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);

  await page.getByRole("button", { name: "Revoke ci-runner" }).click();
  await page.getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByTestId("key-row")).toContainText("revoked");
  await shot(page, "keys-revoked");

  // …and stops working once revoked.
  const refused = await request.get("/api/keys", { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
});
