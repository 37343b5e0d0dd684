/**
 * LAP's key and spend admin API against LiteLLM's documented wire format: the requests of LiteLLM's
 * own examples are accepted, and the answers carry the fields those examples show, with their types
 * (test/support/litellm-key-api.ts cites the pages). A client written against LiteLLM's docs works.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";
import {
  DOC_KEY,
  keyDelete,
  keyGenerate,
  keyInfo,
  keyList,
  keyUpdate,
  shapeMismatches,
  spendLogs,
} from "../../test/support/litellm-key-api";

let env: GatewayTestEnv;
beforeAll(async () => {
  env = await startGatewayTestEnv();
}, 60_000);
afterAll(() => env?.close());

/** A call the way LiteLLM's curl examples make it: the master key as a Bearer token, JSON bodies. */
async function call(method: "GET" | "POST", path: string, body?: unknown) {
  const res = await fetch(`${env.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${env.masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("LiteLLM's documented key API, sent to LAP", () => {
  test("/key/generate accepts each documented request and answers with key, expires, key_name and user_id", async () => {
    for (const [name, request] of Object.entries(keyGenerate.requests)) {
      const res = await call("POST", "/key/generate", request);
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      expect({ name, mismatches: shapeMismatches(res.body, keyGenerate.response) }).toEqual({ name, mismatches: [] });
      expect(res.body.key).toStartWith("sk-");
    }
    // The documented values were applied, not just accepted.
    const full = await call("POST", "/key/generate", keyGenerate.requests.full);
    const info = (await call("GET", `/key/info${keyInfo.query(full.body.key)}`)).body.info;
    expect(info).toMatchObject({
      models: ["gpt-3.5-turbo", "gpt-4", "claude-2"],
      metadata: { user: "ishaan@berri.ai" },
      team_id: "core-infra",
      max_budget: 10,
    });
    const minutes = (Date.parse(info.expires) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(18);
    expect(minutes).toBeLessThanOrEqual(20);
  });

  test("/key/info answers {key, info} with the documented fields; the key in info is its hash", async () => {
    const { body: made } = await call("POST", "/key/generate", keyGenerate.requests.quickStart);
    const res = await call("GET", `/key/info${keyInfo.query(made.key)}`);
    expect(res.status).toBe(200);
    expect(shapeMismatches(res.body, keyInfo.response)).toEqual([]);
    expect(res.body.info.token).not.toBe(made.key);
    expect(res.body.info.token).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.info.models).toEqual(["gpt-3.5-turbo", "gpt-4"]);
  });

  test("/key/update takes the documented body and answers with the key and the changed fields", async () => {
    const { body: made } = await call("POST", "/key/generate", keyGenerate.requests.quickStart);
    const res = await call("POST", "/key/update", keyUpdate.request(made.key));
    expect(res.status).toBe(200);
    expect(shapeMismatches(res.body, keyUpdate.response)).toEqual([]);
    expect(res.body).toMatchObject({
      key: made.key,
      models: ["gpt-3.5-turbo", "gpt-4", "claude-2"],
      metadata: { user: "ishaan@berri.ai" },
      team_id: "core-infra",
    });
  });

  test("/key/list answers the documented paging object, with full key objects on return_full_object", async () => {
    const { body: made } = await call("POST", "/key/generate", { ...keyGenerate.requests.quickStart, key_alias: "listed-by-doc" });
    const full = await call("GET", `/key/list?${new URLSearchParams({ ...keyList.query, key_alias: "listed-by-doc" })}`);
    expect(full.status).toBe(200);
    expect(shapeMismatches(full.body, keyList.response)).toEqual([]);
    expect(full.body).toMatchObject({ total_count: 1, current_page: 1, total_pages: 1 });
    expect(full.body.keys[0].token).toBe(made.token);
    const hashes = await call("GET", "/key/list?key_alias=listed-by-doc");
    expect(hashes.body.keys).toEqual([made.token]);
  });

  test("/key/delete takes the documented bodies (keys, key_aliases) and lists what it deleted", async () => {
    const { body: made } = await call("POST", "/key/generate", keyGenerate.requests.quickStart);
    const res = await call("POST", "/key/delete", keyDelete.request(made.key));
    expect(res.status).toBe(200);
    expect(shapeMismatches(res.body, keyDelete.response)).toEqual([]);
    expect(res.body.deleted_keys).toEqual([made.key]);
    expect((await call("GET", `/key/info${keyInfo.query(made.key)}`)).body.info.status).toBe("revoked");

    await call("POST", "/key/generate", { key_alias: "alias1" });
    const byAlias = await call("POST", "/key/delete", keyDelete.requestByAlias("alias1"));
    expect(byAlias.status).toBe(200);
    expect(byAlias.body.deleted_keys).toEqual(["alias1"]);
    // The docs' placeholder key is no key here: a clear 404, nothing deleted.
    const unknown = await call("POST", "/key/delete", keyDelete.request(DOC_KEY));
    expect(unknown.status).toBe(404);
  });
});

describe("LiteLLM's documented spend log, read from LAP", () => {
  test("/spend/logs?request_id= answers a list of rows with the documented fields, naming the key's user and team", async () => {
    const { body: made } = await call("POST", "/key/generate", {
      ...keyGenerate.requests.limits,
      models: ["gpt-fake"],
      key_alias: "spender",
      team_id: "core-infra",
    });
    const client = new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: made.key, maxRetries: 0 });
    const { response } = await client.chat.completions
      .create({ model: "gpt-fake", messages: [{ role: "user", content: "hi" }], user: "palantir" })
      .withResponse();
    await env.t.services.gateway.flush();
    const res = await call("GET", `/spend/logs${spendLogs.query(response.headers.get("x-request-id")!)}`);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    const row = (res.body as unknown as Record<string, any>[])[0]!;
    expect(shapeMismatches(row, spendLogs.row)).toEqual([]);
    expect(row).toMatchObject({
      call_type: "acompletion",
      api_key: made.token,
      user: "user-1234",
      team_id: "core-infra",
      end_user: "palantir",
      model_group: "gpt-fake",
      metadata: {
        user_api_key: made.token,
        user_api_key_alias: "spender",
        user_api_key_user_id: "user-1234",
        user_api_key_team_id: "core-infra",
      },
    });
    expect(row.total_tokens).toBe(row.prompt_tokens + row.completion_tokens);
  });
});
