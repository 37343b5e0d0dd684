import { expect, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import { FakeManagedAgents } from "../test/support/fake-managed-agents";
import { FakeSlack } from "../test/support/fake-slack";
import { login, MASTER_KEY, serve, shot } from "./support";

// The fakes are written for Bun; under Node they only need Bun.sleep.
(globalThis as { Bun?: unknown }).Bun ??= { sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)) };

const SECRET = "e2e-slack-signing-secret";
const sign = (body: string) => {
  const ts = Math.floor(Date.now() / 1000);
  return {
    "content-type": "application/json",
    "x-slack-request-timestamp": String(ts),
    "x-slack-signature": `v0=${createHmac("sha256", SECRET).update(`v0:${ts}:${body}`).digest("hex")}`,
  };
};

test("connect Slack: manifest, bind an agent, DM access, and a mention answered in the thread", async ({ page, request }) => {
  const slack = new FakeSlack();
  slack.addWorkspace("xoxb-e2e", { teamId: "T0E2E", teamName: "E2E" });
  const slackServer = await serve((r) => slack.handle(r), Number(process.env.LAP_E2E_SLACK_PORT));
  const runtime = new FakeManagedAgents();
  const runtimeServer = await serve((r) => (runtime as unknown as { handle(r: Request): Promise<Response> }).handle(r));
  const auth = { authorization: `Bearer ${MASTER_KEY}` };
  try {
    const rt = await request.post("/api/runtimes", {
      headers: auth,
      data: { alias: "e2e-fake", base_url: runtimeServer.url, api_key: runtime.apiKey },
    });
    expect(rt.status()).toBe(201);
    const ag = await request.post("/api/agents", {
      headers: auth,
      data: { name: "slack-helper", model: "claude-sonnet-4-5", runtime_id: (await rt.json()).id },
    });
    expect(ag.status()).toBe(201);

    await login(page);
    await page.keyboard.press("g");
    await page.keyboard.press("c");
    await expect(page.getByRole("heading", { name: "Slack", exact: true })).toBeVisible();
    await expect(page.getByTestId("slack-mode")).toHaveText("single workspace+oauth");
    await expect(page.getByTestId("slack-manifest")).toContainText("/slack/events");
    await expect(page.getByRole("link", { name: "Add to a Slack workspace" })).toBeVisible();

    // Binding: the form names the missing agent, then binds the chosen one as the default.
    const bindings = page.getByRole("region", { name: "Bindings" });
    await bindings.getByRole("button", { name: "Bind" }).click();
    await expect(bindings).toContainText("is required");
    await bindings.getByLabel("Agent").selectOption({ label: "slack-helper" });
    await bindings.getByRole("button", { name: "Bind" }).click();
    await expect(page.getByTestId("binding-row")).toHaveCount(1);
    await expect(page.getByTestId("binding-row")).toContainText("slack-helper");

    // DM access: a name is refused, a pasted mention is accepted and normalized.
    const dm = page.getByRole("region", { name: "DM allow-list" });
    await dm.getByLabel("Allowed users").fill("alice");
    await dm.getByRole("button", { name: "Save DM access" }).click();
    await expect(dm).toContainText("must be a Slack user id");
    await dm.getByLabel("Allowed users").fill("<@U0ALICE|alice>");
    await dm.getByRole("button", { name: "Save DM access" }).click();
    await expect(dm.getByLabel("Allowed users")).toHaveValue("U0ALICE");

    // A signed mention from Slack: answered in the thread, listed under recent messages.
    const body = JSON.stringify({
      type: "event_callback",
      team_id: "T0E2E",
      api_app_id: "A1",
      event_id: "EvE2E1",
      event_time: 1,
      event: { type: "app_mention", user: "U0ALICE", text: "<@UBOTT0E2E> hello from Slack", ts: "1700000000.000100", channel: "C0E2E" },
    });
    const res = await request.post("/slack/events", { headers: sign(body), data: body });
    expect(res.status()).toBe(200);
    await expect
      .poll(
        () =>
          slack
            .thread("C0E2E", "1700000000.000100")
            .map((m) => m.text)
            .join(""),
        { timeout: 15_000 },
      )
      .toBe("You said: hello from Slack");
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect(page.getByTestId("slack-event-row")).toHaveCount(1);
    await expect(page.getByTestId("slack-event-row")).toContainText("answered");
    await page.getByRole("region", { name: "Recent events" }).scrollIntoViewIfNeeded();
    await shot(page, "slack-page");
    // The thread's session is an ordinary LAP session: its chat view shows the same conversation.
    await page.getByTestId("slack-event-row").getByRole("link").click();
    await expect(page.getByText("You said: hello from Slack").first()).toBeVisible();
    await shot(page, "slack-session-chat");
  } finally {
    slackServer.server.close();
    runtimeServer.server.close();
    await runtime.stop().catch(() => {});
  }
});
