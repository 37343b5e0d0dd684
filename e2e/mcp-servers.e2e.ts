import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test } from "@playwright/test";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { login, MASTER_KEY, shot } from "./support";

const EVERYTHING = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "node_modules/@modelcontextprotocol/server-everything/dist/index.js",
);

test("register an MCP server, test it, grant a key, call it through LAP, see the calls", async ({ page, request, baseURL }) => {
  // Starts a real stdio MCP server (node) more than once: on a loaded 2-core machine that alone can take 10-20 s.
  test.setTimeout(90_000);
  await login(page);
  await page.keyboard.press("g");
  await page.keyboard.press("p");
  await expect(page.getByRole("heading", { name: "MCP servers", exact: true })).toBeVisible();
  await shot(page, "mcp-empty");

  // Add a stdio server; a bad name is refused with the reason next to the field.
  await page
    .getByRole("button", { name: /Add server/ })
    .first()
    .click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel(/^Name/).fill("Bad_Name");
  await dialog.getByLabel(/^Transport/).selectOption("stdio");
  await dialog.getByLabel(/^Command/).fill("/usr/bin/node");
  await dialog.getByLabel(/^Arguments/).fill(`${EVERYTHING}\nstdio`);
  await dialog.getByRole("button", { name: "Add server" }).click();
  await expect(dialog).toContainText("lowercase");
  await dialog.getByLabel(/^Name/).fill("everything");
  await dialog.getByRole("button", { name: "Add server" }).click();
  await expect(page.getByTestId("server-row")).toHaveCount(1);
  await expect(page.getByTestId("server-row")).toContainText("stdio");

  // Test the connection: its tools are listed; disable one.
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId("test-result")).toContainText("Connected", { timeout: 20_000 });
  await expect(page.getByTestId("tool-row").filter({ hasText: "echo" }).first()).toBeVisible();
  await expect(page.getByTestId("health")).toContainText("connected");
  // The tool list stays while tools are toggled (it used to vanish: the server's update reset it).
  await page.getByLabel("Enable get-env").uncheck();
  await expect(page.getByLabel("Enable get-env")).not.toBeChecked();
  await expect(page.getByTestId("tool-row").filter({ hasText: "echo" }).first()).toBeVisible();
  await shot(page, "mcp-tested");

  // A user key for an agent session, granted two tools.
  const created = await request.post("/api/keys", {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
    data: { label: "agent-session", role: "user", metadata: { session_id: "e2e-session" } },
  });
  const { key, token } = await created.json();
  await page.getByLabel("Subject id").fill(key.id);
  await page.getByLabel("Tools").fill("echo, get-env");
  await page.getByRole("button", { name: "Grant" }).click();
  await expect(page.getByTestId("grant-row")).toContainText(key.id);

  // An MCP client points at LAP with that key: it sees only what it may call.
  const client = new Client({ name: "e2e", version: "1" }, { capabilities: {} });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${baseURL}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  const names = (await client.listTools()).tools.map((t) => t.name);
  expect(names).toEqual(["everything__echo"]);
  const res = await client.callTool({ name: "everything__echo", arguments: { message: "from e2e" } });
  expect(res.content).toEqual([{ type: "text", text: "Echo: from e2e" }]);
  await expect(client.callTool({ name: "everything__get-sum", arguments: { a: 1, b: 2 } })).rejects.toThrow(/Access denied/);
  await client.close();

  // Every call is recorded, attributed to the session.
  await page.getByRole("button", { name: "Refresh" }).click();
  const rows = page.getByTestId("call-row");
  await expect(rows.filter({ hasText: "echo" }).first()).toContainText("ok");
  await expect(rows.filter({ hasText: "get-sum" }).first()).toContainText("denied");
  await expect(rows.first()).toContainText("e2e-session");
  await shot(page, "mcp-calls");
});
