import { expect, test } from "@playwright/test";
import { remoteAgent } from "./automation-fixtures";
import { login, shot } from "./support";

let stopFake = () => {};
test.afterAll(() => stopFake());

test("create a schedule with the cron helper, run it now, follow the run to its session, pause and delete it", async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  const fixture = await remoteAgent(request, "scheduled-reporter");
  stopFake = fixture.stop;
  await login(page);
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Schedules/ })
    .click();
  await expect(page.getByRole("heading", { name: "Schedules", exact: true })).toBeVisible();
  await expect(page.getByText("No schedules yet")).toBeVisible();

  // The form: a bad expression is named in the preview and refused on submit; a preset fixes it.
  await page.getByRole("button", { name: "Create your first schedule" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("daily digest");
  await dialog.locator('select[name="agent_id"]').selectOption({ label: "scheduled-reporter" });
  await dialog.getByLabel("Prompt").fill("Write the daily digest");
  await dialog.getByLabel("Cron expression").fill("61 9 * * *");
  await expect(page.getByTestId("cron-preview-error")).toContainText("cron: Invalid value for minute: 61");
  await dialog.getByRole("button", { name: "Create schedule" }).click();
  await expect(dialog.locator(".field-error").first()).toContainText("minute");
  await expect(page.getByTestId("schedule-row")).toHaveCount(0);

  await dialog.getByRole("button", { name: "Weekdays at 09:00" }).click();
  await expect(dialog.getByLabel("Cron expression")).toHaveValue("0 9 * * MON-FRI");
  await dialog.getByLabel("Time zone").fill("Europe/Berlin");
  const preview = page.getByTestId("cron-preview").locator("li");
  await expect(preview).toHaveCount(5);
  for (const item of await preview.allTextContents()) expect(item).toMatch(/^(Mon|Tue|Wed|Thu|Fri).*09:00/);
  await dialog.getByLabel("If the previous run is still going").selectOption("queue");
  await shot(page, "schedule-form");
  await dialog.getByRole("button", { name: "Create schedule" }).click();

  const row = page.getByTestId("schedule-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("daily digest");
  await expect(row).toContainText("0 9 * * MON-FRI");
  await expect(row).toContainText("Europe/Berlin");
  await expect(row).toContainText("never");

  // Run now, then follow it on the detail page: queued, then completed, linked to its session.
  await page.getByRole("button", { name: "Run daily digest now" }).click();
  await expect(page.getByText("Started daily digest")).toBeVisible();
  await row.getByRole("link", { name: "daily digest" }).click();
  await expect(page.getByRole("heading", { name: "daily digest" })).toBeVisible();
  await expect(page.getByTestId("next-runs").locator("li")).toHaveCount(5);
  const run = page.getByTestId("run-row");
  await expect(run).toHaveCount(1);
  await expect(run).toContainText("manual");
  await expect(run.locator(".badge")).toHaveText("completed", { timeout: 30_000 });
  await expect(run).toContainText("$0.00");
  await shot(page, "schedule-runs");
  await run.getByRole("link").click();
  await expect(page.getByTestId("msg-user").first()).toContainText("Write the daily digest");
  await expect(page.getByTestId("msg-assistant").first()).toContainText("You said: Write the daily digest");

  // Pause and resume from the list; delete asks first.
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Schedules/ })
    .click();
  await expect(row.locator(".badge").last()).toHaveText("active");
  await expect(row.locator(".badge").first()).toHaveText("completed");
  await page.getByRole("button", { name: "Pause daily digest" }).click();
  await expect(row).toContainText("paused");
  await shot(page, "schedules");
  await page.getByRole("button", { name: "Resume daily digest" }).click();
  await expect(row.locator(".badge").last()).toHaveText("active");
  await page.getByRole("button", { name: "Delete daily digest" }).click();
  await expect(page.getByRole("dialog", { name: "Delete daily digest?" })).toBeVisible();
  await page.getByRole("button", { name: "Delete schedule" }).click();
  await expect(page.getByText("No schedules yet")).toBeVisible();
});
