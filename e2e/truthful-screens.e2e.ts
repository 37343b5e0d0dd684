// Issue 24, part 1: screens that tell the truth. Each test walks a defect a newcomer met, as a person
// would, against the real LAP; the LLM provider is the scripted stand-in (test/support/scripted-openai.ts)
// in its own Bun process. Runs after sessions.e2e.ts and tool-approvals.e2e.ts (files run in name order).
import { expect, test } from "@playwright/test";
import { type FakeProcess, login, MASTER_KEY, shot, startFakeProcess, navTo } from "./support";

const auth = { authorization: `Bearer ${MASTER_KEY}` };
let model: FakeProcess;

test.beforeAll(async () => {
  // The provider numbers its tool calls call_0 in every response, as some OpenAI-compatible servers do.
  const script = [
    { toolCalls: [{ id: "call_0", name: "bash", arguments: { command: "echo first > first.txt" } }] },
    { toolCalls: [{ id: "call_0", name: "bash", arguments: { command: "echo second > second.txt" } }] },
    { text: "Both commands ran." },
  ];
  model = await startFakeProcess("test/support/scripted-openai-server.ts", [JSON.stringify(script)]);
});
test.afterAll(() => {
  model?.stop();
});

test.describe.configure({ mode: "serial" });

test("a second call under a reused tool-call id asks again: waiting with Allow / Deny, never 'allowed' by nobody", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  expect(
    (
      await request.post("/model/new", {
        headers: auth,
        data: {
          model_name: "reuse-model",
          litellm_params: { model: "openai/reuse-llm", api_base: model.url, api_key: "sk-scripted-provider" },
        },
      })
    ).status(),
  ).toBe(200);
  const agent = await request.post("/api/agents", {
    headers: auth,
    data: {
      name: "reuse-ids",
      model: "reuse-model",
      runtime_id: "rt_local_sandbox",
      harness: "builtin",
      approval_required_tools: ["bash"],
    },
  });
  expect(agent.status()).toBe(201);

  await login(page);
  await navTo(page, /Sessions/);
  await page.getByLabel("Agent", { exact: true }).selectOption({ label: "reuse-ids" });
  await page.getByLabel("First message").fill("two steps, each needs a yes");
  await page.getByRole("button", { name: "Start session" }).click();

  const cards = page.getByTestId("tool-card");
  await expect(page.getByTestId("approval-card")).toHaveCount(1, { timeout: 60_000 });
  await expect(cards.first().getByTestId("tool-waiting")).toHaveText("waiting for a decision");
  await expect(page.getByTestId("chat-status")).toHaveText("awaiting approval");
  await page.getByTestId("approval-card").getByRole("button", { name: "Allow" }).click();

  // The model's next response asks again under call_0: its own card waits for its own decision.
  await expect(cards).toHaveCount(2, { timeout: 30_000 });
  await expect(cards.nth(0).getByTestId("approval-outcome")).toHaveText("allowed by master key");
  await expect(cards.nth(0)).toContainText("echo first > first.txt");
  await expect(cards.nth(1)).toContainText("echo second > second.txt");
  await expect(cards.nth(1).getByTestId("tool-waiting")).toHaveText("waiting for a decision");
  await expect(cards.nth(1).getByTestId("approval-outcome")).toHaveCount(0);
  await expect(cards.nth(1).getByTestId("approval-card").getByRole("button", { name: "Allow" })).toBeVisible();
  await expect(cards.nth(1)).not.toContainText("running…");
  await expect(page.getByTestId("chat-status")).toHaveText("awaiting approval");
  await shot(page, "chat-approval-reused-call-id");

  // The Sessions list says the same.
  const sessionUrl = page.url();
  const sessionId = /\/sessions\/([^/?#]+)/.exec(sessionUrl)![1]!;
  await navTo(page, /Sessions/);
  await expect(page.getByTestId("session-row").filter({ hasText: sessionId }).getByTestId("session-status")).toHaveText(
    "awaiting approval",
  );
  await shot(page, "sessions-awaiting-approval");

  await page.goto(sessionUrl);
  await cards.nth(1).getByTestId("approval-card").getByRole("button", { name: "Allow" }).click();
  await expect(page.getByTestId("msg-assistant").last()).toContainText("Both commands ran.", { timeout: 30_000 });
  await expect(cards.nth(1).getByTestId("approval-outcome")).toHaveText("allowed by master key");
  await expect(page.getByTestId("chat-status")).toHaveText("idle");
});

test("the agent form picks its model from the gateway's models, with each one's last test, and pre-fills none", async ({ page }) => {
  await login(page);
  await navTo(page, /^Agents/);
  await page.getByRole("button", { name: "New agent" }).click();
  const form = page.getByRole("dialog");
  const select = form.locator('select[name="model"]');
  await expect(select).toHaveValue("");
  await expect(form.locator('input[name="model"]')).toHaveCount(0);
  await expect(select.locator("option", { hasText: "reuse-model" })).toHaveText("reuse-model — not tested yet");
  await expect(select.locator("option", { hasText: "claude-sonnet-4-5" })).toHaveCount(0);
  await form.locator('input[name="name"]').fill("picker-agent");
  await form.getByRole("button", { name: "Create agent" }).click();
  await expect(form).toContainText("required: the model the agent calls");
  await form.getByRole("button", { name: "Cancel" }).click();

  // Test the model on its page; the form then says so.
  await page.keyboard.press("g");
  await page.keyboard.press("m");
  const row = page.getByTestId("model-row").filter({ hasText: "reuse-model" });
  await row.getByRole("button", { name: "Test reuse-model" }).click();
  await expect(row.getByTestId("test-result")).toContainText("ok");
  await navTo(page, /^Agents/);
  await page.getByRole("button", { name: "New agent" }).click();
  await expect(select.locator("option", { hasText: "reuse-model" })).toContainText("reuse-model — tested ok");
  await select.selectOption("reuse-model");
  await expect(form.getByTestId("model-last-test")).toContainText("ok");
  await shot(page, "agent-form-model-picker");
  await form.locator('input[name="name"]').fill("picker-agent");
  await form.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByTestId("agent-row").filter({ hasText: "picker-agent" })).toContainText("reuse-model");
});

test("a budget of 'ten dollars' is an error on its field, never a key without a budget; models are ticked", async ({ page, request }) => {
  await login(page);
  await page.keyboard.press("g");
  await page.keyboard.press("v");
  await page.getByRole("button", { name: "Create key" }).first().click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Alias").fill("words-budget");
  await dialog.getByLabel("Max budget (USD)").fill("ten dollars");
  await dialog.getByLabel("Requests per minute").fill("1.5");
  await dialog.getByRole("button", { name: "Create key" }).click();
  await expect(dialog).toContainText("must be a number of US dollars");
  await expect(dialog).toContainText("must be a whole number");
  await shot(page, "gateway-key-budget-in-words");
  const keys = (await (await request.get("/key/list?return_full_object=true&size=500", { headers: auth })).json()).keys as {
    key_alias: string;
  }[];
  expect(keys.filter((k) => k.key_alias === "words-budget")).toHaveLength(0);

  await dialog.getByLabel("Max budget (USD)").fill("10");
  await dialog.getByLabel("Requests per minute").fill("");
  await dialog.getByRole("group", { name: "Models", exact: true }).getByLabel("reuse-model").check();
  await dialog.getByRole("button", { name: "Create key" }).click();
  await page.getByRole("button", { name: "Done" }).click();
  const row = page.getByTestId("gateway-key-row").filter({ hasText: "words-budget" });
  await expect(row).toContainText("reuse-model");
  await expect(row.getByTestId("spend")).toContainText("of $10");
});

test("Logs & spend: a refused call says why, a reply read to its end is ok, an unpriced model says 'no price' until one is set", async ({
  page,
  request,
  baseURL,
}) => {
  const refused = await request.post("/v1/chat/completions", {
    headers: auth,
    data: { model: "no-such-model-e2e", messages: [{ role: "user", content: "x" }] },
  });
  expect(refused.status()).toBe(400);
  // A streamed reply read to `data: [DONE]`, then the connection closed, as SDKs do.
  const controller = new AbortController();
  const res = await fetch(`${baseURL}/v1/chat/completions`, {
    method: "POST",
    signal: controller.signal,
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ model: "reuse-model", stream: true, messages: [{ role: "user", content: "stream to the end" }] }),
  });
  const reader = res.body!.getReader();
  let text = "";
  while (!text.includes("data: [DONE]")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  controller.abort();

  await login(page);
  await page.keyboard.press("g");
  await page.keyboard.press("l");
  const refusedRow = page.getByTestId("log-row").filter({ hasText: "no-such-model-e2e" }).first();
  await expect(refusedRow.getByTestId("log-status")).toContainText("400", { timeout: 10_000 });
  await expect(refusedRow.getByTestId("log-why")).toContainText("Invalid model name");
  const streamed = page.getByTestId("log-row").filter({ hasText: "(stream)" }).filter({ hasText: "reuse-model" }).first();
  await expect(streamed.getByTestId("log-status")).toHaveText("ok");
  await expect(streamed.getByTestId("no-price")).toHaveText("no price");
  await shot(page, "gateway-logs-honest");

  // Set the model's prices in its form: the next call has a cost.
  await page.keyboard.press("g");
  await page.keyboard.press("m");
  const row = page.getByTestId("model-row").filter({ hasText: "reuse-model" });
  await expect(row.getByTestId("model-price")).toHaveText("no price");
  await row.getByRole("button", { name: "Edit reuse-model" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Input price").fill("3");
  await dialog.getByLabel("Output price").fill("fifteen");
  await dialog.getByRole("button", { name: "Save model" }).click();
  await expect(dialog).toContainText("must be a number of US dollars per million tokens");
  await dialog.getByLabel("Output price").fill("15");
  await dialog.getByRole("button", { name: "Save model" }).click();
  await expect(row.getByTestId("model-price")).toHaveText("$3 in · $15 out");
  await shot(page, "gateway-model-priced");
  const priced = await request.post("/v1/chat/completions", {
    headers: auth,
    data: { model: "reuse-model", messages: [{ role: "user", content: "what do I cost now?" }] },
  });
  expect(priced.status()).toBe(200);
  expect(Number(priced.headers()["x-litellm-response-cost"])).toBeGreaterThan(0);
});

test("removing a model or an agent asks first, in the dashboard's dialog, listing what uses it", async ({ page }) => {
  let nativeDialogs = 0;
  page.on("dialog", (d) => {
    nativeDialogs++;
    void d.dismiss();
  });
  await login(page);
  await page.keyboard.press("g");
  await page.keyboard.press("m");
  const row = page.getByTestId("model-row").filter({ hasText: "reuse-model" });
  await row.getByRole("button", { name: "Remove reuse-model" }).click();
  const dialog = page.getByRole("dialog", { name: "Remove model “reuse-model”?" });
  // Newest first: the two agents made above with this model.
  await expect(dialog.getByTestId("confirm-dependent")).toHaveText(["picker-agent", "reuse-ids"]);
  await expect(dialog).toContainText("Their next message fails");
  await shot(page, "confirm-remove-model");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toHaveCount(1);

  await navTo(page, /^Agents/);
  await page.getByRole("link", { name: "reuse-ids" }).click();
  await page.getByRole("button", { name: "Delete" }).click();
  const agentDialog = page.getByRole("dialog", { name: "Delete agent “reuse-ids”?" });
  await expect(agentDialog.getByTestId("confirm-dependents")).toContainText("Its sessions that are still open");
  await expect(agentDialog.getByTestId("confirm-dependent")).toHaveCount(1);
  await shot(page, "confirm-delete-agent");
  await agentDialog.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("heading", { name: "reuse-ids" })).toBeVisible();
  expect(nativeDialogs).toBe(0);
});

test("a session whose turn failed looks failed, and its error box leads to the model's row and Test button", async ({ page, request }) => {
  test.setTimeout(90_000);
  // A provider nobody answers at (connection refused): the agent's first call fails.
  expect(
    (
      await request.post("/model/new", {
        headers: auth,
        data: {
          model_name: "unreachable-model",
          litellm_params: { model: "openai/gone", api_base: "http://127.0.0.1:9/v1", api_key: "sk-nobody" },
        },
      })
    ).status(),
  ).toBe(200);
  const agent = await request.post("/api/agents", {
    headers: auth,
    data: { name: "doomed", model: "unreachable-model", runtime_id: "rt_local_sandbox", harness: "builtin" },
  });
  expect(agent.status()).toBe(201);

  await login(page);
  await navTo(page, /Sessions/);
  await page.getByLabel("Agent", { exact: true }).selectOption({ label: "doomed" });
  await page.getByLabel("First message").fill("hello?");
  await page.getByRole("button", { name: "Start session" }).click();
  await expect(page.getByTestId("msg-error")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("chat-status")).toHaveText("failed");
  await expect(page.getByTestId("error-model-link")).toHaveText("unreachable-model");
  await shot(page, "chat-failed-session");
  const sessionId = /\/sessions\/([^/?#]+)/.exec(page.url())![1]!;

  await page.getByTestId("error-model-link").click();
  const row = page.locator('tr[data-model="unreachable-model"]');
  await expect(row).toHaveClass(/highlight/);
  await expect(row.getByRole("button", { name: "Test unreachable-model" })).toBeFocused();
  await row.getByRole("button", { name: "Test unreachable-model" }).click();
  await expect(row.getByTestId("test-result")).toContainText("failed");
  await shot(page, "gateway-model-from-failed-session");

  await navTo(page, /Sessions/);
  await expect(page.getByTestId("session-row").filter({ hasText: sessionId }).getByTestId("session-status")).toHaveText("failed");
});
