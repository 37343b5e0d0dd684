import { expect, test } from "@playwright/test";
import { login, MASTER_KEY, shot } from "./support";

const headers = { authorization: `Bearer ${MASTER_KEY}` };

test("see the warm pool fill, then stop and destroy a sandbox", async ({ page, request }) => {
  // An agent that was used recently (its runtime is unreachable, which does not matter to the pool).
  const runtime = await request.post("/api/runtimes", {
    data: { alias: "e2e-pool", base_url: "http://127.0.0.1:9", api_key: "unused-key" },
    headers,
  });
  expect(runtime.status()).toBe(201);
  const agent = await request.post("/api/agents", {
    data: { name: "pool-agent", model: "scripted", runtime_id: (await runtime.json()).id },
    headers,
  });
  expect(agent.status()).toBe(201);
  const agentId = (await agent.json()).id as string;
  expect((await request.post("/api/sessions", { data: { agent_id: agentId }, headers })).status()).toBeLessThan(300);

  // Earlier tests' agents may hold the pool's slots (a full pool starts nothing new): free them, so the
  // pool fills for the agents used most recently, this one first.
  const existing = (await (await request.get("/api/sandboxes", { headers })).json()).data as Array<{
    id: string;
    session_id: string | null;
  }>;
  for (const s of existing.filter((s) => !s.session_id))
    expect((await request.delete(`/api/sandboxes/${s.id}`, { headers })).status()).toBeLessThan(300);

  await login(page);
  await page.getByRole("link", { name: "Sandboxes" }).click();
  await expect(page.getByRole("heading", { name: "Sandboxes", exact: true })).toBeVisible();
  await expect(page.getByTestId("warm-pool")).toContainText("Keeps up to 2 sandbox(es) ready");

  await page.getByRole("button", { name: "Fill pool now" }).click();
  // Other tests' agents may have warm slots too: this agent's is the one to find.
  const poolRow = page.getByTestId("pool-row").filter({ hasText: agentId });
  await expect(poolRow).toHaveCount(1, { timeout: 20_000 });
  await expect(poolRow).toContainText("warm");
  const row = page.getByTestId("sandbox-row").filter({ hasText: agentId });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("local");
  await expect(row).toContainText("ready");
  const sandboxId = (await row.locator("td").first().textContent())!.trim();
  expect(sandboxId).toMatch(/^sbx_[0-9a-f]{12}$/);
  await shot(page, "sandboxes-warm");

  await page.getByRole("button", { name: `Stop ${sandboxId}` }).click();
  await expect(row).toContainText("stopped");
  await page.getByRole("button", { name: `Destroy ${sandboxId}` }).click();
  await page.getByRole("button", { name: "Destroy sandbox" }).click();
  await expect(page.getByText(sandboxId)).toHaveCount(0, { timeout: 10_000 });
  await shot(page, "sandboxes-after-destroy");

  // Leave the shared LAP as we found it (other e2e files count runtimes and agents).
  expect((await request.delete(`/api/agents/${agentId}`, { headers })).status()).toBeLessThan(300);
  expect((await request.delete(`/api/runtimes/${(await runtime.json()).id}`, { headers })).status()).toBeLessThan(300);
  await request.post("/api/sandboxes/pool/refill", { headers }); // recycles the deleted agent's warm sandbox
});
