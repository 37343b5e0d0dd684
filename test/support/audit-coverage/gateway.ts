/** The LLM gateway's virtual keys and models (LiteLLM's /key and /model routes). */
import { type Fixtures, type Scenarios, uid } from "./fixtures";

export function gatewayScenarios({ gatewayKey, model }: Fixtures): Scenarios {
  return {
    "POST /key/generate": async () => ({
      path: "/key/generate",
      body: { key_alias: `g-${uid()}`, max_budget: 5 },
      action: "gateway_key.create",
    }),
    "POST /key/update": async () => ({
      path: "/key/update",
      body: { key: await gatewayKey(), max_budget: 50 },
      action: "gateway_key.update",
    }),
    "POST /key/delete": async () => ({ path: "/key/delete", body: { keys: [await gatewayKey()] }, action: "key.revoke" }),
    "POST /model/new": async () => ({
      path: "/model/new",
      body: {
        model_name: `m-${uid()}`,
        litellm_params: { model: "openai/gpt-x", api_key: "sk-secret-provider-key", api_base: "http://127.0.0.1:1" },
      },
      action: "model.create",
    }),
    "POST /model/update": async () => ({
      path: "/model/update",
      body: { model_info: { id: await model() }, litellm_params: { api_key: "sk-another-secret-key" } },
      action: "model.update",
    }),
    "POST /model/delete": async () => ({ path: "/model/delete", body: { id: await model() }, action: "model.delete" }),
  };
}
