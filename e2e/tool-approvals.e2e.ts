// Runs after sessions.e2e.ts (files run in name order on one LAP), which expects to create the first agent.
import { expect, test } from "@playwright/test";
import { type FakeProcess, login, MASTER_KEY, shot, startFakeProcess, navTo } from "./support";

let model: FakeProcess;

// The LLM provider is a scripted stand-in (test/support/scripted-openai.ts) in its own Bun process.
test.beforeAll(async () => {
  const script = [
    { toolCalls: [{ name: "bash", arguments: { command: "echo approved-by-a-person > proof.txt && cat proof.txt" } }] },
    { text: "The command printed **approved-by-a-person**." },
  ];
  model = await startFakeProcess("test/support/scripted-openai-server.ts", [JSON.stringify(script)]);
});
test.afterAll(() => {
  model?.stop();
});

test("an agent whose bash needs approval asks; the person allows it in the chat, the command runs and the reply streams", async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  const auth = { authorization: `Bearer ${MASTER_KEY}` };
  const added = await request.post("/model/new", {
    headers: auth,
    data: {
      model_name: "approval-model",
      litellm_params: { model: "openai/approval-model", api_base: model.url, api_key: "sk-scripted-provider" },
    },
  });
  expect(added.status()).toBe(200);

  await login(page);
  await navTo(page, /^Agents/);
  await page.getByRole("button", { name: "New agent" }).click();
  const form = page.getByRole("dialog");
  await form.locator('input[name="name"]').fill("careful-builder");
  await form.locator('select[name="model"]').selectOption("approval-model");
  await form.locator('select[name="runtime_id"]').selectOption({ label: "local-sandbox" });
  // The hint names the tools that ask for the harness chosen: the built-in agent's, or Claude Code's too.
  const hint = form.getByTestId("approval-tools-hint");
  await expect(hint).toContainText("bash, read, write, edit, glob, grep, web_fetch");
  await expect(hint).not.toContainText("Bash");
  await form.locator(".harness-option").filter({ hasText: "Claude Code" }).getByRole("radio").check();
  await expect(hint).toContainText("Claude Code's own names (Bash, Read");
  await form.locator(".harness-option").filter({ hasText: "Codex" }).getByRole("radio").check();
  await expect(hint).toContainText("every command, read-only ones too");
  await form.locator(".harness-option").filter({ hasText: "Built-in agent" }).getByRole("radio").check();
  await expect(hint).toContainText("web_fetch; MCP tools as server__tool");
  // A bad tool name is refused with the field's message, and nothing is created.
  for (const bad of ["bash, rm -rf", "bash, mcp__"]) {
    await form.getByLabel(/Ask before using/).fill(bad);
    await form.getByRole("button", { name: "Create agent" }).click();
    await expect(form).toContainText("tool names are letters, digits");
  }
  await expect(page.getByTestId("agent-row").filter({ hasText: "careful-builder" })).toHaveCount(0);
  await form.getByLabel(/Ask before using/).fill("bash");
  await form.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByTestId("agent-row").filter({ hasText: "careful-builder" })).toHaveCount(1);

  await navTo(page, /Sessions/);
  await page.getByLabel("Agent", { exact: true }).selectOption({ label: "careful-builder" });
  await page.getByLabel("First message").fill("write the proof file");
  await page.getByRole("button", { name: "Start session" }).click();

  // The agent asks: the card shows the command; nothing has run yet.
  const card = page.getByTestId("approval-card");
  await expect(card).toBeVisible({ timeout: 45_000 });
  await expect(page.getByTestId("tool-call").first()).toContainText("echo approved-by-a-person");
  await expect(page.getByTestId("chat-status")).toHaveText("awaiting approval");
  await expect(page.getByTestId("pending-approvals")).toHaveText("1", { timeout: 10_000 });
  await shot(page, "chat-approval-pending");
  const sessionUrl = page.url();

  // The Approvals page lists it (reached from the keyboard: g then i).
  await page.locator("body").press("g");
  await page.locator("body").press("i");
  await expect(page.getByRole("heading", { name: "Approvals" })).toBeVisible();
  await expect(page.getByTestId("approval-row")).toHaveCount(1);
  await expect(page.getByTestId("approval-row")).toContainText("echo approved-by-a-person");
  await shot(page, "approvals-page");

  // Back in the chat, the person allows it: the command runs in the sandbox and the reply streams in.
  await page.goto(sessionUrl);
  await page.getByTestId("approval-card").getByRole("button", { name: "Allow" }).click();
  await expect(page.getByTestId("approval-outcome")).toContainText("allowed by master key");
  await expect(page.getByTestId("tool-call").first()).toContainText("approved-by-a-person\n", { timeout: 30_000 });
  await expect(page.getByTestId("msg-assistant").last()).toContainText("The command printed approved-by-a-person.", { timeout: 30_000 });
  await expect(page.getByTestId("approval-card")).toHaveCount(0);
  await expect(page.getByTestId("pending-approvals")).toHaveCount(0, { timeout: 10_000 });
  await shot(page, "chat-approval-allowed");
});
