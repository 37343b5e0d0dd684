// Issue 24, item 8: Usage like LiteLLM's usage view. Full-width charts with axes over a date range,
// requests, tokens, cost and errors by model, key and agent, and a CSV export. The LLM provider is the
// scripted stand-in (test/support/scripted-openai.ts); other e2e files share this LAP, so the test
// finds its own model's rows.
import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { type FakeProcess, login, MASTER_KEY, shot, startFakeProcess } from "./support";

const auth = { authorization: `Bearer ${MASTER_KEY}` };
let provider: FakeProcess;
test.beforeAll(async () => {
  provider = await startFakeProcess("test/support/scripted-openai-server.ts", [
    JSON.stringify([{ text: "one" }, { text: "two" }, { text: "three" }]),
  ]);
});
test.afterAll(() => provider?.stop());

test("Usage: totals, charts with axes, breakdowns by model, key and agent, a date range, and a CSV export", async ({ page, request }) => {
  test.setTimeout(90_000);
  expect(
    (
      await request.post("/model/new", {
        headers: auth,
        data: {
          model_name: "usage-e2e-model",
          litellm_params: {
            model: "openai/usage-llm",
            api_base: provider.url,
            api_key: "sk-scripted",
            input_cost_per_token: 1e-6,
            output_cost_per_token: 2e-6,
          },
        },
      })
    ).status(),
  ).toBe(200);
  const key = await (await request.post("/key/generate", { headers: { ...auth }, data: { key_alias: "usage-e2e-key" } })).json();
  for (const text of ["a", "b", "c"]) {
    const res = await request.post("/v1/chat/completions", {
      headers: { authorization: `Bearer ${key.key}` },
      data: { model: "usage-e2e-model", messages: [{ role: "user", content: text }] },
    });
    expect(res.status()).toBe(200);
  }
  expect(
    (
      await request.post("/v1/chat/completions", {
        headers: { authorization: `Bearer ${key.key}` },
        data: { model: "usage-e2e-missing", messages: [{ role: "user", content: "x" }] },
      })
    ).status(),
  ).toBe(400);

  await login(page);
  await page.keyboard.press("g");
  await page.keyboard.press("b");
  await expect(page.getByRole("heading", { name: "Usage", exact: true })).toBeVisible();
  await expect(page).toHaveTitle("Usage · LAP");
  await expect(page.getByTestId("usage-range")).toContainText("30 days");

  // Spend rows reach the database within a flush interval: the page shows them once they are there.
  const model = page.getByTestId("usage-group").filter({ hasText: "usage-e2e-model" });
  await expect(async () => {
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(model).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(model.locator("td").nth(1)).toHaveText("3");
  await expect(model.locator("td").nth(2)).toHaveText("0");
  await expect(model.locator("td").nth(4)).toHaveText(/^\$0\.0000\d+$/);
  const refused = page.getByTestId("usage-group").filter({ hasText: "usage-e2e-missing" });
  await expect(refused.locator("td").nth(1)).toHaveText("1");
  await expect(refused.locator("td").nth(2)).toHaveText("1");
  expect(Number((await page.getByTestId("usage-requests").textContent())!.replaceAll(",", ""))).toBeGreaterThanOrEqual(4);
  expect(Number((await page.getByTestId("usage-errors").textContent())!.replaceAll(",", ""))).toBeGreaterThanOrEqual(1);

  // Three full-width charts, each a uPlot canvas with its axes and a legend naming the series.
  for (const id of ["chart-requests", "chart-tokens", "chart-cost"]) {
    const chart = page.getByTestId(id);
    await expect(chart.locator("canvas")).toHaveCount(1);
    await expect(chart.locator(".u-axis")).toHaveCount(2);
    const width = (await chart.boundingBox())!.width;
    const main = (await page.locator("main").boundingBox())!.width;
    expect(width).toBeGreaterThan(main * 0.8);
  }
  await expect(page.getByTestId("chart-requests").locator(".u-legend")).toContainText("errors");
  await shot(page, "usage");

  // By key and by agent.
  await page.getByRole("tab", { name: "By key" }).click();
  await expect(page.getByTestId("usage-group").filter({ hasText: "usage-e2e-key" }).locator("td").nth(1)).toHaveText("4");
  await page.getByRole("tab", { name: "By agent" }).click();
  await expect(page.getByTestId("usage-group").filter({ hasText: "no agent (direct calls)" })).toHaveCount(1);

  // CSV: one line per day, model, key and agent.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("usage-csv").click()]);
  expect(download.suggestedFilename()).toMatch(/^lap-usage-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync((await download.path())!, "utf8");
  const lines = csv.trimEnd().split("\r\n");
  expect(lines[0]).toBe(
    "day,model,key_id,key_alias,agent_id,agent_name,requests,errors,prompt_tokens,completion_tokens,cost_usd,unpriced_requests",
  );
  expect(lines.find((l) => l.includes(",usage-e2e-model,") && l.includes(",usage-e2e-key,"))).toMatch(/,3,0,\d+,\d+,[\d.e-]+,0$/);

  // A range with no calls; a range that ends before it starts is refused, naming why.
  await page.getByLabel("Start date").fill("2020-01-01");
  await page.getByLabel("End date").fill("2020-01-07");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("usage-range")).toHaveText("2020-01-01 to 2020-01-07 (UTC), 7 days");
  await expect(page.getByTestId("usage-requests")).toHaveText("0");
  await expect(page.getByText("No gateway calls in this range")).toBeVisible();
  await page.getByLabel("Start date").fill("2020-02-01");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("usage-range-error")).toHaveText("The start must not be after the end.");
  await expect(page.getByTestId("usage-range")).toHaveText("2020-01-01 to 2020-01-07 (UTC), 7 days");
  await page.getByRole("button", { name: "Last 7 days" }).click();
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  await expect(page.getByTestId("usage-range")).toHaveText(`${day(Date.now() - 6 * 86_400_000)} to ${day(Date.now())} (UTC), 7 days`);
  await page.getByRole("tab", { name: "By model" }).click();
  await expect(model.locator("td").nth(1)).toHaveText("3");
});
