/**
 * The Overview page (issue 18): first on an empty LAP (empty states that say what
 * to do), then with a session on a remote runtime (the Managed Agents stand-in) and gateway calls to the
 * fake OpenAI-compatible provider (test/support/fake-openai-server.ts). This file runs its own LAP on its
 * own port and data directory so that "empty" is really empty whatever the other files did.
 */
import { expect, test } from "@playwright/test";
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ownLapAddress, startFakeRuntime, startOwnLap, type OwnLap } from "./own-lap";
import { login, MASTER_KEY, shot, startFakeProcess, type FakeProcess, navTo } from "./support";

const address = await ownLapAddress("overview");
const BASE = address.base;
const PROVIDER_KEY = "sk-overview-provider";
let lap: OwnLap | undefined;
let runtime: ChildProcess | undefined;
let runtimeUrl = "";
let provider: FakeProcess | undefined;

test.use({ baseURL: BASE });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  provider = await startFakeProcess("test/support/fake-openai-server.ts", [PROVIDER_KEY]);
  ({ url: runtimeUrl, process: runtime } = await startFakeRuntime());
  const config = join(address.dataDir, "gateway.yaml");
  writeFileSync(
    config,
    `model_list:\n  - model_name: gpt-overview\n    litellm_params: { model: openai/gpt-4o-mini, api_base: "${provider.url}", api_key: ${PROVIDER_KEY} }\n    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 }\n`,
  );
  lap = await startOwnLap(address, { LAP_GATEWAY_CONFIG: config });
});
test.afterAll(() => {
  lap?.stop();
  runtime?.kill();
  provider?.stop();
});

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

test("an empty LAP: the Overview says nothing has run yet and what to do; each chart says why it is empty", async ({ page }) => {
  await login(page);
  // Home: the get-started checklist says what to do, the overview panels below it show zeros.
  await expect(page.getByRole("heading", { name: "Get started" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Overview" }).getByTestId("active-sessions")).toHaveText("0");
  await expect(page.getByText("Nothing has run yet")).toHaveCount(0);
  await navTo(page, /Overview/);
  await expect(page).toHaveURL(/\/overview$/);
  await expect(page.getByText("Nothing has run yet")).toBeVisible();
  await expect(page.getByRole("link", { name: "Create an agent" })).toBeVisible();
  await expect(page.getByTestId("active-sessions")).toHaveText("0");
  await expect(page.getByTestId("spend-total")).toHaveText("$0");
  await expect(page.getByTestId("chart-latency")).toContainText("No gateway calls in this window");
  await expect(page.getByTestId("chart-sessions")).toContainText("No sessions or turns in this window");
  await expect(page.locator("canvas")).toHaveCount(0);
  await shot(page, "overview-empty");
});

test("with a session and gateway calls: counts, spend and charts", async ({ page }) => {
  const rt = await api("POST", "/api/runtimes", { alias: "remote", base_url: runtimeUrl, api_key: "fake-runtime-key" });
  expect(rt.status).toBe(201);
  const agent = await api("POST", "/api/agents", { name: "overview-agent", model: "claude-sonnet-4-5", runtime_id: rt.body.id });
  expect(agent.status).toBe(201);
  const session = await api("POST", "/api/sessions", { agent_id: agent.body.id, prompt: "hello" });
  expect(session.status).toBe(201);
  for (let i = 0; i < 3; i++) {
    const res = await api("POST", "/v1/chat/completions", { model: "gpt-overview", messages: [{ role: "user", content: `call ${i}` }] });
    expect(res.status).toBe(200);
  }
  // Turns end and spend rows are written off the request path: wait until the API has them.
  await expect
    .poll(async () => (await api("GET", "/api/overview")).body.totals, { timeout: 20_000 })
    .toMatchObject({ gateway_calls: 3, turns: 1 });

  await login(page);
  // The home page carries the same panels below the checklist.
  const home = page.getByRole("region", { name: "Overview" });
  await expect(home.getByTestId("gateway-calls")).toHaveText("3");
  await expect(home.getByTestId("chart-spend-model").locator("canvas").first()).toBeVisible();
  await shot(page, "home-overview");
  await navTo(page, /Overview/);
  await expect(page.getByRole("heading", { name: "Overview", exact: true })).toBeVisible();
  await expect(page.getByText("Nothing has run yet")).toHaveCount(0);
  await expect(page.getByTestId("gateway-calls")).toHaveText("3");
  await expect(page.getByTestId("spend-total")).not.toHaveText("$0");
  for (const chart of ["chart-sessions", "chart-latency", "chart-errors", "chart-spend-model"])
    await expect(page.getByTestId(chart).locator("canvas").first()).toBeVisible();
  await expect(page.getByTestId("chart-spend-model")).toContainText("gpt-overview");
  await expect(page.getByTestId("chart-spend-agent")).toContainText("No agent has spent anything");
  // The window picker refetches: a week is in days.
  await expect(page.getByTestId("window")).toContainText("Hourly");
  await page.getByLabel("Time window").selectOption({ label: "Last 7 days" });
  await expect(page.getByTestId("window")).toContainText("Daily");
  await expect(page.getByTestId("gateway-calls")).toHaveText("3");
  await page.getByLabel("Time window").selectOption({ label: "Last 24 hours" });
  await expect(page.getByTestId("window")).toContainText("Hourly");
  await shot(page, "overview");
});
