import { expect, test } from "@playwright/test";
import { login, shot } from "./support";

test("see which coding-agent harnesses this LAP can run and that their CLIs are installed", async ({ page, request }) => {
  // The list is behind the login like every API route.
  expect((await request.get("/api/harnesses")).status()).toBe(401);

  await login(page);
  await page.keyboard.press("g");
  await page.keyboard.press("h");
  await expect(page.getByRole("heading", { name: "Harnesses", exact: true })).toBeVisible();
  await expect(page.getByTestId("harness-row")).toHaveCount(6);

  for (const [id, label, pkg] of [
    ["opencode", "opencode", "opencode-ai@"],
    ["claude-code", "Claude Code", "@anthropic-ai/claude-code@"],
    ["codex", "Codex", "@openai/codex@"],
    // A library LAP's Bun runs (no CLI binary): installed means the package resolves.
    ["deepagents", "DeepAgents", "deepagents@"],
  ] as const) {
    const row = page.locator(`[data-testid="harness-row"][data-harness="${id}"]`);
    await expect(row).toContainText(label);
    await expect(row).toContainText(pkg);
    await expect(row).toContainText("Installed");
    await expect(row).toContainText("LAP's gateway");
  }
  // OpenClaw has an install of its own (node scripts/bootstrap.mjs openclaw): installed, or missing with why.
  const openclaw = page.locator('[data-testid="harness-row"][data-harness="openclaw"]');
  await expect(openclaw).toContainText("OpenClaw");
  await expect(openclaw).toContainText("LAP's gateway");
  await expect(openclaw).toContainText(/Installed|bootstrap\.mjs openclaw/);
  await expect(page.locator('[data-harness="builtin"]')).toContainText("built in");
  await shot(page, "harnesses");
});
