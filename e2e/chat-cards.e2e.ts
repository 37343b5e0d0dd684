// Issue 24, item 9: the chat. Tool cards say ok or error and how long they took, long output folds;
// each turn shows its tokens, cost and latency linked to its rows in Logs & spend; names instead of
// raw ids; and opening a long session loads its history in one request (it used to fire one request
// per few events). The LLM provider is the scripted stand-in (test/support/scripted-openai.ts).
import { expect, type APIRequestContext, test } from "@playwright/test";
import { type FakeProcess, login, MASTER_KEY, shot, startFakeProcess } from "./support";

const auth = { authorization: `Bearer ${MASTER_KEY}` };
// Enough turns for a session of at least 56 stored events (one agent.message per reply).
const TEXT_TURNS = 11;
let provider: FakeProcess;

test.beforeAll(async () => {
  const script = [
    { toolCalls: [{ name: "bash", arguments: { command: "seq 1 40" } }] },
    { text: "Counted to forty." },
    { toolCalls: [{ name: "no_such_tool", arguments: {} }] },
    { text: "That tool does not exist." },
    ...Array.from({ length: TEXT_TURNS }, (_, i) => ({ text: `Answer number ${i + 1}.` })),
  ];
  provider = await startFakeProcess("test/support/scripted-openai-server.ts", [JSON.stringify(script)]);
});
test.afterAll(() => provider?.stop());

async function idle(request: APIRequestContext, id: string) {
  await expect
    .poll(async () => (await (await request.get(`/api/sessions/${id}`, { headers: auth })).json()).status, { timeout: 60_000 })
    .toBe("idle");
}

test("tool cards, per-turn usage linked to the logs, names, and a long session opened in one history request", async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  // Priced, so each turn has a cost: $1 / $2 per million tokens.
  expect(
    (
      await request.post("/model/new", {
        headers: auth,
        data: {
          model_name: "chat-cards-model",
          litellm_params: {
            model: "openai/chat-cards-llm",
            api_base: provider.url,
            api_key: "sk-scripted",
            input_cost_per_token: 1e-6,
            output_cost_per_token: 2e-6,
          },
        },
      })
    ).status(),
  ).toBe(200);
  const agent = await (
    await request.post("/api/agents", {
      headers: auth,
      data: { name: "chat-cards", model: "chat-cards-model", runtime_id: "rt_local_sandbox", harness: "builtin" },
    })
  ).json();
  const session = await (
    await request.post("/api/sessions", {
      headers: auth,
      data: { agent_id: agent.id, title: "Counting session", prompt: "count to forty" },
    })
  ).json();
  await idle(request, session.id);
  for (const text of ["use a tool that does not exist", ...Array.from({ length: TEXT_TURNS }, (_, i) => `question ${i + 1}`)]) {
    expect((await request.post(`/api/sessions/${session.id}/messages`, { headers: auth, data: { text } })).status()).toBe(202);
    await idle(request, session.id);
  }
  const events = (await (await request.get(`/api/sessions/${session.id}/events?limit=1000`, { headers: auth })).json()).data as Array<{
    type: string;
    created_at: string;
  }>;
  // At least the 56 events of the session the issue opened (it fired 32 requests).
  expect(events.length).toBeGreaterThanOrEqual(56);
  // Spend rows are written a moment after a call: the page is opened once the last turn's call is logged.
  // Every turn's calls, not only the last one's: spend rows are written in batches, not in turn order.
  const turnStarts = events.filter((e) => e.type === "session.status_running").map((e) => Date.parse(e.created_at));
  await expect
    .poll(
      async () => {
        const rows = (await (await request.get(`/spend/logs?session_id=${session.id}&limit=1000`, { headers: auth })).json()) as
          | Array<{ start_time: string }>
          | { data: Array<{ start_time: string }> };
        const starts = (Array.isArray(rows) ? rows : rows.data).map((r) => Date.parse(r.start_time));
        return turnStarts.every((t, i) => starts.some((s) => s >= t && (i + 1 >= turnStarts.length || s < turnStarts[i + 1]!)));
      },
      { timeout: 20_000 },
    )
    .toBe(true);

  await login(page);
  // The home page's checklist reads the newest sessions' events too: let it finish before counting.
  await expect(page.getByTestId("get-started-progress")).toBeVisible();
  const calls: string[] = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/spend/")) calls.push(`${r.method()} ${url.pathname}`);
  });
  await page.goto(`/sessions/${session.id}`);
  await expect(page.getByTestId("msg-assistant").last()).toContainText(`Answer number ${TEXT_TURNS}.`);
  await expect(page.getByTestId("turn-usage")).toHaveCount(2 + TEXT_TURNS);
  await expect(page.getByTestId("connection")).toHaveText("live");

  // The whole history in one request, then the live stream: not one request per few events.
  const history = calls.filter(
    (c) => c.startsWith(`GET /api/sessions/${session.id}/events`) || c.startsWith(`GET /api/sessions/${session.id}/stream`),
  );
  expect(history).toEqual([`GET /api/sessions/${session.id}/events`, `GET /api/sessions/${session.id}/stream`]);
  expect(calls.filter((c) => c === `GET /api/sessions/${session.id}`)).toHaveLength(1);
  expect(calls.length, calls.join("\n")).toBeLessThanOrEqual(10);

  // Tool cards: ok with its duration and folded long output; the unknown tool is an error, output open.
  const cards = page.getByTestId("tool-card");
  await expect(cards).toHaveCount(2);
  const seq = cards.nth(0);
  await expect(seq.getByTestId("tool-status")).toHaveText("ok");
  await expect(seq.getByTestId("tool-duration")).toHaveText(/^\d+(\.\d)? (ms|s)$/);
  await expect(seq.getByTestId("tool-output")).toHaveCount(0);
  await seq.getByRole("button", { name: "Show output" }).click();
  await expect(seq.getByTestId("tool-output")).toContainText("40");
  await seq.getByRole("button", { name: "Hide output" }).click();
  await expect(seq.getByTestId("tool-output")).toHaveCount(0);
  const missing = cards.nth(1);
  await expect(missing.getByTestId("tool-status")).toHaveText("error");
  await expect(missing.getByTestId("tool-output")).toContainText("unknown tool no_such_tool");

  // Each turn: its model calls, tokens, cost and latency; a call links to its row in Logs & spend.
  const first = page.getByTestId("turn-usage").first();
  await expect(first.getByTestId("turn-calls")).toHaveText("2 model calls");
  await expect(first.getByTestId("turn-tokens")).toHaveText(/^[\d,]+ tokens$/);
  await expect(first.getByTestId("turn-cost")).toHaveText(/^\$0\.0\d+$/);
  await shot(page, "chat-tool-cards-usage");
  await first.locator("summary").click();
  await first.getByTestId("turn-log-link").first().click();
  const drawer = page.getByTestId("log-drawer");
  await expect(drawer).toBeVisible();
  await expect(drawer).toContainText(session.id);
  await expect(drawer).toContainText("chat-cards-model");

  // Names, not ids: the approvals and sandboxes pages name the session by its title.
  await page.goto("/sandboxes");
  await expect(page.getByTestId("sandbox-row").getByRole("link", { name: "Counting session" })).toHaveCount(1);
});
