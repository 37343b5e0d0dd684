import { expect, test } from "@playwright/test";
import { FakeLinear } from "../test/support/fake-linear";
import { FakeManagedAgents } from "../test/support/fake-managed-agents";
import { login, MASTER_KEY, serve, shot } from "./support";

// The fakes are written for Bun; under Node they only need Bun.sleep.
(globalThis as { Bun?: unknown }).Bun ??= { sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)) };

const ACME = { organizationId: "0b1c2d3e-0000-4000-8000-00000000e2e0", name: "Acme E2E", urlKey: "acme-e2e", appUserId: "app-user-e2e" };

test("Linear: status, install through Linear's consent, bind an agent, and a mention answered in Linear", async ({ page, request }) => {
  // LAP was started with the three LINEAR_* set and Linear's API on this port (e2e/playwright.config.ts).
  const linear = new FakeLinear();
  linear.approveAs = ACME;
  const linearServer = await serve((r) => linear.handle(r), Number(process.env.LAP_E2E_LINEAR_PORT));
  const runtime = new FakeManagedAgents();
  const runtimeServer = await serve((r) => (runtime as unknown as { handle(r: Request): Promise<Response> }).handle(r));
  const auth = { authorization: `Bearer ${MASTER_KEY}` };
  try {
    const rt = await request.post("/api/runtimes", {
      headers: auth,
      data: { alias: "e2e-linear-fake", base_url: runtimeServer.url, api_key: runtime.apiKey },
    });
    expect(rt.status()).toBe(201);
    const ag = await request.post("/api/agents", {
      headers: auth,
      data: { name: "linear-helper", model: "claude-sonnet-4-5", runtime_id: (await rt.json()).id },
    });
    expect(ag.status()).toBe(201);

    await login(page);
    await page.keyboard.press("g");
    await page.keyboard.press("n");
    await expect(page.getByRole("heading", { name: "Linear", exact: true })).toBeVisible();
    await expect(page.getByTestId("linear-status")).toHaveText("configured");
    await expect(page.getByRole("region", { name: "Linear status" })).toContainText("/api/integrations/webhooks/linear");

    // Install: LAP sends the browser to Linear's consent page, which approves and sends it back.
    await page.getByRole("link", { name: "Install in a Linear workspace" }).click();
    await expect(page).toHaveURL(/\/integrations\?linear_installed=Acme/);
    await expect(page.getByText("Installed in the Linear workspace Acme E2E")).toBeVisible();
    await expect(page.getByTestId("linear-installation-row")).toContainText("Acme E2E");

    // Binding: the form names the missing agent, then binds the chosen one to the workspace.
    const bindings = page.getByRole("region", { name: "Linear bindings" });
    await bindings.getByRole("button", { name: "Bind" }).click();
    await expect(bindings).toContainText("is required");
    await bindings.getByLabel("Workspace").selectOption({ label: "Acme E2E" });
    await bindings.getByLabel("Agent").selectOption({ label: "linear-helper" });
    await bindings.getByRole("button", { name: "Bind" }).click();
    await expect(page.getByTestId("linear-binding-row")).toHaveCount(1);
    await expect(page.getByTestId("linear-binding-row")).toContainText("linear-helper");

    // A signed agent session webhook from Linear: the answer is posted back as an agent activity.
    const agentSessionId = "as-e2e-1";
    const hook = linear.webhook("http://x", {
      type: "AgentSessionEvent",
      action: "created",
      organizationId: ACME.organizationId,
      appUserId: ACME.appUserId,
      agentSession: {
        id: agentSessionId,
        issue: { id: "i1", identifier: "ENG-7", title: "Flaky login test", description: "Fails one run in ten." },
        comment: { id: "c1", body: "@lap have a look" },
      },
    });
    const res = await request.post("/api/integrations/webhooks/linear", {
      headers: Object.fromEntries(hook.headers),
      data: await hook.text(),
    });
    expect(res.status()).toBe(200);
    expect((await res.json()).outcome).toBe("started");
    await expect
      .poll(() => linear.activitiesOf(agentSessionId).find((a) => a.content.type === "response")?.content.body ?? "", { timeout: 15_000 })
      .toContain("You said: Linear issue ENG-7: Flaky login test");
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect(page.getByTestId("linear-event-row")).toHaveCount(1);
    await expect(page.getByTestId("linear-event-row")).toContainText("started");
    await shot(page, "linear-integrations");
    // The Linear agent session's LAP session is an ordinary one: its chat shows the same conversation.
    await page.getByTestId("linear-event-row").getByRole("link").click();
    await expect(page.getByText("You said: Linear issue ENG-7").first()).toBeVisible();
  } finally {
    linearServer.server.close();
    runtimeServer.server.close();
    await runtime.stop().catch(() => {});
  }
});
