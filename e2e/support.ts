import { expect, type Page } from "@playwright/test";
import { spawn } from "node:child_process";
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
  // An admin's home is the Overview page.
  await expect(page.getByRole("heading", { name: "Overview", exact: true })).toBeVisible();
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface FakeProcess {
  url: string;
  stop(): void;
}

/**
 * Starts one of test/support's stand-ins for an internet service (an LLM provider) in its own Bun
 * process, and resolves with the URL it prints as JSON (`{"url": …}`) on its first line.
 */
export async function startFakeProcess(script: string, args: string[] = []): Promise<FakeProcess> {
  const child = spawn(join(ROOT, ".tools/node_modules/.bin/bun"), [script, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve(JSON.parse(d.toString().split("\n")[0]!).url));
    child.once("exit", () => reject(new Error(`${script} exited`)));
  });
  return { url, stop: () => void child.kill() };
}
