import { expect, test } from "@playwright/test";
import { login, MASTER_KEY, shot } from "./support";

const headers = { authorization: `Bearer ${MASTER_KEY}` };
const VALUE = "audit-e2e-secret-value-4b1d";

test("the audit trail shows a sign-in and a change with its before/after, secrets redacted; filters narrow to nothing with an empty state", async ({
  page,
  request,
}) => {
  await login(page);
  await page
    .getByRole("navigation")
    .getByRole("link", { name: /^Audit trail/ })
    .click();
  await expect(page.getByRole("heading", { name: "Audit trail", exact: true })).toBeVisible();
  // This very sign-in is there.
  await expect(
    page
      .getByTestId("audit-action")
      .filter({ hasText: /^auth\.login$/ })
      .first(),
  ).toBeVisible();

  // A filter nothing matches says so.
  await page.getByLabel("Filter by action").fill("nothing.matches");
  await page.getByLabel("Filter by action").press("Enter");
  await expect(page.getByText("No rows match these filters")).toBeVisible();
  await shot(page, "audit-empty");
  await page.getByLabel("Filter by action").fill("");
  await page.getByLabel("Filter by action").press("Enter");

  // Change something: a vault secret is added, then its hosts changed.
  const made = await request.post("/api/vault", { headers, data: { name: "AUDIT_E2E_TOKEN", value: VALUE, hosts: ["api.example.com"] } });
  expect(made.status()).toBe(201);
  const id = (await made.json()).id as string;
  expect((await request.patch(`/api/vault/${id}`, { headers, data: { hosts: ["api.example.com", "uploads.example.com"] } })).status()).toBe(
    200,
  );

  await page.getByLabel("Filter by object id").fill(id);
  await page.getByLabel("Filter by object id").press("Enter");
  const rows = page.getByTestId("audit-row");
  await expect(rows).toHaveCount(2);
  await expect(page.getByTestId("audit-action")).toHaveText(["vault_secret.update", "vault_secret.create"]);
  await rows.first().click();
  const detail = page.getByTestId("audit-detail");
  await expect(detail).toContainText("hosts");
  await expect(detail).toContainText("uploads.example.com");
  await rows.nth(1).click();
  await expect(page.getByTestId("audit-detail").filter({ hasText: "valueSealed" })).toContainText("[redacted]");
  await expect(page.getByText(VALUE)).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText("4b1d");
  await shot(page, "audit");
  // Leave the shared LAP as found: the Vault test starts from its empty state.
  expect((await request.delete(`/api/vault/${id}`, { headers })).status()).toBe(200);
});
