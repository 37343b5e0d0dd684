/** The supervisor's events route validates `user.tool_confirmation` like the rest of its Managed Agents API. */
import { expect, test } from "bun:test";
import { createHandler } from "./routes";
import { Supervisor } from "./supervisor";

const TOKEN = "supervisor-token-0123456789";
const sup = new Supervisor({ harnessName: "builtin", harnessEntry: "/nonexistent", bunPath: process.execPath, workspace: "/tmp", harnessEnv: {}, token: TOKEN, defaultMaxSteps: 5, log: () => {} });
const handle = createHandler(sup);
const call = (path: string, body: unknown) =>
  handle(new Request(`http://sandbox${path}`, { method: "POST", headers: { "x-api-key": TOKEN, "content-type": "application/json" }, body: JSON.stringify(body) }));

test("a confirmation with a bad result is 400 naming the field; a good one needs a running harness", async () => {
  const bound = await call("/lap/bind", { sessionId: "ses_1", agentId: "a", gatewayKey: "k", gatewayBaseUrl: "http://127.0.0.1:1/v1", model: "m", approvalRequiredTools: ["bash"] });
  expect(bound.status).toBe(200);
  const bad = await call("/v1/sessions/ses_1/events", { events: [{ type: "user.tool_confirmation", tool_use_id: "t1", result: "maybe" }] });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { fields: { field: string }[] } }).error.fields[0]!.field).toBe("events.0.result");
  const missing = await call("/v1/sessions/ses_1/events", { events: [{ type: "user.tool_confirmation", result: "allow" }] });
  expect(missing.status).toBe(400);
  // No harness process in this test: the confirmation is refused, and nothing is logged as sent.
  const before = sup.log.lastSeq;
  const noHarness = await call("/v1/sessions/ses_1/events", { events: [{ type: "user.tool_confirmation", tool_use_id: "t1", result: "allow" }] });
  expect(noHarness.status).toBe(409);
  expect(sup.log.lastSeq).toBe(before);
});
