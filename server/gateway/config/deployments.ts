import { createHash } from "node:crypto";
import type { Deployment, Json, ProviderKind } from "../types";

/** LiteLLM provider prefixes that speak the OpenAI wire format, and their default base URLs. */
const OPENAI_COMPATIBLE: Record<string, string | undefined> = {
  openai: "https://api.openai.com/v1",
  hosted_vllm: undefined,
  vllm: undefined,
  ollama: "http://localhost:11434/v1",
  ollama_chat: "http://localhost:11434/v1",
  openrouter: "https://openrouter.ai/api/v1",
  litellm_proxy: undefined,
  text_completion_openai: "https://api.openai.com/v1",
};
const ANTHROPIC_BASE = "https://api.anthropic.com";

export interface LitellmParams {
  model: string;
  api_base?: string;
  api_key?: string;
  rpm?: number;
  tpm?: number;
  order?: number;
  weight?: number;
  timeout?: number;
  input_cost_per_token?: number;
  output_cost_per_token?: number;
}

export interface DeploymentInput {
  id?: string;
  model_name: string;
  litellm_params: LitellmParams;
  model_info?: Json;
}

/** Ollama's native base (`:11434`) needs `/v1` for its OpenAI-compatible API. */
function normalizeBase(prefix: string, base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if ((prefix === "ollama" || prefix === "ollama_chat") && !trimmed.endsWith("/v1")) return `${trimmed}/v1`;
  return trimmed;
}

/**
 * Turns a LiteLLM `model_list` entry into a deployment. `model: anthropic/claude-x` speaks Anthropic;
 * every other known prefix (or none) speaks OpenAI. `litellm_proxy/…` defaults to LITELLM_API_BASE.
 */
export function toDeployment(
  input: DeploymentInput,
  source: Deployment["source"],
  env: { litellmApiBase?: string; litellmApiKey?: string } = {},
): Deployment {
  const p = input.litellm_params;
  const slash = p.model.indexOf("/");
  const prefix = slash > 0 ? p.model.slice(0, slash) : "openai";
  const rest = slash > 0 ? p.model.slice(slash + 1) : p.model;
  let provider: ProviderKind = "openai";
  let apiBase: string | undefined;
  let upstreamModel = rest;
  let apiKey = p.api_key;
  if (prefix === "anthropic") {
    provider = "anthropic";
    apiBase = p.api_base ?? ANTHROPIC_BASE;
  } else if (prefix in OPENAI_COMPATIBLE) {
    apiBase = p.api_base ?? (prefix === "litellm_proxy" ? env.litellmApiBase : OPENAI_COMPATIBLE[prefix]);
    if (prefix === "litellm_proxy") apiKey ??= env.litellmApiKey;
  } else {
    // Unknown prefix (e.g. `mistral/x` behind an OpenAI-compatible base): keep the whole name.
    upstreamModel = p.model;
    apiBase = p.api_base;
  }
  if (!apiBase) throw new Error(`model ${input.model_name}: litellm_params.api_base is required for ${p.model}`);
  const info = input.model_info ?? {};
  const id =
    (info.id as string | undefined) ??
    input.id ??
    createHash("sha256").update(`${input.model_name}|${p.model}|${apiBase}`).digest("hex").slice(0, 16);
  return {
    id,
    modelName: input.model_name,
    provider,
    upstreamModel,
    apiBase: normalizeBase(prefix, provider === "anthropic" ? apiBase.replace(/\/v1\/?$/, "") : apiBase),
    apiKey,
    rpm: p.rpm,
    tpm: p.tpm,
    order: p.order ?? 0,
    weight: p.weight ?? 1,
    timeoutMs: p.timeout ? p.timeout * 1000 : undefined,
    inputCostPerToken: p.input_cost_per_token ?? (info.input_cost_per_token as number | undefined),
    outputCostPerToken: p.output_cost_per_token ?? (info.output_cost_per_token as number | undefined),
    modelInfo: info,
    source,
  };
}

/** The upstream model for a request: wildcard groups substitute the part the `*` matched. */
export function upstreamModelFor(dep: Deployment, requested: string): string {
  if (!dep.modelName.endsWith("*")) return dep.upstreamModel;
  const suffix = requested.slice(dep.modelName.length - 1);
  return dep.upstreamModel.includes("*") ? dep.upstreamModel.replace("*", suffix) : dep.upstreamModel || suffix;
}
