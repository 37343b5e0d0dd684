import { expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const MASTER_KEY = "e2e-master-key-0123456789";
/** Screenshots are kept (committed examples live in docs/screenshots). */
export const SHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", ".cache", "screenshots");
mkdirSync(SHOTS, { recursive: true });

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export async function login(page: Page, key = MASTER_KEY) {
  await page.goto("/login");
  await page.getByLabel("Master key or admin API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "System", exact: true })).toBeVisible();
}
