/**
 * LiteLLM's key and spend admin API as its documentation shows it: the request bodies of its examples
 * and the fields (with their types) of its example responses. LAP's gateway says it is compatible
 * (docs/gateway.md); server/gateway/litellm-compat.test.ts sends these requests to LAP and checks its
 * answers against these shapes, so LAP drifting from LiteLLM's documented wire format fails a test.
 *
 * Sources (examples copied as documented; placeholder keys stay placeholders and are replaced by a
 * real LAP key in the test):
 *  - https://docs.litellm.ai/docs/proxy/virtual_keys: /key/generate, /key/info, /key/update, /key/delete
 *    (request and response examples; also in BerriAI/litellm docs/my-website/docs/proxy/virtual_keys.md)
 *  - https://docs.litellm.ai/docs/proxy/cost_tracking: the /spend/logs response and the fields of a
 *    LiteLLM_SpendLogs row ("Verify Spend Tracked")
 *  - https://litellm-api.up.railway.app/ (LiteLLM's API reference, generated from
 *    litellm/proxy/management_endpoints/key_management_endpoints.py): /key/list's query parameters and its
 *    KeyListResponseObject {keys, total_count, current_page, total_pages}; /key/delete's key_aliases;
 *    /key/generate's documented return fields (key, expires, user_id)
 */

/** A documented field type; `|null` where the docs show null or an Optional. */
export type FieldType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "datetime";
export interface Shape {
  [field: string]: FieldType | `${FieldType}|null` | Shape;
}

/** The placeholder the docs use for the key being read, changed or deleted. */
export const DOC_KEY = "sk-kdEXbIqZRwEeEiHwdg7sFA";

export const keyGenerate = {
  requests: {
    // virtual_keys: "## /key/generate ### Request"
    full: {
      models: ["gpt-3.5-turbo", "gpt-4", "claude-2"],
      duration: "20m",
      metadata: { user: "ishaan@berri.ai" },
      team_id: "core-infra",
      max_budget: 10,
    },
    // virtual_keys: "Quick Start - Generate a Key"
    quickStart: { models: ["gpt-3.5-turbo", "gpt-4"], metadata: { user: "ishaan@berri.ai" } },
    // virtual_keys: "Set Budgets - Per Key"
    budget: { metadata: { user: "ishaan@berri.ai" }, team_id: "core-infra", max_budget: 10 },
    // API reference: the documented limit and identity parameters
    limits: {
      key_alias: "my-app-prod",
      user_id: "user-1234",
      rpm_limit: 1000,
      tpm_limit: 100000,
      max_parallel_requests: 10,
      budget_duration: "30d",
    },
  },
  // virtual_keys: {"key": "sk-kdEXbIqZRwEeEiHwdg7sFA", "expires": "2023-11-19T01:38:25.838000+00:00", "key_name": "sk-...7sFA"};
  // API reference "Returns": key (str), expires (datetime), user_id (str)
  response: { key: "string", expires: "datetime|null", key_name: "string", user_id: "string|null" } satisfies Shape,
};

export const keyInfo = {
  // virtual_keys: curl -X GET "http://0.0.0.0:8000/key/info?key=sk-02Wr4IAlN3NvPXvL5JVvDA"
  query: (key: string) => `?key=${encodeURIComponent(key)}`,
  // virtual_keys "/key/info ### Response" (`token` is the hashed key)
  response: {
    key: "string",
    info: {
      token: "string",
      spend: "number",
      expires: "datetime|null",
      models: "array",
      aliases: "object",
      config: "object",
      user_id: "string|null",
      team_id: "string|null",
      max_parallel_requests: "integer|null",
      metadata: "object",
    },
  } satisfies Shape,
};

export const keyUpdate = {
  // virtual_keys "/key/update ### Request"
  request: (key: string) => ({
    key,
    models: ["gpt-3.5-turbo", "gpt-4", "claude-2"],
    metadata: { user: "ishaan@berri.ai" },
    team_id: "core-infra",
  }),
  // virtual_keys: {"key": "sk-kdEXbIqZRwEeEiHwdg7sFA", "models": [...], "metadata": {"user": "ishaan@berri.ai"}}
  response: { key: "string", models: "array", metadata: "object" } satisfies Shape,
};

export const keyDelete = {
  // virtual_keys "/key/delete ### Request"
  request: (key: string) => ({ keys: [key] }),
  // API reference: "Example {"key_aliases": ["alias1", "alias2"]}"
  requestByAlias: (...aliases: string[]) => ({ key_aliases: aliases }),
  // virtual_keys: {"deleted_keys": ["sk-kdEXbIqZRwEeEiHwdg7sFA"]}
  response: { deleted_keys: "array" } satisfies Shape,
};

export const keyList = {
  // API reference: page, size, user_id, team_id, key_alias, return_full_object
  query: { page: "1", size: "10", return_full_object: "true" },
  // KeyListResponseObject
  response: { keys: "array", total_count: "integer|null", current_page: "integer|null", total_pages: "integer|null" } satisfies Shape,
};

export const spendLogs = {
  // cost_tracking: curl -X GET "http://0.0.0.0:4000/spend/logs?request_id=<your-call-id>"
  query: (requestId: string) => `?request_id=${encodeURIComponent(requestId)}`,
  // cost_tracking "/spend/logs Response Format" (one element of the array) and the LiteLLM_SpendLogs fields
  // listed under "Verify Spend Tracked"
  row: {
    request_id: "string",
    call_type: "string",
    metadata: {
      user_api_key: "string|null",
      user_api_key_alias: "string|null",
      user_api_key_team_id: "string|null",
      user_api_key_user_id: "string|null",
    },
    api_key: "string|null",
    user: "string|null",
    team_id: "string|null",
    request_tags: "array",
    end_user: "string|null",
    model_group: "string|null",
    api_base: "string|null",
    spend: "number",
    total_tokens: "integer",
    completion_tokens: "integer",
    prompt_tokens: "integer",
  } satisfies Shape,
};

/** Where `value` differs from `shape`: missing fields and wrong types, one line each (empty when it matches). */
export function shapeMismatches(value: unknown, shape: Shape, path = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return [`${path || "(body)"}: expected an object, got ${JSON.stringify(value)}`];
  const obj = value as Record<string, unknown>;
  const out: string[] = [];
  for (const [field, want] of Object.entries(shape)) {
    const where = path ? `${path}.${field}` : field;
    if (!(field in obj)) {
      out.push(`${where}: missing`);
      continue;
    }
    const v = obj[field];
    if (typeof want === "object") {
      out.push(...shapeMismatches(v, want, where));
      continue;
    }
    const [type, nullable] = (want as string).split("|") as [FieldType, string | undefined];
    if (v === null) {
      if (!nullable) out.push(`${where}: null, documented as ${type}`);
      continue;
    }
    const ok = {
      string: typeof v === "string",
      number: typeof v === "number" && Number.isFinite(v),
      integer: Number.isInteger(v),
      boolean: typeof v === "boolean",
      object: typeof v === "object" && !Array.isArray(v),
      array: Array.isArray(v),
      datetime: typeof v === "string" && !Number.isNaN(Date.parse(v)),
    }[type];
    if (!ok) out.push(`${where}: ${JSON.stringify(v)} is not ${type}`);
  }
  return out;
}
