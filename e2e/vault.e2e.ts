import { expect, test } from "@playwright/test";
import { login, MASTER_KEY, shot } from "./support";

const headers = { authorization: `Bearer ${MASTER_KEY}` };
const VALUE = "ghp_e2eVaultValue_31f9";

test("add a vault secret, attach it to an agent with an egress allow-list, rotate it, and delete it with confirmation", async ({
  page,
  request,
}) => {
  await login(page);
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Vault/ })
    .click();
  await expect(page.getByRole("heading", { name: "Vault", exact: true })).toBeVisible();
  await expect(page.getByText("No secrets yet")).toBeVisible();
  await expect(page.getByText("pick it under Vault keys")).toBeVisible();

  // Add: a host with a scheme is refused, naming the field; fixed, the secret is stored.
  await page.getByRole("button", { name: "Add your first secret" }).click();
  await page.getByLabel("Name").fill("GITHUB_TOKEN");
  await page.getByLabel("Value").fill(VALUE);
  await page.getByLabel("Bound hosts").fill("https://api.github.com/");
  await page.getByLabel("Description").fill("the bot's token");
  await page.getByRole("dialog").getByRole("button", { name: "Add secret" }).click();
  await expect(page.locator(".field-error")).toContainText("must be a host name");
  await page.getByLabel("Bound hosts").fill("api.github.com\n*.githubusercontent.com");
  await page.getByRole("dialog").getByRole("button", { name: "Add secret" }).click();
  const row = page.getByTestId("vault-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("GITHUB_TOKEN");
  await expect(row.locator(".chip")).toHaveText(["api.github.com", "*.githubusercontent.com"]);
  await expect(row).toContainText("••••31f9");
  await expect(row).toContainText("never");
  await expect(page.getByText(VALUE)).toHaveCount(0);

  // Attach it to a new agent in the agent form, with an egress allow-list. The agent's model must be one
  // the gateway has (it never runs here, so its provider need not answer).
  const model = await request.post("/model/new", {
    headers,
    data: { model_name: "vault-e2e-model", litellm_params: { model: "openai/unused", api_base: "http://127.0.0.1:9/v1" } },
  });
  expect(model.status()).toBe(200);
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Agents/ })
    .click();
  await page.getByRole("button", { name: "New agent" }).click();
  await page.getByLabel("Name", { exact: true }).fill("vault-e2e-agent");
  await page.locator('select[name="model"]').selectOption("vault-e2e-model");
  await page.getByLabel("Egress allow-list").fill("pypi.org\n*.pythonhosted.org");
  const keys = page.getByRole("group", { name: "Vault keys" });
  await expect(keys.locator(".chip")).toHaveText(["api.github.com", "*.githubusercontent.com"]);
  await keys.getByRole("checkbox", { name: /GITHUB_TOKEN/ }).check();
  await shot(page, "agent-form-vault-keys");
  await page.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByTestId("agent-row").filter({ hasText: "vault-e2e-agent" })).toBeVisible();
  const agents = (await (await request.get("/api/agents?q=vault-e2e-agent", { headers })).json()).data as Array<{
    id: string;
    vault_keys: string[];
    egress_allow_hosts: string[];
  }>;
  expect(agents).toHaveLength(1);
  expect(agents[0]!.vault_keys).toEqual(["GITHUB_TOKEN"]);
  expect(agents[0]!.egress_allow_hosts).toEqual(["pypi.org", "*.pythonhosted.org"]);

  // The vault shows who uses it; rotating keeps the hosts and changes the hint.
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Vault/ })
    .click();
  await expect(row).toContainText("vault-e2e-agent");
  await page.getByRole("button", { name: "Edit GITHUB_TOKEN" }).click();
  await page.getByLabel("New value").fill("ghp_rotatedValue_77aa");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Rotated GITHUB_TOKEN")).toBeVisible();
  await expect(row).toContainText("••••77aa");
  await expect(row.locator(".chip")).toHaveCount(2);
  await shot(page, "vault");
  await page.keyboard.press("t");
  await shot(page, "vault-dark");
  await page.keyboard.press("t");

  // Deleting asks first, and is refused while an agent uses the secret.
  await page.getByRole("button", { name: "Delete GITHUB_TOKEN" }).click();
  await expect(page.getByRole("dialog", { name: "Delete GITHUB_TOKEN?" })).toBeVisible();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toHaveCount(1);
  await page.getByRole("button", { name: "Delete GITHUB_TOKEN" }).click();
  await page.getByRole("button", { name: "Delete secret" }).click();
  // The dialog listed the agent first, and keeps the refusal in view.
  await expect(page.getByTestId("confirm-dependent")).toHaveText("vault-e2e-agent");
  await expect(page.getByTestId("confirm-error")).toContainText("used by vault-e2e-agent");
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toHaveCount(1);

  // Detached from the agent, it can go.
  expect((await request.delete(`/api/agents/${agents[0]!.id}`, { headers })).status()).toBeLessThan(300);
  await page.getByRole("button", { name: "Delete GITHUB_TOKEN" }).click();
  await page.getByRole("button", { name: "Delete secret" }).click();
  await expect(page.getByText("Deleted GITHUB_TOKEN")).toBeVisible();
  await expect(row).toHaveCount(0);
  await expect(page.getByText("No secrets yet")).toBeVisible();
});
