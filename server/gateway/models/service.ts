import { eq, sql } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { gatewayModelChecks, gatewayModels } from "../../../schema";
import { audited, NO_AUDIT, type AuditPort } from "../../audit/record";
import type { Principal } from "../../auth/model";
import type { Database } from "../../db/client";
import type { SecretBox } from "../../lib/crypto";
import { notFound } from "../../lib/errors";
import { toDeployment, type DeploymentInput } from "../config/deployments";
import type { UpdateModelInput } from "../model";
import type { Deployment, Json } from "../types";
import { redactUrl, splitParams } from "./sealed-params";

/** The last Test of a model (the dashboard's button), as the model list and the agent form show it. */
export interface ModelCheck {
  ok: boolean;
  latency_ms: number;
  error: string | null;
  checked_at: string;
}

const PRICE_FIELDS = ["input_cost_per_token", "output_cost_per_token"] as const;

/**
 * Deployments added through the API/dashboard. The provider key and every other credential-like
 * param (sealed-params.ts) are sealed at rest and never returned.
 */
export class ModelStore {
  constructor(
    private readonly deps: {
      database: Database;
      box: SecretBox;
      litellm: { litellmApiBase?: string; litellmApiKey?: string };
      audit?: AuditPort;
    },
  ) {}

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  /** A stored deployment as the audit trail shows it: the plain params (credentials are sealed apart and never shown). */
  private static audited(r: typeof gatewayModels.$inferSelect) {
    return {
      modelName: r.modelName,
      litellmParams: r.litellmParams,
      modelInfo: r.modelInfo,
      apiKeySealed: r.apiKeySealed,
      paramsSealed: r.paramsSealed,
    };
  }

  async add(input: DeploymentInput, actor?: Principal): Promise<Deployment> {
    const api_key = input.litellm_params.api_key;
    const id = (input.model_info?.id as string | undefined) ?? randomUUID();
    // Validates the entry (provider prefix, base URL) before anything is stored.
    const deployment = toDeployment({ ...input, id }, "database", this.deps.litellm);
    await audited(
      this.deps.database.db,
      this.audit,
      (tx) =>
        tx
          .insert(gatewayModels)
          .values({
            id,
            modelName: input.model_name,
            ...this.sealed(input.litellm_params as unknown as Record<string, unknown>),
            apiKeySealed: api_key ? this.deps.box.encrypt(api_key) : null,
            modelInfo: { ...(input.model_info ?? {}), id },
          })
          .returning(),
      ([r]) => (actor ? { actor, action: "model.create", objectType: "model", objectId: id, after: ModelStore.audited(r!) } : null),
    );
    return { ...deployment, id };
  }

  private sealed(params: Record<string, unknown>) {
    const { plain, secret } = splitParams(params);
    return {
      litellmParams: plain as Json,
      paramsSealed: Object.keys(secret).length ? this.deps.box.encrypt(JSON.stringify(secret)) : null,
    };
  }

  /**
   * Changes a stored deployment (LiteLLM's /model/update): given fields replace its own, `null` prices
   * remove them, the provider key changes only when a new one is given. Validated like /model/new.
   */
  async update(input: UpdateModelInput, actor?: Principal): Promise<Deployment> {
    const id = input.model_info.id;
    const [row] = await this.deps.database.db.select().from(gatewayModels).where(eq(gatewayModels.id, id));
    if (!row) throw notFound(`Model ${id}`);
    const { api_key, ...changes } = input.litellm_params ?? {};
    // The stored params, sealed ones opened: an update re-splits them (a changed api_base may carry credentials).
    const sealedBefore = row.paramsSealed ? (JSON.parse(this.deps.box.decrypt(row.paramsSealed)) as Record<string, unknown>) : {};
    const params: Record<string, unknown> = { ...row.litellmParams, ...sealedBefore };
    const info: Record<string, unknown> = { ...row.modelInfo };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete params[k];
      else if (v !== undefined) params[k] = v;
    }
    // A price set or removed here replaces one given in model_info when the model was added.
    for (const k of PRICE_FIELDS) if (k in changes) delete info[k];
    const modelName = input.model_name ?? row.modelName;
    const apiKey = api_key ?? (row.apiKeySealed ? this.deps.box.decrypt(row.apiKeySealed) : undefined);
    const deployment = toDeployment(
      {
        id,
        model_name: modelName,
        litellm_params: { ...(params as unknown as DeploymentInput["litellm_params"]), api_key: apiKey },
        model_info: info,
      },
      "database",
      this.deps.litellm,
    );
    await audited(
      this.deps.database.db,
      this.audit,
      (tx) =>
        tx
          .update(gatewayModels)
          .set({ modelName, ...this.sealed(params), modelInfo: info, ...(api_key ? { apiKeySealed: this.deps.box.encrypt(api_key) } : {}) })
          .where(eq(gatewayModels.id, id))
          .returning(),
      ([r]) =>
        actor
          ? {
              actor,
              action: "model.update",
              objectType: "model",
              objectId: id,
              before: ModelStore.audited(row),
              after: ModelStore.audited(r!),
            }
          : null,
    );
    return deployment;
  }

  /** Keeps the outcome of a model's Test (one row per model name, the latest). */
  async recordCheck(modelName: string, check: Omit<ModelCheck, "checked_at">): Promise<void> {
    await this.deps.database.db
      .insert(gatewayModelChecks)
      .values({ modelName, ok: check.ok, latencyMs: Math.round(check.latency_ms), error: check.error?.slice(0, 1000) ?? null })
      .onConflictDoUpdate({
        target: gatewayModelChecks.modelName,
        set: { ok: check.ok, latencyMs: Math.round(check.latency_ms), error: check.error?.slice(0, 1000) ?? null, checkedAt: sql`now()` },
      });
  }

  async checks(): Promise<Map<string, ModelCheck>> {
    const rows = await this.deps.database.db.select().from(gatewayModelChecks);
    return new Map(
      rows.map((r) => [r.modelName, { ok: r.ok, latency_ms: r.latencyMs, error: r.error, checked_at: r.checkedAt.toISOString() }]),
    );
  }

  async delete(id: string, actor?: Principal): Promise<void> {
    const rows = await audited(
      this.deps.database.db,
      this.audit,
      (tx) => tx.delete(gatewayModels).where(eq(gatewayModels.id, id)).returning(),
      ([r]) =>
        r && actor
          ? { actor, action: "model.delete", objectType: "model", objectId: id, before: ModelStore.audited(r), after: null }
          : null,
    );
    if (rows.length === 0) throw notFound(`Model ${id}`);
  }

  async all(onError: (id: string, err: Error) => void): Promise<Deployment[]> {
    const rows = await this.deps.database.db.select().from(gatewayModels);
    const out: Deployment[] = [];
    for (const r of rows) {
      try {
        const apiKey = r.apiKeySealed ? this.deps.box.decrypt(r.apiKeySealed) : undefined;
        const secret = r.paramsSealed ? (JSON.parse(this.deps.box.decrypt(r.paramsSealed)) as Record<string, unknown>) : {};
        const params = { ...(r.litellmParams as Record<string, unknown>), ...secret };
        // A row written before these params were sealed is sealed now (plain rows hold no secrets from here on).
        if (!r.paramsSealed && Object.keys(splitParams(params).secret).length) {
          await this.deps.database.db.update(gatewayModels).set(this.sealed(params)).where(eq(gatewayModels.id, r.id));
        }
        out.push(
          toDeployment(
            {
              id: r.id,
              model_name: r.modelName,
              litellm_params: { ...(params as unknown as DeploymentInput["litellm_params"]), api_key: apiKey },
              model_info: r.modelInfo,
            },
            "database",
            this.deps.litellm,
          ),
        );
      } catch (err) {
        onError(r.id, err as Error);
      }
    }
    return out;
  }
}

/**
 * A deployment as the API shows it: everything but the provider key. `priced`: whether calls get a
 * cost (its own prices, or the bundled table knows the upstream model); `last_test`: its last Test.
 */
export function deploymentView(d: Deployment, extra: { priced?: boolean; lastTest?: ModelCheck | null } = {}) {
  return {
    model_name: d.modelName,
    litellm_params: {
      model: d.provider === "anthropic" ? `anthropic/${d.upstreamModel}` : d.upstreamModel,
      api_base: redactUrl(d.apiBase),
      rpm: d.rpm ?? null,
      tpm: d.tpm ?? null,
      order: d.order,
    },
    model_info: {
      ...d.modelInfo,
      id: d.id,
      provider: d.provider,
      source: d.source,
      has_api_key: Boolean(d.apiKey),
      input_cost_per_token: d.inputCostPerToken ?? null,
      output_cost_per_token: d.outputCostPerToken ?? null,
      ...(extra.priced !== undefined ? { priced: extra.priced } : {}),
      ...(extra.lastTest !== undefined ? { last_test: extra.lastTest } : {}),
    },
  };
}
