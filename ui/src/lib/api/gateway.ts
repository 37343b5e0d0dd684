// Typed calls to the LLM gateway's API (LiteLLM-compatible paths). Types come from the server's models.
import type { KeyInfo } from "../../../../server/gateway/keys/model";
import { request } from "./client";

export type { KeyInfo };

/** A model's last Test (POST /api/gateway/models/test), kept by LAP. */
export interface ModelTest {
  ok: boolean;
  latency_ms: number;
  error: string | null;
  checked_at: string;
}

export interface DeploymentView {
  model_name: string;
  litellm_params: { model: string; api_base: string; rpm: number | null; tpm: number | null; order: number };
  model_info: {
    id: string;
    provider: "openai" | "anthropic";
    source: "config" | "database" | "env";
    has_api_key: boolean;
    input_cost_per_token: number | null;
    output_cost_per_token: number | null;
    /** false: calls are logged at $0 because nothing says what the model costs. */
    priced?: boolean;
    last_test?: ModelTest | null;
  };
}

export interface SpendLog {
  request_id: string;
  key_hash: string | null;
  key_id: string | null;
  key_alias: string | null;
  route: string;
  model_group: string | null;
  deployment: string | null;
  provider: string | null;
  api_base: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  spend: number;
  /** false: the model had no price (spend 0 means unknown); null: no provider was called. */
  priced: boolean | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  stream: boolean;
  status: "success" | "failure";
  http_status: number | null;
  error: string | null;
  attempts: { deployment: string; model_group: string; status: number | string; error?: string; ms: number; cooldown?: boolean }[];
  session_id: string | null;
  agent_id: string | null;
  end_user: string | null;
  /** Present only when LAP_GATEWAY_STORE_PROMPTS=true. */
  request_body: unknown;
  response_body: unknown;
  start_time: string;
  end_time: string;
}

export interface DailySpend {
  day: string;
  key_id: string | null;
  key_alias: string | null;
  model_group: string | null;
  requests: number;
  failures: number;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
}

export interface GatewaySettings {
  mode: "lap" | "litellm";
  missing: string[];
  base_url: string | null;
  master_key_set: boolean;
  config_file: string | null;
  spend_queue: { queued: number; written: number; dropped: number; failedFlushes: number };
  router: {
    routingStrategy: string;
    numRetries: number;
    allowedFails: number;
    cooldownSeconds: number;
    timeoutMs: number;
    fallbacks: Record<string, string[]>;
  };
}

export interface NewKeyInput {
  key_alias?: string;
  models?: string[];
  max_budget?: number | null;
  budget_duration?: string | null;
  rpm_limit?: number | null;
  tpm_limit?: number | null;
  max_parallel_requests?: number | null;
  duration?: string | null;
}

const qs = (params: Record<string, string | undefined>) => {
  const s = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => Boolean(e[1]))).toString();
  return s ? `?${s}` : "";
};

export const gatewayApi = {
  settings: () => request<GatewaySettings>("GET", "/api/gateway/settings"),
  models: {
    list: () => request<{ data: DeploymentView[] }>("GET", "/v1/model/info").then((r) => r.data),
    add: (input: {
      model_name: string;
      litellm_params: { model: string; api_base?: string; api_key?: string; input_cost_per_token?: number; output_cost_per_token?: number };
    }) => request<DeploymentView>("POST", "/model/new", input),
    update: (input: {
      model_info: { id: string };
      model_name?: string;
      litellm_params?: {
        model?: string;
        api_base?: string;
        api_key?: string;
        input_cost_per_token?: number | null;
        output_cost_per_token?: number | null;
      };
    }) => request<DeploymentView>("POST", "/model/update", input),
    remove: (id: string) => request<{ deleted: string }>("POST", "/model/delete", { id }),
    test: (model: string) =>
      request<{ ok: boolean; latency_ms: number; reply?: string | null; error?: string; deployment?: string | null }>(
        "POST",
        "/api/gateway/models/test",
        { model },
      ),
  },
  keys: {
    list: () => request<{ keys: KeyInfo[]; total_count: number }>("GET", "/key/list?return_full_object=true&size=500").then((r) => r.keys),
    create: (input: NewKeyInput) => request<KeyInfo & { key: string }>("POST", "/key/generate", input),
    update: (tokenId: string, input: NewKeyInput) => request<KeyInfo>("POST", "/key/update", { key: tokenId, ...input }),
    remove: (tokenId: string) => request<{ deleted_keys: string[] }>("POST", "/key/delete", { keys: [tokenId] }),
  },
  spend: {
    logs: (filter: { model?: string; key_alias?: string; status?: string; limit?: string; request_id?: string; session_id?: string }) =>
      request<SpendLog[]>("GET", `/spend/logs${qs(filter)}`),
    daily: () => request<{ data: DailySpend[] }>("GET", "/spend/report").then((r) => r.data),
  },
};

export const usd = (n: number) => (n === 0 ? "$0" : n < 0.01 ? `$${n.toFixed(6)}` : `$${n.toFixed(4)}`);

/** A per-token price as US dollars per million tokens ("$3"), or "–" when unset. */
export const perMillion = (perToken: number | null | undefined) =>
  perToken === null || perToken === undefined ? "–" : `$${+(perToken * 1e6).toPrecision(6)}`;
