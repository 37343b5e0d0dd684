import type { Env } from "../config/schema";
import { ApiError } from "../lib/errors";
import { fetchWithinOrigin } from "../net/origin-fetch";

/** The variables of the external-LiteLLM mode (LLM_PROVIDER=litellm, server/config/schema.ts). */
export type ExternalLitellmSettings = Pick<
  Env,
  | "LLM_PROVIDER"
  | "LITELLM_BASE_URL"
  | "LITELLM_MASTER_KEY"
  | "LITELLM_MODELS"
  | "LITELLM_KEY_DURATION"
  | "LITELLM_KEY_ALIAS"
  | "LITELLM_MAX_BUDGET"
  | "LITELLM_RPM_LIMIT"
  | "LITELLM_TPM_LIMIT"
  | "LITELLM_TEAM_ID"
>;

/** Settings of the external-LiteLLM mode, or which variables are missing. */
export function litellmSettings(env: ExternalLitellmSettings) {
  const missing = [!env.LITELLM_BASE_URL && "LITELLM_BASE_URL", !env.LITELLM_MASTER_KEY && "LITELLM_MASTER_KEY"].filter(
    Boolean,
  ) as string[];
  return {
    mode: env.LLM_PROVIDER,
    missing,
    base_url: env.LITELLM_BASE_URL ?? null,
    master_key_set: Boolean(env.LITELLM_MASTER_KEY),
    models:
      env.LITELLM_MODELS?.split(",")
        .map((m) => m.trim())
        .filter(Boolean) ?? [],
    key_duration: env.LITELLM_KEY_DURATION ?? null,
    key_alias: env.LITELLM_KEY_ALIAS ?? null,
    max_budget: env.LITELLM_MAX_BUDGET ?? null,
    rpm_limit: env.LITELLM_RPM_LIMIT ?? null,
    tpm_limit: env.LITELLM_TPM_LIMIT ?? null,
    team_id: env.LITELLM_TEAM_ID ?? null,
  };
}

export const litellmMissingConfig = (missing: string[]) =>
  new ApiError(
    503,
    "litellm_missing_config",
    `LLM_PROVIDER=litellm needs ${missing.join(" and ")}: set them on the LAP server and restart`,
    missing.map((m) => ({ field: m, message: "not set" })),
  );

/** Mints a key on the external LiteLLM through its /key/generate admin API. */
export async function mintExternalKey(
  env: ExternalLitellmSettings,
  req: { sessionId?: string; agentId?: string; models?: string[]; maxBudget?: number; duration?: string },
): Promise<{ key: string; expires: string | null }> {
  const s = litellmSettings(env);
  if (s.missing.length) throw litellmMissingConfig(s.missing);
  const body: Record<string, unknown> = {
    models: req.models?.length ? req.models : s.models.length ? s.models : undefined,
    duration: req.duration ?? s.key_duration ?? undefined,
    key_alias: s.key_alias ? `${s.key_alias}-${req.sessionId ?? crypto.randomUUID().slice(0, 8)}` : undefined,
    max_budget: req.maxBudget ?? s.max_budget ?? undefined,
    rpm_limit: s.rpm_limit ?? undefined,
    tpm_limit: s.tpm_limit ?? undefined,
    team_id: s.team_id ?? undefined,
    metadata: { lap_session_id: req.sessionId, lap_agent_id: req.agentId },
  };
  // The operator's URL as configured; a redirect to another origin (with the master key) is not followed.
  const res = await fetchWithinOrigin(`${env.LITELLM_BASE_URL!.replace(/\/$/, "")}/key/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.LITELLM_MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok)
    throw new ApiError(502, "litellm_key_generate_failed", `LiteLLM /key/generate answered ${res.status}: ${text.slice(0, 300)}`);
  const json = JSON.parse(text) as { key: string; expires?: string | null };
  return { key: json.key, expires: json.expires ?? null };
}
