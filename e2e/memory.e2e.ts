import { expect, test } from "@playwright/test";
import { login, MASTER_KEY, shot } from "./support";

const headers = { authorization: `Bearer ${MASTER_KEY}` };

test("an agent's memory: add an always-on entry, edit it, see its history and revert; pick a sub-agent in the agent form", async ({
  page,
  request,
}) => {
  const tag = crypto.randomUUID().slice(0, 6);
  const helper = await request.post("/api/agents", {
    headers,
    data: { name: `mem-helper-${tag}`, description: "Does arithmetic", model: "claude-sonnet-4-5" },
  });
  const agent = await request.post("/api/agents", { headers, data: { name: `mem-agent-${tag}`, model: "claude-sonnet-4-5" } });
  expect(agent.status()).toBe(201);
  const agentId = (await agent.json()).id as string;
  // An entry the agent wrote itself (as its platform tool would), beside the ones a person adds.
  expect(
    (
      await request.post(`/api/agents/${agentId}/memory`, {
        headers,
        data: { key: "release-day", content: "Releases go out on Tuesdays." },
      })
    ).status(),
  ).toBe(201);

  await login(page);
  await page.goto(`/agents/${agentId}`);
  await page.getByRole("tab", { name: "Memory" }).click();
  const rows = page.getByTestId("memory-row");
  await expect(rows).toHaveCount(1);

  // A bad entry is refused naming the field; nothing is added.
  await page.getByRole("button", { name: "Add memory" }).click();
  let dialog = page.getByRole("dialog");
  await dialog.getByLabel("Content").fill("The user's favourite colour is octarine.");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog.locator(".field-error").first()).toContainText("key");
  await dialog.getByLabel("Key").fill("favourite-colour");
  await dialog.getByLabel("Always on").check();
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(rows).toHaveCount(2);
  const entry = rows.filter({ hasText: "favourite-colour" });
  await expect(entry.getByRole("checkbox")).toBeChecked();
  await expect(page.getByTestId("memory-usage")).toContainText("2 entries");

  // Edit: a new version; the history shows both and reverts to the first.
  await entry.getByRole("button", { name: "Edit" }).click();
  dialog = page.getByRole("dialog");
  await dialog.getByLabel("Content").fill("The user's favourite colour is teal.");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(entry).toContainText("teal");
  await expect(entry).toContainText("v2");
  await entry.getByRole("button", { name: "History" }).click();
  await expect(page.getByTestId("memory-version")).toHaveCount(2);
  await shot(page, "agent-memory-history");
  await page.getByRole("button", { name: "Revert to v1" }).click();
  await expect(entry).toContainText("octarine");
  await expect(entry).toContainText("v3");

  // Always-on off, then delete and restore.
  await entry.getByRole("checkbox").uncheck();
  await expect(page.getByTestId("memory-usage")).toContainText("always-on 0");
  await rows.filter({ hasText: "release-day" }).getByRole("button", { name: "Delete" }).click();
  await expect(rows).toHaveCount(1);
  await page.getByLabel("Show deleted").check();
  await expect(rows).toHaveCount(2);
  await rows.filter({ hasText: "release-day" }).getByRole("button", { name: "Restore" }).click();
  await page.getByLabel("Show deleted").uncheck();
  await expect(rows).toHaveCount(2);
  await shot(page, "agent-memory");

  // The agent form: allowed sub-agents.
  await page.getByRole("button", { name: "Edit" }).first().click();
  dialog = page.getByRole("dialog");
  // The agent has no runtime; the form offers the local sandbox by default, whose gateway has no such model here.
  await dialog.locator('select[name="runtime_id"]').selectOption("");
  await dialog.getByRole("group", { name: "Sub-agents" }).getByLabel(`mem-helper-${tag}`).check();
  await shot(page, "agent-form-subagents");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toHaveCount(0);
  const saved = await (await request.get(`/api/agents/${agentId}`, { headers })).json();
  expect(saved.subagent_ids).toEqual([(await helper.json()).id]);
  expect(saved.platform_tools).toBe(true);
});
