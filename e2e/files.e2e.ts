import { expect, test } from "@playwright/test";
import { type FakeProcess, login, MASTER_KEY, shot, startFakeProcess } from "./support";

let model: FakeProcess;
const uid = Math.random().toString(36).slice(2, 8);
const modelName = `files-model-${uid}`;

// The LLM provider is a scripted stand-in (test/support/scripted-openai.ts) in its own Bun process.
test.beforeAll(async () => {
  const script = [
    { toolCalls: [{ name: "bash", arguments: { command: "cat docs/brief.md > seen.txt && cat seen.txt" } }] },
    { text: "Read the brief." },
  ];
  model = await startFakeProcess("test/support/scripted-openai-server.ts", [JSON.stringify(script)]);
});
test.afterAll(() => {
  model?.stop();
});

test("a person uploads files to an agent, a session finds them in its workspace, and its files are browsable and downloadable", async ({
  page,
}) => {
  test.setTimeout(90_000);
  const auth = { authorization: `Bearer ${MASTER_KEY}` };
  expect(
    (
      await page.request.post("/model/new", {
        headers: auth,
        data: {
          model_name: modelName,
          litellm_params: { model: `openai/${modelName}`, api_base: model.url, api_key: "sk-scripted-provider" },
        },
      })
    ).status(),
  ).toBe(200);
  const agent = await page.request.post("/api/agents", {
    headers: auth,
    data: { name: `files-agent-${uid}`, model: modelName, runtime_id: "rt_local_sandbox", harness: "builtin" },
  });
  expect(agent.status()).toBe(201);
  const agentId = (await agent.json()).id as string;

  await login(page);
  await page.goto(`/agents/${agentId}`);
  await page.getByRole("tab", { name: "Files" }).click();
  await expect(page.getByTestId("agent-files")).toContainText("No files yet");
  await page.getByLabel("Folder").fill("docs");
  await page.getByLabel("Files to upload").setInputFiles([
    { name: "brief.md", mimeType: "text/markdown", buffer: Buffer.from("The brief: ship on Friday.\n") },
    { name: "scratch.txt", mimeType: "text/plain", buffer: Buffer.from("throwaway") },
  ]);
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  const rows = page.getByTestId("agent-file-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("docs/brief.md");
  await expect(page.getByTestId("agent-files-usage")).toContainText("2 of 100 files");
  // A path the server refuses says why, and nothing is added.
  await page.getByLabel("Folder").fill("../outside");
  await page.getByLabel("Files to upload").setInputFiles([{ name: "x.txt", mimeType: "text/plain", buffer: Buffer.from("x") }]);
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page.getByTestId("agent-files-error")).toContainText("must not contain ..");
  await expect(rows).toHaveCount(2);

  await page.getByRole("button", { name: "Delete docs/scratch.txt" }).click();
  await page.getByTestId("confirm-action").click();
  await expect(rows).toHaveCount(1);
  await shot(page, "agent-files");

  // A session of the agent reads the file from its workspace and writes another.
  const session = await page.request.post("/api/sessions", { headers: auth, data: { agent_id: agentId, prompt: "read the brief" } });
  expect(session.status()).toBe(201);
  const sessionId = (await session.json()).id as string;
  await page.goto(`/sessions/${sessionId}`);
  await expect(page.getByTestId("tool-call").filter({ hasText: "cat docs/brief.md" })).toContainText("ship on Friday", { timeout: 45_000 });
  await expect(page.getByTestId("msg-assistant").last()).toContainText("Read the brief.");

  await page.getByRole("button", { name: "Files", exact: true }).click();
  const panel = page.getByTestId("workspace-files");
  await expect(panel.getByTestId("workspace-entry")).toHaveText([/^docs\/$/, /brief\.md/, /seen\.txt/]);
  const href = await panel.getByRole("link", { name: "seen.txt" }).getAttribute("href");
  const file = await page.request.get(href!);
  expect(file.status()).toBe(200);
  expect(await file.text()).toBe("The brief: ship on Friday.\n");
  const zip = await page.request.get((await panel.getByTestId("workspace-zip").getAttribute("href"))!);
  expect(zip.status()).toBe(200);
  expect(zip.headers()["content-type"]).toBe("application/zip");
  // A zip starts with a local file header (PK\x03\x04).
  expect([...(await zip.body()).subarray(0, 4)]).toEqual([0x50, 0x4b, 3, 4]);
  await shot(page, "session-files");
});
