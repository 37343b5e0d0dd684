import { expect, test } from "@playwright/test";
import { strToU8, zipSync } from "fflate";
import { type FakeProcess, login, MASTER_KEY, shot, startFakeProcess, navTo } from "./support";

const headers = { authorization: `Bearer ${MASTER_KEY}` };
const chatTag = Math.random().toString(36).slice(2, 8);
let model: FakeProcess;

// The LLM provider is a scripted stand-in (test/support/scripted-openai.ts) in its own Bun process:
// the agent loads its skill, then answers.
test.beforeAll(async () => {
  model = await startFakeProcess("test/support/scripted-openai-server.ts", [
    JSON.stringify([
      { toolCalls: [{ name: "load_skill", arguments: { name: `haiku-${chatTag}` } }] },
      { text: "Autumn wind / a skill is loaded / the answer is short" },
    ]),
  ]);
});
test.afterAll(() => {
  model?.stop();
});

test("write a rule and a skill, upload a skill zip, edit and roll back, and attach them to an agent", async ({ page, request }) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const skillName = `release-notes-${tag}`;
  const zipName = `pdf-forms-${tag}`;
  const ruleName = `Tone ${tag}`;
  await login(page);

  // A rule: written, then changed (a new version), then rolled back.
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Rules/ })
    .click();
  await expect(page.getByRole("heading", { name: "Rules", exact: true })).toBeVisible();
  await page
    .getByRole("button", { name: /^New rule/ })
    .first()
    .click();
  await page.getByLabel("Name").fill(ruleName);
  await page.getByLabel("Instructions").fill("Answer in one sentence.");
  await page.getByRole("dialog").getByRole("button", { name: "Create rule" }).click();
  const ruleRow = page.getByTestId("rule-row").filter({ hasText: ruleName });
  await expect(ruleRow).toContainText("v1");
  await page.getByRole("button", { name: `Edit ${ruleName}` }).click();
  await page.getByLabel("Instructions").fill("Answer in two sentences.");
  await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
  await expect(ruleRow).toContainText("v2");

  // A skill from the editor: a bad front matter names the field; fixed, it is created.
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Skills/ })
    .click();
  await page
    .getByRole("button", { name: /^New skill/ })
    .first()
    .click();
  await page.getByLabel("SKILL.md").fill("no front matter here");
  await page.getByRole("dialog").getByRole("button", { name: "Create skill" }).click();
  await expect(page.getByRole("dialog").locator(".field-error")).toContainText("front matter");
  await page.getByLabel("SKILL.md").fill(`---\nname: ${skillName}\ndescription: Writes release notes\n---\nGroup changes by kind.\n`);
  await page.getByRole("dialog").getByRole("button", { name: "Create skill" }).click();
  const skillRow = page.getByTestId("skill-row").filter({ hasText: skillName });
  await expect(skillRow).toContainText("v1");

  // A new version, then back to v1 from the versions list.
  await page.getByRole("button", { name: `Edit ${skillName}` }).click();
  await page.getByLabel("SKILL.md").fill(`---\nname: ${skillName}\ndescription: Writes release notes, v2\n---\nGroup changes by team.\n`);
  await page.getByRole("dialog").getByRole("button", { name: "Save as new version" }).click();
  await expect(skillRow).toContainText("v2");
  await page.getByRole("button", { name: `Edit ${skillName}` }).click();
  await expect(page.getByTestId("version-row")).toHaveCount(2);
  await page.getByRole("button", { name: "Roll back to v1" }).click();
  await expect(page.getByTestId("version-row")).toHaveCount(3);
  await expect(page.getByLabel("SKILL.md")).toHaveValue(/Group changes by kind\./);
  await shot(page, "skill-versions");
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  await expect(skillRow).toContainText("v3");

  // A zip upload: a folder with SKILL.md and a script.
  const zip = zipSync({
    [`${zipName}/SKILL.md`]: strToU8(`---\nname: ${zipName}\ndescription: Fills PDF forms\n---\nRun scripts/fill.sh.\n`),
    [`${zipName}/scripts/fill.sh`]: strToU8("echo fill\n"),
  });
  await page.getByRole("button", { name: "Upload zip" }).click();
  await page.getByLabel("Zip file").setInputFiles({ name: "skill.zip", mimeType: "application/zip", buffer: Buffer.from(zip) });
  await page.getByRole("dialog").getByRole("button", { name: "Import" }).click();
  const zipRow = page.getByTestId("skill-row").filter({ hasText: zipName });
  await expect(zipRow).toContainText("Fills PDF forms");
  // Another zip makes a new version of the same skill.
  const zip2 = zipSync({
    "SKILL.md": strToU8(`---\nname: ${zipName}\ndescription: Fills PDF and Word forms\n---\nRun fill.sh.\n`),
    "fill.sh": strToU8("echo fill2\n"),
  });
  await page.getByRole("button", { name: `Edit ${zipName}` }).click();
  await page.getByLabel("Or a zip").setInputFiles({ name: "v2.zip", mimeType: "application/zip", buffer: Buffer.from(zip2) });
  await page.getByRole("dialog").getByRole("button", { name: "Save as new version" }).click();
  await expect(zipRow).toContainText("v2");
  await expect(zipRow).toContainText("Fills PDF and Word forms");
  await shot(page, "skills");

  // The agent form picks them.
  const model = await request.post("/model/new", {
    headers,
    data: { model_name: `skills-e2e-model-${tag}`, litellm_params: { model: "openai/unused", api_base: "http://127.0.0.1:9/v1" } },
  });
  expect(model.status()).toBe(200);
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Agents/ })
    .click();
  await page.getByRole("button", { name: "New agent" }).click();
  await page.getByLabel("Name", { exact: true }).fill(`skills-agent-${tag}`);
  await page.locator('select[name="model"]').selectOption(`skills-e2e-model-${tag}`);
  await page
    .getByRole("group", { name: "Rules" })
    .getByRole("checkbox", { name: new RegExp(ruleName) })
    .check();
  await page
    .getByRole("group", { name: "Skills" })
    .getByRole("checkbox", { name: new RegExp(skillName) })
    .check();
  await page
    .getByRole("group", { name: "Skills" })
    .getByRole("checkbox", { name: new RegExp(zipName) })
    .check();
  await shot(page, "agent-form-skills-rules");
  await page.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByTestId("agent-row").filter({ hasText: `skills-agent-${tag}` })).toBeVisible();
  const agents = (await (await request.get(`/api/agents?q=skills-agent-${tag}`, { headers })).json()).data as Array<{
    skill_ids: string[];
    rule_ids: string[];
  }>;
  const skills = (await (await request.get(`/api/skills?q=${tag}`, { headers })).json()).data as Array<{ id: string; name: string }>;
  expect(agents[0]!.skill_ids.sort()).toEqual(skills.map((s) => s.id).sort());
  expect(agents[0]!.rule_ids).toHaveLength(1);

  // An attached skill is not deleted: the dialog says who uses it and the API refuses.
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Skills/ })
    .click();
  await page.getByRole("button", { name: `Delete ${zipName}` }).click();
  await expect(page.getByRole("dialog")).toContainText(`skills-agent-${tag}`);
  await page.getByRole("dialog").getByRole("button", { name: "Delete skill" }).click();
  await expect(page.getByRole("dialog")).toContainText("is attached to agents");
  expect((await (await request.get(`/api/skills?q=${zipName}`, { headers })).json()).data).toHaveLength(1);
});

test("a session shows the rules and skills its agent was given, and the agent loads its skill", async ({ page, request }) => {
  test.setTimeout(90_000);
  const modelName = `skills-chat-model-${chatTag}`;
  expect(
    (
      await request.post("/model/new", {
        headers,
        data: {
          model_name: modelName,
          litellm_params: { model: "openai/scripted-model", api_base: model.url, api_key: "sk-scripted-provider" },
        },
      })
    ).status(),
  ).toBe(200);
  const skill = await (
    await request.post("/api/skills", {
      headers,
      data: { skill_md: `---\nname: haiku-${chatTag}\ndescription: Answers in haiku\n---\nThree lines: 5, 7, 5 syllables.\n` },
    })
  ).json();
  const rule = await (
    await request.post("/api/rules", { headers, data: { name: `Short ${chatTag}`, body: "Keep answers short." } })
  ).json();
  const agent = await request.post("/api/agents", {
    headers,
    data: {
      name: `poet-${chatTag}`,
      model: modelName,
      runtime_id: "rt_local_sandbox",
      harness: "builtin",
      skill_ids: [skill.id],
      rule_ids: [rule.id],
    },
  });
  expect(agent.status()).toBe(201);

  await login(page);
  await navTo(page, /Sessions/);
  await page.getByLabel("Agent", { exact: true }).selectOption({ label: `poet-${chatTag}` });
  await page.getByLabel("First message").fill("write a poem");
  await page.getByRole("button", { name: "Start session" }).click();
  await expect(page.getByText(`Given to the agent: rules: Short ${chatTag} v1; skills: haiku-${chatTag} v1`)).toBeVisible({
    timeout: 45_000,
  });
  await expect(page.getByTestId("tool-call").filter({ hasText: "load_skill" })).toContainText("Three lines: 5, 7, 5 syllables.");
  await expect(page.getByTestId("msg-assistant").last()).toContainText("a skill is loaded");
  await shot(page, "chat-skills-given");
});
