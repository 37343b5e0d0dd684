import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gatewayModels } from "../../schema";
import { startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";

/**
 * Issue 15, items 9 and 11 on the LLM gateway: model names echoed in headers, deployment params
 * stored in plain JSON, and caller strings the spend log cannot store.
 */
let env: GatewayTestEnv;
beforeAll(async () => {
  env = await startGatewayTestEnv({ env: { LAP_GATEWAY_STORE_PROMPTS: "true" } });
}, 60_000);
afterAll(() => env?.close());

const chat = (body: Record<string, unknown>) =>
  env.t.json("POST", "/v1/chat/completions", { body: { messages: [{ role: "user", content: "hi" }], ...body } });

describe("model names", () => {
  test("a non-Latin-1 or over-long model name is a 400 naming `model`, not a 500 from the response header", async () => {
    for (const model of ["openai/модель", "openai/x\r\nset-cookie: a=b", `openai/${"x".repeat(300)}`, "openai/a\u0000"]) {
      const res = await chat({ model });
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe("model");
    }
  });

  test("a deployment id that is not ASCII is made header-safe, and the call succeeds", async () => {
    const added = await env.t.json("POST", "/model/new", {
      body: {
        model_name: "unicode-id",
        litellm_params: { model: "openai/gpt-4o-mini", api_base: env.openai.url, api_key: "sk-fake-openai-provider-key" },
        model_info: { id: "dépl-模型" },
      },
    });
    expect(added.status).toBe(200);
    const res = await env.t.request("POST", "/v1/chat/completions", {
      body: { model: "unicode-id", messages: [{ role: "user", content: "hi" }] },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-id")).toBe(encodeURIComponent("dépl-模型").replace(/%2D/g, "-"));
  });
});

describe("deployment params at rest", () => {
  const secrets = ["sk-provider-key-1", "aws-secret-2", "vertex-cred-3", "header-secret-4", "url-password-5", "url-query-6"];

  test("every credential-like param is sealed, the base URL's credentials too, and views show none of them", async () => {
    const res = await env.t.json("POST", "/model/new", {
      body: {
        model_name: "sealed-model",
        litellm_params: {
          model: "openai/gpt-4o-mini",
          api_base: "https://user:url-password-5@llm.example.com/v1?key=url-query-6",
          api_key: "sk-provider-key-1",
          aws_secret_access_key: "aws-secret-2",
          vertex_credentials: JSON.stringify({ private_key: "vertex-cred-3" }),
          extra_headers: { "x-api-key": "header-secret-4" },
          rpm: 10,
        },
      },
    });
    expect(res.status).toBe(200);
    const id = res.body.model_info.id as string;
    const [row] = await env.t.database.db
      .select()
      .from(gatewayModels)
      .where((await import("drizzle-orm")).eq(gatewayModels.id, id));
    const stored = JSON.stringify(row);
    for (const s of secrets) expect(stored).not.toContain(s);
    expect(row!.paramsSealed).toBeString();
    expect(row!.litellmParams).toMatchObject({
      model: "openai/gpt-4o-mini",
      rpm: 10,
      api_base: "https://***:***@llm.example.com/v1?key=***",
    });

    const info = await env.t.request("GET", "/v1/model/info");
    const infoText = await info.text();
    for (const s of secrets) expect(infoText).not.toContain(s);
    expect(JSON.stringify(res.body)).not.toContain("url-password-5");

    // The router still has the real values.
    const dep = env.t.services.gateway.router.deployments().find((d) => d.id === id)!;
    expect(dep.apiBase).toContain("url-password-5");
    expect(dep.apiKey).toBe("sk-provider-key-1");
  });

  test("a row stored before sealing is sealed when LAP loads it", async () => {
    await env.t.database.db.insert(gatewayModels).values({
      id: "legacy-1",
      modelName: "legacy",
      litellmParams: { model: "openai/gpt-4o-mini", api_base: env.openai.url, aws_secret_access_key: "legacy-secret-7" },
    });
    const loaded = await env.t.services.gateway.models.all(() => {});
    expect(loaded.find((d) => d.id === "legacy-1")).toBeDefined();
    const [row] = await env.t.database.query<{ litellm_params: unknown; params_sealed: string | null }>(
      "select litellm_params, params_sealed from gateway_models where id = 'legacy-1'",
    );
    expect(JSON.stringify(row!.litellm_params)).not.toContain("legacy-secret-7");
    expect(row!.params_sealed).toBeString();
  });
});

describe("the spend log takes whatever a caller sends", () => {
  test("NUL and lone surrogates in `user` and the stored prompt do not poison the spend batch", async () => {
    const res = await chat({
      model: "gpt-fake",
      user: "end\u0000user\ud800",
      messages: [{ role: "user", content: "nul \u0000 and \udc00 here" }],
    });
    expect(res.status).toBe(200);
    const good = await chat({ model: "gpt-fake", user: "plain-user" });
    expect(good.status).toBe(200);
    await env.t.services.gateway.flush();
    const rows = await env.t.database.query<{ end_user: string; request_body: unknown }>(
      "select end_user, request_body from gateway_spend_logs where end_user like 'end%' or end_user = 'plain-user' order by end_user",
    );
    expect(rows.map((r) => r.end_user)).toEqual(["end\ufffduser\ufffd", "plain-user"]);
    expect(JSON.stringify(rows[0]!.request_body)).toContain("nul \ufffd and \ufffd here");
    expect(env.t.services.gateway.spend.stats.failedFlushes).toBe(0);
  });
});
