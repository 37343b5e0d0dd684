import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { DEFAULT_ROUTER_SETTINGS, type Deployment, type RouterSettings } from "../types";
import { toDeployment } from "./deployments";

const num = z.coerce.number();
const litellmParams = z.looseObject({
  model: z.string().min(1),
  api_base: z.string().optional(),
  api_key: z.string().optional(),
  rpm: num.optional(),
  tpm: num.optional(),
  order: num.optional(),
  weight: num.optional(),
  timeout: num.optional(),
  input_cost_per_token: num.optional(),
  output_cost_per_token: num.optional(),
});

export const configFileSchema = z.looseObject({
  model_list: z
    .array(
      z.looseObject({
        model_name: z.string().min(1),
        litellm_params: litellmParams,
        model_info: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .default([]),
  router_settings: z
    .looseObject({
      routing_strategy: z
        .enum([
          "simple-shuffle",
          "least-busy",
          "latency-based",
          "usage-based",
          "latency-based-routing",
          "usage-based-routing",
          "usage-based-routing-v2",
        ])
        .optional(),
      // LiteLLM accepts [{ "gpt-4": ["gpt-3.5"] }]; `fallback_model` is a catch-all used by some configs.
      fallbacks: z.array(z.record(z.string(), z.array(z.string()))).optional(),
      fallback_model: z.string().optional(),
      allowed_fails: num.optional(),
      cooldown_time: num.optional(),
      num_retries: num.optional(),
      timeout: num.optional(),
    })
    .optional(),
  litellm_settings: z
    .looseObject({
      num_retries: num.optional(),
      request_timeout: num.optional(),
      fallbacks: z.array(z.record(z.string(), z.array(z.string()))).optional(),
    })
    .optional(),
});

/** `os.environ/NAME` values are read from the environment, as LiteLLM does; a missing one is an error. */
function resolveEnvRefs(value: unknown, env: Record<string, string | undefined>, where: string): unknown {
  if (typeof value === "string" && value.startsWith("os.environ/")) {
    const name = value.slice("os.environ/".length);
    const resolved = env[name];
    if (resolved === undefined) throw new Error(`${where}: environment variable ${name} is not set`);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, `${where}[${i}]`));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnvRefs(v, env, `${where}.${k}`)]));
  }
  return value;
}

export interface GatewayFileConfig {
  deployments: Deployment[];
  router: RouterSettings;
}

export function parseGatewayConfig(
  text: string,
  env: Record<string, string | undefined>,
  litellm: { litellmApiBase?: string; litellmApiKey?: string } = {},
): GatewayFileConfig {
  const raw = resolveEnvRefs(parse(text) ?? {}, env, "config");
  const result = configFileSchema.safeParse(raw);
  if (!result.success) {
    throw new Error(`Invalid gateway config: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const cfg = result.data;
  const rs = cfg.router_settings ?? {};
  const ls = cfg.litellm_settings ?? {};
  const fallbacks: Record<string, string[]> = {};
  for (const entry of [...(ls.fallbacks ?? []), ...(rs.fallbacks ?? [])]) Object.assign(fallbacks, entry);
  if (rs.fallback_model) {
    for (const m of cfg.model_list) if (m.model_name !== rs.fallback_model) fallbacks[m.model_name] ??= [rs.fallback_model];
  }
  const strategy = (rs.routing_strategy ?? "simple-shuffle").replace(/-routing(-v2)?$/, "") as RouterSettings["routingStrategy"];
  return {
    deployments: cfg.model_list.map((m) => toDeployment(m, "config", litellm)),
    router: {
      routingStrategy: strategy,
      fallbacks,
      allowedFails: rs.allowed_fails ?? DEFAULT_ROUTER_SETTINGS.allowedFails,
      cooldownSeconds: rs.cooldown_time ?? DEFAULT_ROUTER_SETTINGS.cooldownSeconds,
      numRetries: rs.num_retries ?? ls.num_retries ?? DEFAULT_ROUTER_SETTINGS.numRetries,
      timeoutMs: (rs.timeout ?? ls.request_timeout ?? DEFAULT_ROUTER_SETTINGS.timeoutMs / 1000) * 1000,
    },
  };
}

export function loadGatewayConfigFile(
  path: string,
  env: Record<string, string | undefined>,
  litellm: { litellmApiBase?: string; litellmApiKey?: string } = {},
): GatewayFileConfig {
  return parseGatewayConfig(readFileSync(path, "utf8"), env, litellm);
}
