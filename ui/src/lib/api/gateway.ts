// Typed calls to the LLM gateway's API (LiteLLM-compatible paths). Types come from the server's models.
import type { z } from "zod";
import type {
  dailySpendView,
  gatewaySettingsView,
  modelCheckView,
  modelDeletedView,
  modelInfoListView,
  modelInfoView,
  modelTestView,
  NewModelInput,
  spendLogsQuery,
  spendLogView,
  spendReportView,
  UpdateModelInput,
} from "../../../../server/gateway/model";
import type { GenerateKeyInput, KeyInfo } from "../../../../server/gateway/keys/model";
import type { UsageReport } from "../../../../server/gateway/spend/usage";
import { q, request } from "./client";

export type { KeyInfo };
/** The limits a key is created or changed with (LiteLLM names). */
export type NewKeyInput = Omit<GenerateKeyInput, "session_id" | "agent_id">;
/** A model's last Test (POST /api/gateway/models/test), kept by LAP. */
export type ModelTest = z.infer<typeof modelCheckView>;
export type DeploymentView = z.infer<typeof modelInfoView>;
export type SpendLog = z.infer<typeof spendLogView>;
export type DailySpend = z.infer<typeof dailySpendView>;
export type GatewaySettings = z.infer<typeof gatewaySettingsView>;
export type ModelTestResult = z.infer<typeof modelTestView>;
type SpendLogFilter = Partial<Record<keyof z.input<typeof spendLogsQuery>, string>>;

export const gatewayApi = {
  settings: () => request<GatewaySettings>("GET", "/api/gateway/settings"),
  models: {
    list: () => request<z.infer<typeof modelInfoListView>>("GET", "/v1/model/info").then((r) => r.data),
    add: (input: NewModelInput) => request<DeploymentView>("POST", "/model/new", input),
    update: (input: UpdateModelInput) => request<DeploymentView>("POST", "/model/update", input),
    remove: (id: string) => request<z.infer<typeof modelDeletedView>>("POST", "/model/delete", { id }),
    test: (model: string) => request<ModelTestResult>("POST", "/api/gateway/models/test", { model }),
  },
  keys: {
    list: () => request<{ keys: KeyInfo[]; total_count: number }>("GET", "/key/list?return_full_object=true&size=500").then((r) => r.keys),
    create: (input: NewKeyInput) => request<KeyInfo & { key: string }>("POST", "/key/generate", input),
    update: (tokenId: string, input: NewKeyInput) => request<KeyInfo>("POST", "/key/update", { key: tokenId, ...input }),
    remove: (tokenId: string) => request<{ deleted_keys: string[] }>("POST", "/key/delete", { keys: [tokenId] }),
  },
  spend: {
    logs: (filter: SpendLogFilter) => request<SpendLog[]>("GET", `/spend/logs${q(filter)}`),
    daily: () => request<z.infer<typeof spendReportView>>("GET", "/spend/report").then((r) => r.data),
    /** The Usage page's rows: calls per UTC day, model, key and agent in a date range. */
    usage: (start: string, end: string) => request<UsageReport>("GET", `/spend/usage${q({ start_date: start, end_date: end })}`),
  },
};

export const usd = (n: number) => (n === 0 ? "$0" : n < 0.01 ? `$${n.toFixed(6)}` : `$${n.toFixed(4)}`);

/** A per-token price as US dollars per million tokens ("$3"), or "–" when unset. */
export const perMillion = (perToken: number | null | undefined) =>
  perToken === null || perToken === undefined ? "–" : `$${+(perToken * 1e6).toPrecision(6)}`;
