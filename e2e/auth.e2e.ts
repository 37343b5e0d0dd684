import { expect, test } from "@playwright/test";
import { login, MASTER_KEY, shot, navTo } from "./support";

test("a visitor is sent to the login page, signs in with the master key and sees the System page", async ({ page, context }) => {
  await page.goto("/keys");
  await expect(page).toHaveURL(/\/login\?next=%2Fkeys/);
  await shot(page, "login");
  await page.getByLabel("Master key or admin API key").fill(MASTER_KEY);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "API keys", exact: true })).toBeVisible();
  const cookie = (await context.cookies()).find((c) => c.name === "lap_session");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Strict");
  expect(cookie?.value).not.toContain(MASTER_KEY);
  await navTo(page, /System/);
  await expect(page.getByTestId("health")).toHaveText(/Ready/);
  await expect(page.getByTestId("db-mode")).toHaveText("Embedded PGlite");
  await expect(page.getByRole("cell", { name: "MASTER_KEY", exact: true })).toBeVisible();
  await expect(page.locator("body")).not.toContainText(MASTER_KEY);
  await shot(page, "system");
});

test("a wrong key is refused with a message that says what to use", async ({ page, context }) => {
  await page.goto("/login");
  await page.getByLabel("Master key or admin API key").fill("not-the-key");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("master key");
  await expect(page).toHaveURL(/\/login/);
  expect((await context.cookies()).find((c) => c.name === "lap_session")).toBeUndefined();
  await shot(page, "login-wrong-key");
});

test("logout clears the session: protected pages send you back to login", async ({ page, context }) => {
  await login(page);
  const cookie = (await context.cookies()).find((c) => c.name === "lap_session")!;
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
  expect((await context.cookies()).find((c) => c.name === "lap_session")).toBeUndefined();
  await page.goto("/system");
  await expect(page).toHaveURL(/\/login/);
  const res = await page.request.get("/api/keys");
  expect(res.status()).toBe(401);
  // The session ended on the server too: a copy of the old cookie is refused.
  const copied = await page.request.get("/api/keys", { headers: { cookie: `lap_session=${cookie.value}` } });
  expect(copied.status()).toBe(401);
  await shot(page, "logged-out");
});

test("another site cannot use the dashboard session: a form post or a foreign Origin is refused", async ({ page, context }) => {
  await login(page);
  const cookie = (await context.cookies()).find((c) => c.name === "lap_session")!;
  const headers = { cookie: `lap_session=${cookie.value}`, origin: "https://evil.example" };
  const form = await page.request.post("/api/keys", { headers, form: { label: "csrf", role: "admin" } });
  expect(form.status()).toBe(403);
  const json = await page.request.post("/api/keys", { headers, data: { label: "csrf", role: "admin" } });
  expect(json.status()).toBe(403);
  // The page itself keeps working.
  await page.goto("/keys");
  await expect(page.getByRole("heading", { name: "API keys", exact: true })).toBeVisible();
  await expect(page.getByTestId("key-row").filter({ hasText: "csrf" })).toHaveCount(0);
});
