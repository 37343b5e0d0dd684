import { expect, test } from "@playwright/test";
import { type FakeProcess, login, MASTER_KEY, shot, startFakeProcess, navTo } from "./support";

let model: FakeProcess;

// The LLM provider is a scripted stand-in (test/support/scripted-openai.ts) in its own Bun process.
test.beforeAll(async () => {
  const script = [
    { toolCalls: [{ name: "write", arguments: { path: "hello.txt", content: "line one\nline two\n" } }] },
    { toolCalls: [{ name: "bash", arguments: { command: "wc -l hello.txt" } }] },
    { text: "Created **hello.txt** with two lines." },
  ];
  model = await startFakeProcess("test/support/scripted-openai-server.ts", [JSON.stringify(script)]);
});
test.afterAll(() => {
  model?.stop();
});

test("an agent with the built-in harness edits files and runs commands in its sandbox; the chat shows them readably", async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  const auth = { authorization: `Bearer ${MASTER_KEY}` };
  const added = await request.post("/model/new", {
    headers: auth,
    data: {
      model_name: "scripted-model",
      litellm_params: { model: "openai/scripted-model", api_base: model.url, api_key: "sk-scripted-provider" },
    },
  });
  expect(added.status()).toBe(200);

  await login(page);
  await navTo(page, /^Agents/);
  await page.getByRole("button", { name: "New agent" }).click();
  const form = page.getByRole("dialog");
  await form.locator('input[name="name"]').fill("workspace-builder");
  await form.locator('select[name="model"]').selectOption("scripted-model");
  await form.locator('select[name="runtime_id"]').selectOption({ label: "local-sandbox" });
  // The harness picker offers every harness with a description; the built-in agent is the default.
  await expect(form.getByRole("radio", { name: /Built-in/ })).toBeChecked();
  await expect(form.locator(".harness-option")).toHaveCount(6);
  await shot(page, "agent-form-harness");
  await form.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByTestId("agent-row").filter({ hasText: "workspace-builder" })).toHaveCount(1);

  await navTo(page, /Sessions/);
  await page.getByLabel("Agent", { exact: true }).selectOption({ label: "workspace-builder" });
  await page.getByLabel("First message").fill("make hello.txt and count its lines");
  await page.getByRole("button", { name: "Start session" }).click();

  // The command renders with its output; the file write renders as a diff.
  const command = page.getByTestId("tool-call").filter({ hasText: "wc -l hello.txt" });
  await expect(command).toContainText("2 hello.txt", { timeout: 45_000 });
  await expect(page.getByTestId("tool-call").filter({ hasText: "hello.txt" }).first()).toContainText("line one");
  await expect(page.getByTestId("msg-assistant").last()).toContainText("Created hello.txt with two lines.");
  await expect(page.getByTestId("chat-status")).toContainText("idle");
  // The reply streamed as deltas, then arrived whole: one bubble, its text once (docs/sessions.md "Messages and deltas").
  await expect(page.getByTestId("msg-assistant")).toHaveCount(1);
  await expect(page.getByTestId("msg-assistant")).toHaveText("Created hello.txt with two lines.");
  await shot(page, "chat-sandbox-tool-calls");
});
