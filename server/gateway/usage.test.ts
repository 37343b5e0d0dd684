import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";

/** GET /spend/usage: the Usage page's calls per day, model, key and agent, in a date range. */
let env: GatewayTestEnv;
beforeAll(async () => {
  env = await startGatewayTestEnv();
}, 60_000);
afterAll(() => env?.close());

const today = () => new Date().toISOString().slice(0, 10);

describe("usage report", () => {
  test("groups calls by day, model, key and agent (with its name), zero-fills the range's days", async () => {
    const { body: key } = await env.t.json("POST", "/key/generate", { body: { key_alias: "usage-key" } });
    const { body: agent } = await env.t.json("POST", "/api/agents", { body: { name: "usage-agent", model: "priced", runtime_id: null } });
    expect(agent.id).toBeTruthy();
    const session = await env.t.services.gateway.mintSessionKey({
      sessionId: "ses-usage",
      agentId: agent.id,
      models: ["priced", "gpt-fake"],
    });
    const byKey = new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: key.key, maxRetries: 0 });
    const byAgent = new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: session.key, maxRetries: 0 });
    await byKey.chat.completions.create({ model: "priced", messages: [{ role: "user", content: "one" }] });
    await byKey.chat.completions.create({ model: "priced", messages: [{ role: "user", content: "two" }] });
    await byAgent.chat.completions.create({ model: "gpt-fake", messages: [{ role: "user", content: "three" }] });
    expect(
      await byKey.chat.completions
        .create({ model: "no-such-usage-model", messages: [{ role: "user", content: "x" }] })
        .catch((e) => e.status),
    ).toBe(400);
    await env.t.services.gateway.flush();

    const res = await env.t.json("GET", `/spend/usage?start_date=${today()}&end_date=${today()}`);
    expect(res.status).toBe(200);
    expect(res.body.days).toEqual([today()]);
    const rows = res.body.rows as Array<Record<string, unknown>>;
    const priced = rows.find((r) => r.model_group === "priced" && r.key_alias === "usage-key")!;
    expect(priced).toMatchObject({ day: today(), requests: 2, failures: 0, agent_id: null });
    expect(priced.spend as number).toBeGreaterThan(0);
    expect(priced.prompt_tokens as number).toBeGreaterThan(0);
    expect(rows.find((r) => r.agent_id === agent.id)).toMatchObject({ agent_name: "usage-agent", model_group: "gpt-fake", requests: 1 });
    // A refused call counts as a request and an error.
    expect(rows.find((r) => r.model_group === "no-such-usage-model")).toMatchObject({ requests: 1, failures: 1, key_alias: "usage-key" });

    // The default range is the last 30 days, every one of them listed.
    const month = await env.t.json("GET", "/spend/usage");
    expect(month.body.days).toHaveLength(30);
    expect(month.body.days.at(-1)).toBe(today());
    // A range before any call has its days and no rows.
    const past = await env.t.json("GET", "/spend/usage?start_date=2020-01-01&end_date=2020-01-03");
    expect(past.body).toMatchObject({ days: ["2020-01-01", "2020-01-02", "2020-01-03"], rows: [] });
  });

  test("a bad range is a 400 naming the field; only admins may read usage", async () => {
    const words = await env.t.json("GET", "/spend/usage?start_date=last%20week");
    expect(words.status).toBe(400);
    expect(words.body.error.fields).toEqual([{ field: "start_date", message: "must be a date (YYYY-MM-DD)" }]);
    const backwards = await env.t.json("GET", "/spend/usage?start_date=2026-03-02&end_date=2026-03-01");
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.fields).toEqual([{ field: "start_date", message: "must not be after end_date" }]);
    const long = await env.t.json("GET", "/spend/usage?start_date=2024-01-01&end_date=2026-01-01");
    expect(long.status).toBe(400);
    expect(long.body.error.fields[0].field).toBe("start_date");
    const { body: gw } = await env.t.json("POST", "/key/generate", { body: { key_alias: "usage-reader" } });
    expect((await env.t.json("GET", "/spend/usage", { key: gw.key })).status).toBe(403);
    const { body: user } = await env.t.json("POST", "/api/keys", { body: { label: "usage-user", kind: "user" } });
    expect((await env.t.json("GET", "/spend/usage", { key: user.token })).status).toBe(403);
  });
});
