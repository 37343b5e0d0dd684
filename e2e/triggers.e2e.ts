import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { remoteAgent } from "./automation-fixtures";
import { login, shot } from "./support";

let stopFake = () => {};
test.afterAll(() => stopFake());

test("create a webhook trigger, copy its secret once, send the shown curl example, and see the delivery's session", async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  const fixture = await remoteAgent(request, "webhook-triager");
  stopFake = fixture.stop;
  await login(page);
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Webhook triggers/ })
    .click();
  await expect(page.getByText("No webhook triggers yet")).toBeVisible();

  // Refusals name the field: a template that tries an expression, a callback to this machine.
  await page.getByRole("button", { name: "Create your first trigger" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("github issues");
  await dialog.getByLabel("Agent").selectOption({ label: "webhook-triager" });
  await dialog.getByLabel("Prompt template").fill("Triage {{ body.issue.number + 1 }}");
  await dialog.getByLabel("Callback URL").fill("https://127.0.0.1/hook");
  await dialog.getByRole("button", { name: "Create trigger" }).click();
  await expect(dialog.locator(".field-error")).toHaveText([
    "{{ body.issue.number + 1 }} is not a placeholder: use {{body}}, {{body.field.sub}} or {{body.items[0]}}",
  ]);
  await dialog.getByLabel("Prompt template").fill("Triage issue #{{body.issue.number}}: {{body.issue.title}}");
  await dialog.getByRole("button", { name: "Create trigger" }).click();
  await expect(dialog.locator(".field-error")).toContainText("non-public address");
  await dialog.getByLabel("Callback URL").fill("");
  await dialog.getByRole("button", { name: "Create trigger" }).click();

  // The secret, once, with a request that uses it.
  const reveal = page.getByRole("dialog", { name: "Copy the signing secret" });
  await expect(reveal).toContainText("This is the only time the signing secret is shown");
  const secret = (await page.getByTestId("trigger-secret").textContent())!;
  expect(secret).toMatch(/^whsec_/);
  const example = (await page.getByTestId("curl-example").textContent())!;
  expect(example).toContain(secret);
  await shot(page, "trigger-secret");

  // What a person would paste into a shell: it is accepted (202) with a session.
  const answer = JSON.parse(execFileSync("bash", ["-c", example], { encoding: "utf8" })) as { session_id: string; replayed: boolean };
  expect(answer.session_id).toMatch(/^ses_/);
  expect(answer.replayed).toBe(false);
  await reveal.getByRole("button", { name: "Done" }).click();
  const row = page.getByTestId("trigger-row");
  await expect(row).toHaveCount(1);
  await expect(page.getByText(secret)).toHaveCount(0);

  // The delivery, its outcome and its session.
  await row.getByRole("link", { name: "github issues" }).click();
  const delivery = page.getByTestId("delivery-row");
  await expect(delivery).toHaveCount(1, { timeout: 10_000 });
  await expect(delivery.locator(".badge").first()).toHaveText("completed", { timeout: 30_000 });
  await expect(delivery).toContainText(answer.session_id);
  await shot(page, "trigger-deliveries");
  await delivery.getByRole("link", { name: answer.session_id }).click();
  await expect(page.getByTestId("msg-user").first()).toContainText("Triage issue #example issue.number: example issue.title");

  // A new secret replaces the old one at once.
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Webhook triggers/ })
    .click();
  await page.getByRole("button", { name: "New secret for github issues" }).click();
  await page.getByRole("button", { name: "Replace secret" }).click();
  const rotated = (await page.getByTestId("trigger-secret").textContent())!;
  expect(rotated).not.toBe(secret);
  let refused = "";
  try {
    execFileSync("bash", ["-c", `${example.replace(/^curl -sS/m, "curl -sS -f")}`], { encoding: "utf8", stdio: "pipe" });
  } catch (err) {
    refused = String((err as { stderr?: string }).stderr);
  }
  expect(refused).toContain("401");
});
