import { eq } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { gatewayModels } from "../../../schema";
import type { Database } from "../../db/client";
import type { SecretBox } from "../../lib/crypto";
import { notFound } from "../../lib/errors";
import { toDeployment, type DeploymentInput } from "../config/deployments";
import type { Deployment, Json } from "../types";
import { redactUrl, splitParams } from "./sealed-params";

/**
 * Deployments added through the API/dashboard. The provider key and every other credential-like
 * param (sealed-params.ts) are sealed at rest and never returned.
 */
export class ModelStore {
  constructor(private readonly deps: { database: Database; box: SecretBox; litellm: { litellmApiBase?: string; litellmApiKey?: string } }) {}

  async add(input: DeploymentInput): Promise<Deployment> {
    const api_key = input.litellm_params.api_key;
    const id = (input.model_info?.id as string | undefined) ?? randomUUID();
    // Validates the entry (provider prefix, base URL) before anything is stored.
    const deployment = toDeployment({ ...input, id }, "database", this.deps.litellm);
    await this.deps.database.db.insert(gatewayModels).values({
      id,
      modelName: input.model_name,
      ...this.sealed(input.litellm_params as unknown as Record<string, unknown>),
      apiKeySealed: api_key ? this.deps.box.encrypt(api_key) : null,
      modelInfo: { ...(input.model_info ?? {}), id },
    });
    return { ...deployment, id };
  }

  private sealed(params: Record<string, unknown>) {
    const { plain, secret } = splitParams(params);
    return { litellmParams: plain as Json, paramsSealed: Object.keys(secret).length ? this.deps.box.encrypt(JSON.stringify(secret)) : null };
  }

  async delete(id: string): Promise<void> {
    const rows = await this.deps.database.db.delete(gatewayModels).where(eq(gatewayModels.id, id)).returning({ id: gatewayModels.id });
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
        out.push(toDeployment({ id: r.id, model_name: r.modelName, litellm_params: { ...(params as unknown as DeploymentInput["litellm_params"]), api_key: apiKey }, model_info: r.modelInfo }, "database", this.deps.litellm));
      } catch (err) {
        onError(r.id, err as Error);
      }
    }
    return out;
  }
}

/** A deployment as the API shows it: everything but the provider key. */
export function deploymentView(d: Deployment) {
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
    },
  };
}
