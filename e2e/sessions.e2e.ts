import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { login, MASTER_KEY, shot, navTo } from "./support";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
let fake: ChildProcess;
let fakeUrl: string;

// The remote runtime is a local stand-in speaking the Managed Agents protocol (see its header).
test.beforeAll(async () => {
  fake = spawn(join(ROOT, ".tools/node_modules/.bin/bun"), ["test/support/fake-managed-agents-server.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  fakeUrl = await new Promise<string>((resolve, reject) => {
    fake.stdout!.on("data", (d: Buffer) => {
      const m = /FAKE_RUNTIME_URL=(\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    fake.on("exit", () => reject(new Error("fake runtime exited")));
  });
});
test.afterAll(() => {
  fake?.kill();
});

test("add a runtime, create an agent, chat, stop a turn, reload mid-stream without losing or doubling anything", async ({ page }) => {
  test.setTimeout(90_000);
  await login(page);

  // Runtime: add and test.
  await navTo(page, /Runtimes/);
  await page.getByRole("button", { name: "Add runtime" }).click();
  await page.getByLabel("Alias").fill("remote");
  await page.getByLabel("Base URL").fill(fakeUrl);
  await page.getByLabel("API key").fill("fake-runtime-key");
  await page.getByRole("dialog").getByRole("button", { name: "Add runtime" }).click();
  // Every LAP also lists its built-in local-sandbox runtime; find ours by its alias.
  const remoteRow = page.getByTestId("runtime-row").filter({ hasText: "remote" });
  await expect(remoteRow).toHaveCount(1);
  await page.getByRole("button", { name: "Test remote" }).click();
  await expect(remoteRow).toContainText("ok");
  await shot(page, "runtimes");

  // Agent: validation message first, then create.
  await page
    .getByRole("link", { name: /Agents/ })
    .first()
    .click();
  await page.getByRole("button", { name: "New agent" }).click();
  const form = page.getByRole("dialog");
  // A remote runtime names its own models: the model is typed, and never pre-filled.
  await form.locator('select[name="runtime_id"]').selectOption({ label: "remote" });
  await expect(form.locator('input[name="model"]')).toHaveValue("");
  await page.getByRole("dialog").getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByRole("dialog")).toContainText("required");
  await form.locator('input[name="name"]').fill("helper");
  await form.locator('input[name="model"]').fill("claude-sonnet-4-5");
  await form.locator('textarea[name="system_prompt"]').fill("Be helpful.");
  await page.getByRole("dialog").getByRole("button", { name: "Create agent" }).click();
  // Other tests share the dashboard's database, so the list may hold more agents (linear-helper…) than this one.
  const helperRow = page.getByTestId("agent-row").filter({ has: page.getByText("helper", { exact: true }) });
  await expect(helperRow).toHaveCount(1);
  await page.getByPlaceholder("Search agents").fill("nomatch");
  await expect(page.getByTestId("agent-row")).toHaveCount(0);
  await page.getByPlaceholder("Search agents").fill("help");
  await expect(helperRow).toHaveCount(1);
  for (const name of await page.getByTestId("agent-row").allInnerTexts()) expect(name.toLowerCase()).toContain("help");

  // Session: launch with a first message and watch the reply stream in.
  await navTo(page, /Sessions/);
  await page.getByLabel("Agent", { exact: true }).selectOption({ label: "helper" });
  await page.getByLabel("First message").fill("hello agent");
  await page.getByRole("button", { name: "Start session" }).click();
  await expect(page.getByTestId("msg-user").first()).toContainText("hello agent");
  await expect(page.getByTestId("msg-assistant").first()).toContainText("You said: hello agent");
  await expect(page.getByTestId("tool-card").first()).toContainText("read_file");
  // The result lands on its call's card (matched by the tool_use's event id), not on a card of its own.
  await expect(page.getByTestId("tool-card")).toHaveCount(1);
  await expect(page.getByTestId("tool-card").first()).toContainText("# README");
  await expect(page.getByTestId("chat-status")).toContainText("idle");
  await expect(page.getByTestId("connection")).toContainText("live");

  // Stop a long turn.
  await page.getByLabel("Message").fill("a slow one please");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("msg-assistant").nth(1)).toContainText("long");
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.getByText("Turn stopped")).toBeVisible();
  await expect(page.getByTestId("chat-status")).toContainText("idle");

  // Reload mid-stream: the reply continues, nothing lost, nothing doubled.
  await page.getByLabel("Message").fill("another slow answer");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("msg-assistant").nth(2)).toContainText("w3");
  await page.reload();
  await expect(page.getByTestId("msg-assistant").nth(2)).toContainText("done.", { timeout: 30_000 });
  const expected = `Here is a long answer to "another slow answer": ${Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ")} done.`;
  await expect(page.getByTestId("msg-assistant").nth(2)).toHaveText(expected);
  await expect(page.getByTestId("msg-user")).toHaveCount(3);
  await expect(page.getByTestId("msg-assistant")).toHaveCount(3);

  await page.getByRole("button", { name: "Inspector" }).click();
  await expect(page.getByTestId("inspector")).toContainText("session.status_idle");
  await shot(page, "session-chat");

  // The sessions list is pushed, not polled: a turn started elsewhere (here the API, as Slack or
  // another replica would) shows up as running, then idle, without a reload.
  const sessionId = /\/sessions\/([^/?#]+)/.exec(page.url())![1]!;
  await navTo(page, /Sessions/);
  await expect(page.getByTestId("sessions-live")).toContainText("live");
  const row = page.getByTestId("session-row").filter({ hasText: sessionId });
  await expect(row.getByTestId("session-status")).toHaveText("idle");
  const sent = await page.request.post(`/api/sessions/${sessionId}/messages`, {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
    data: { text: "one more slow answer" },
  });
  expect(sent.status()).toBe(202);
  await expect(row.getByTestId("session-status")).toHaveText("running", { timeout: 5_000 });
  await shot(page, "sessions-list-live");
  await expect(row.getByTestId("session-status")).toHaveText("idle", { timeout: 30_000 });
  const created = await page.request.post("/api/sessions", {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
    data: {
      agent_id: (
        await (await page.request.get(`/api/sessions/${sessionId}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).json()
      ).agent_id,
      title: "pushed in",
    },
  });
  expect(created.status()).toBe(201);
  await expect(page.getByTestId("session-row").filter({ hasText: "pushed in" })).toHaveCount(1, { timeout: 5_000 });
});
