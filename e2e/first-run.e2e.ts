// Issue 24, item 6: a newcomer's first run, on an empty LAP of its own (other test files share the
// default LAP and fill it, so this one starts its own `lap up` on a fresh data directory). Only the
// dashboard is used: the get-started checklist leads from login to a model, an agent, a session and
// an answer. The LLM provider is the scripted stand-in (test/support/scripted-openai.ts).
import { expect, test } from "@playwright/test";
import { ownLapAddress, startOwnLap, type OwnLap } from "./own-lap";
import { type FakeProcess, MASTER_KEY, shot, startFakeProcess } from "./support";

const address = await ownLapAddress("first-run");
const BASE = address.base;
let lap: OwnLap | undefined;
let provider: FakeProcess | undefined;

test.use({ baseURL: BASE });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  // The model's Test takes the first step; the session's first turn the second.
  provider = await startFakeProcess("test/support/scripted-openai-server.ts", [
    JSON.stringify([{ text: "ok" }, { text: "Hello! I am your first agent." }]),
  ]);
  lap = await startOwnLap(address);
});

test.afterAll(() => {
  lap?.stop();
  provider?.stop();
});

const step = (page: import("@playwright/test").Page, name: "model" | "agent" | "session") => page.getByTestId(`step-${name}`);

test("a newcomer walks the get-started checklist: model → test → agent with that model → session → answer", async ({ page }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));

  await page.goto("/login");
  await page.getByLabel("Master key or admin API key").fill(MASTER_KEY);
  await page.getByRole("button", { name: "Sign in" }).click();

  // Sign-in lands on the checklist, not on the environment variables; nothing is ticked on an empty LAP.
  const checklist = page.getByTestId("get-started");
  await expect(page).toHaveURL(`${BASE}/`);
  await expect(checklist.getByRole("heading", { name: "Get started" })).toBeVisible();
  await expect(page.getByTestId("get-started-progress")).toHaveText("0 of 3 done");
  for (const s of ["model", "agent", "session"] as const) await expect(step(page, s)).toHaveAttribute("data-done", "false");
  await shot(page, "first-run-1-empty");

  // Step 1: add a model from the checklist; the form opens at once.
  await step(page, "model").getByRole("link", { name: "Add a model" }).click();
  const modelForm = page.getByRole("dialog");
  await modelForm.getByLabel("Model name").fill("first-model");
  await modelForm.getByLabel("Upstream model").fill("scripted-llm");
  await modelForm.getByLabel("API base").fill(provider!.url);
  await modelForm.getByLabel("Provider API key").fill("sk-scripted-provider");
  await modelForm.getByRole("button", { name: "Add model" }).click();
  await expect(page.getByTestId("model-row").filter({ hasText: "first-model" })).toHaveCount(1);

  // Added but not tested: the checklist says so and points at the Test button.
  await page.getByRole("link", { name: "Home", exact: true }).click();
  await expect(step(page, "model")).toHaveAttribute("data-done", "false");
  await expect(step(page, "model")).toContainText("first-model is not tested yet");
  await step(page, "model").getByRole("link", { name: "Test first-model" }).click();
  const row = page.getByTestId("model-row").filter({ hasText: "first-model" });
  await row.getByRole("button", { name: "Test first-model" }).click();
  await expect(row.getByTestId("test-result")).toContainText("ok");

  // Tested: step 1 is ticked and offers the next step with this model.
  await page.getByRole("link", { name: "Home", exact: true }).click();
  await expect(step(page, "model")).toHaveAttribute("data-done", "true");
  await expect(page.getByTestId("get-started-progress")).toHaveText("1 of 3 done");
  await shot(page, "first-run-2-model-tested");
  await step(page, "model").getByRole("link", { name: "Create an agent with this model" }).click();
  const agentForm = page.getByRole("dialog");
  await expect(agentForm.locator('select[name="model"]')).toHaveValue("first-model");
  await agentForm.locator('input[name="name"]').fill("first-agent");
  await agentForm.locator('textarea[name="system_prompt"]').fill("Be brief.");
  await agentForm.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByTestId("agent-row").filter({ hasText: "first-agent" })).toContainText("first-model");

  // Step 2 ticked; its next step opens the agent's page, whose start box is there as promised.
  await page.getByRole("link", { name: "Home", exact: true }).click();
  await expect(step(page, "agent")).toHaveAttribute("data-done", "true");
  await expect(step(page, "session")).toHaveAttribute("data-done", "false");
  await step(page, "agent").getByRole("link", { name: "Start a session with first-agent" }).click();
  await expect(page.getByRole("heading", { name: "first-agent" })).toBeVisible();
  const launcher = page.getByTestId("session-launcher");
  await expect(page.getByText("No sessions yet")).toBeVisible();
  await shot(page, "first-run-3-agent-start-box");
  await launcher.getByLabel("First message").fill("Say hello");
  await launcher.getByRole("button", { name: "Start session" }).click();
  await expect(page.getByTestId("msg-assistant").last()).toContainText("Hello! I am your first agent.", { timeout: 60_000 });

  // Step 3 ticked from the stored answer: all done.
  await page.getByRole("link", { name: "Home", exact: true }).click();
  await expect(step(page, "session")).toHaveAttribute("data-done", "true");
  await expect(page.getByTestId("get-started-progress")).toHaveText("3 of 3 done");
  await expect(checklist).toContainText("Done: this LAP has a tested model, an agent, and a session that got an answer.");
  await shot(page, "first-run-4-done");
  expect(errors).toEqual([]);
});
