import { expect, test } from "@playwright/test";
import { type FakeProcess, login, MASTER_KEY, shot, startFakeProcess, navTo } from "./support";

const UPSTREAM = "scripted-coder-1";
let model: FakeProcess;

// The LLM providers are the scripted model (test/support/scripted-model, all three wire formats) in its
// own Bun process: it asks whichever CLI calls it to write a file, run a command, then report.
test.beforeAll(async () => {
  const script = [
    {
      when: "report.md",
      steps: [
        { kind: "write_file", path: "/workspace/report.md", content: "# Report\nall tests pass" },
        { kind: "run", command: "wc -l /workspace/report.md && echo command-ran" },
        { kind: "text", text: "Wrote **report.md** and counted its lines." },
      ],
    },
  ];
  model = await startFakeProcess("test/support/scripted-model/serve.ts", [JSON.stringify({ models: [UPSTREAM], script })]);
});
test.afterAll(() => {
  model?.stop();
});

// Runs after the other dashboard tests on the shared LAP (files run in name order): it adds gateway
// models and agents that the earlier pages' tests would otherwise see in their lists.
// A person picks each real CLI in the agent form and chats with it: the file the CLI wrote shows as a
// diff and its command with the output, whatever the CLI calls its tools (Claude Code: Write/Bash;
// Codex: a fileChange with its diff and a commandExecution).
for (const [harness, label, modelName, format] of [
  ["claude-code", "Claude Code", "e2e-claude", "anthropic"],
  ["codex", "Codex", "e2e-gpt", "openai"],
] as const) {
  test(`an agent on ${label} writes a file and runs a command in its sandbox; the chat shows the diff and the output`, async ({
    page,
    request,
  }) => {
    test.setTimeout(120_000);
    const auth = { authorization: `Bearer ${MASTER_KEY}` };
    const apiBase = format === "anthropic" ? model.url : `${model.url}/v1`;
    const added = await request.post("/model/new", {
      headers: auth,
      data: {
        model_name: modelName,
        litellm_params: { model: `${format}/${UPSTREAM}`, api_base: apiBase, api_key: "sk-scripted-provider" },
      },
    });
    expect(added.status()).toBe(200);

    await login(page);
    await navTo(page, /^Agents/);
    await page.getByRole("button", { name: "New agent" }).click();
    const form = page.getByRole("dialog");
    await form.locator('input[name="name"]').fill(`${harness}-writer`);
    await form.locator('select[name="model"]').selectOption(modelName);
    await form.locator('select[name="runtime_id"]').selectOption({ label: "local-sandbox" });
    const option = form.locator(".harness-option").filter({ hasText: label });
    await expect(option).toContainText("LAP's gateway");
    await option.getByRole("radio").check();
    await form.getByRole("button", { name: "Create agent" }).click();
    await expect(page.getByTestId("agent-row").filter({ hasText: `${harness}-writer` })).toHaveCount(1);

    await navTo(page, /Sessions/);
    await page.getByLabel("Agent", { exact: true }).selectOption({ label: `${harness}-writer` });
    await page.getByLabel("First message").fill("please write report.md and count its lines");
    await page.getByRole("button", { name: "Start session" }).click();

    await expect(page.getByTestId("msg-assistant").last()).toContainText("Wrote report.md and counted its lines.", { timeout: 90_000 });
    const file = page
      .getByTestId("tool-call")
      .filter({ hasText: "/workspace/report.md" })
      .filter({ has: page.locator(".tool-diff") });
    await expect(file.locator(".diff-add").first()).toContainText("# Report");
    await expect(file.locator(".diff-add").filter({ hasText: "all tests pass" })).toHaveCount(1);
    const command = page.getByTestId("tool-call").filter({ hasText: "command-ran" });
    await expect(command.locator(".tool-head")).toContainText("wc -l /workspace/report.md");
    await expect(command.locator(".tool-output")).toContainText("command-ran");
    await expect(page.getByTestId("chat-status")).toContainText("idle");
    // The sandbox badge follows the session (it was read while the sandbox was still provisioning).
    await expect(page.getByTestId("session-sandbox")).toContainText("· ready");
    await shot(page, `chat-${harness}-tool-calls`);
  });
}
