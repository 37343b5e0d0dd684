/** The LLM gateway (docs/gateway.md), and the external LiteLLM that can mint model keys instead. */
import { z } from "zod";
import { describedIn, intFromEnv, optionalString, optionalNumber, urlString } from "./fields";

const { plain, secret } = describedIn("LLM gateway");

export const llmGatewayEnv = {
  LITELLM_API_BASE: optionalString
    .pipe(urlString.optional())
    .meta(plain("Upstream LiteLLM (or any OpenAI-compatible) base URL the gateway can route to.")),
  LITELLM_API_KEY: optionalString.meta(secret("Key for LITELLM_API_BASE. Never enters a sandbox.")),
  LAP_GATEWAY_CONFIG: optionalString.meta(
    plain("Path to a LiteLLM-style config.yaml (model_list, router_settings) for the gateway's models."),
  ),
  LAP_GATEWAY_SPEND_QUEUE_MAX: intFromEnv(50_000, 100).meta(
    plain("Spend rows held in memory while the database is slow or down; beyond this they are dropped and counted."),
  ),
  LAP_GATEWAY_SPEND_FLUSH_MS: intFromEnv(500, 10).meta(plain("How often queued spend rows and key spend are written, in milliseconds.")),
  LAP_GATEWAY_STORE_PROMPTS: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false")
    .meta(
      plain(
        "Store each gateway call's request and response (truncated to 16 KB) in the spend log, for the dashboard's log drawer. Off by default: prompts can hold sensitive data.",
      ),
    ),
  LAP_TITLE_MODEL: optionalString.meta(
    plain(
      "Model that writes a session's title after its first turn, called through LAP's gateway and charged to the session's team (docs/sessions.md \"Titles\"). `agent`: the session's agent's own model. Unset: no titles are generated.",
    ),
  ),
  LLM_PROVIDER: z
    .enum(["lap", "litellm"])
    .default("lap")
    .meta(plain("Who mints per-agent model keys: `lap` (this gateway's virtual keys) or `litellm` (an external LiteLLM's /key/generate).")),
  LITELLM_BASE_URL: optionalString.pipe(urlString.optional()).meta(plain("External LiteLLM admin URL, used when LLM_PROVIDER=litellm.")),
  LITELLM_MASTER_KEY: optionalString.meta(secret("Master key of the external LiteLLM (LLM_PROVIDER=litellm).")),
  LITELLM_MODELS: optionalString.meta(plain("Comma-separated models for keys minted on the external LiteLLM.")),
  LITELLM_KEY_DURATION: optionalString.meta(plain("Lifetime of keys minted on the external LiteLLM, e.g. 30d.")),
  LITELLM_KEY_ALIAS: optionalString.meta(plain("Alias prefix of keys minted on the external LiteLLM.")),
  LITELLM_MAX_BUDGET: optionalNumber
    .pipe(z.number({ message: "must be a number" }).min(0).optional())
    .meta(plain("max_budget of keys minted on the external LiteLLM (USD).")),
  LITELLM_RPM_LIMIT: optionalNumber
    .pipe(z.number({ message: "must be a whole number" }).int("must be a whole number").min(1).optional())
    .meta(plain("rpm_limit of keys minted on the external LiteLLM.")),
  LITELLM_TPM_LIMIT: optionalNumber
    .pipe(z.number({ message: "must be a whole number" }).int("must be a whole number").min(1).optional())
    .meta(plain("tpm_limit of keys minted on the external LiteLLM.")),
  LITELLM_TEAM_ID: optionalString.meta(plain("team_id of keys minted on the external LiteLLM.")),
};
