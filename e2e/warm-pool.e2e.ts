import { expect, test } from "@playwright/test";
import { type FakeProcess, login, MASTER_KEY, shot, startFakeProcess } from "./support";

const headers = { authorization: `Bearer ${MASTER_KEY}` };
const UPSTREAM = "scripted-warm-1";
let model: FakeProcess;

// The LLM provider is the scripted model (test/support/scripted-model) in its own Bun process.
test.beforeAll(async () => {
  model = await startFakeProcess("test/support/scripted-model/serve.ts", [
    JSON.stringify({ models: [UPSTREAM], script: [{ when: "hello", steps: [{ kind: "text", text: "hello from the sandbox" }] }] }),
  ]);
});
test.afterAll(() => {
  model?.stop();
});

// A person opens Sandboxes after an agent's first session started cold and its second took the warm
// sandbox the pool had started for it: the pool's card shows one miss and one hit for that agent.
test("the warm pool's hits and misses per agent and harness", async ({ page, request }) => {
  test.setTimeout(120_000);
  const added = await request.post("/model/new", {
    headers,
    data: { model_name: "e2e-warm", litellm_params: { model: `openai/${UPSTREAM}`, api_base: `${model.url}/v1`, api_key: "sk-scripted" } },
  });
  expect(added.status()).toBe(200);
  const runtimes = (await (await request.get("/api/runtimes", { headers })).json()).data as Array<{ id: string; alias: string }>;
  const local = runtimes.find((r) => r.alias === "local-sandbox")!;
  const made = await request.post("/api/agents", { headers, data: { name: "warm-pool-agent", model: "e2e-warm", runtime_id: local.id } });
  expect(made.status()).toBe(201);
  const agentId = (await made.json()).id as string;

  // Earlier tests' agents may hold the pool's slots (a full pool starts nothing new): free them.
  const existing = (await (await request.get("/api/sandboxes", { headers })).json()).data as Array<{
    id: string;
    session_id: string | null;
  }>;
  for (const s of existing.filter((s) => !s.session_id)) await request.delete(`/api/sandboxes/${s.id}`, { headers });

  /** A session with a first message, answered. */
  const session = async () => {
    const created = await request.post("/api/sessions", { headers, data: { agent_id: agentId, prompt: "hello" } });
    expect(created.status()).toBeLessThan(300);
    const id = (await created.json()).id as string;
    await expect
      .poll(async () => ((await (await request.get(`/api/sessions/${id}`, { headers })).json()) as { status: string }).status, {
        timeout: 60_000,
      })
      .toBe("idle");
    return id;
  };
  // The agent had no session yet, so no warm sandbox: a miss.
  const first = await session();
  // Now it is a recent agent: the pool starts a sandbox for it, its harness pre-started.
  await expect
    .poll(
      async () => {
        const pool = (await (await request.post("/api/sandboxes/pool/refill", { headers })).json()) as {
          slots: Array<{ agent_id: string; status: string }>;
        };
        return pool.slots.some((s) => s.agent_id === agentId && s.status === "warm");
      },
      { timeout: 60_000, intervals: [1_000] },
    )
    .toBe(true);
  const second = await session();

  await login(page);
  await page.getByRole("link", { name: "Sandboxes" }).click();
  const card = page.getByTestId("warm-pool");
  await expect(card).toContainText("their harness already started");
  const row = page.getByTestId("pool-hits-row").filter({ hasText: "warm-pool-agent" });
  await expect(row).toHaveCount(1);
  await expect(row.locator("td")).toHaveText(["warm-pool-agent", "builtin", "1", "1", "0", "50%"]);
  await shot(page, "sandboxes-warm-pool-hits");

  // Leave the shared LAP as we found it: sessions stopped, the agent gone, its warm sandbox recycled.
  for (const id of [first, second]) await request.post(`/api/sessions/${id}/stop`, { headers });
  expect((await request.delete(`/api/agents/${agentId}`, { headers })).status()).toBeLessThan(300);
  await request.post("/api/sandboxes/pool/refill", { headers });
});
