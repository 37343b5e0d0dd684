import { z } from "zod";
import { authEnv } from "./env/auth";
import { databaseEnv } from "./env/database";
import type { FieldMeta } from "./env/fields";
import { integrationsEnv } from "./env/integrations";
import { kubernetesEnv } from "./env/kubernetes";
import { llmGatewayEnv } from "./env/llm-gateway";
import { mcpEnv } from "./env/mcp";
import { observabilityEnv } from "./env/observability";
import { sandboxesEnv } from "./env/sandboxes";
import { serverEnv } from "./env/server";
import { slackEnv } from "./env/slack";

/**
 * Every environment variable LAP reads, in one schema composed of one file per group (./env/, named
 * after the `meta.group` of its variables; shared field types in ./env/fields.ts). `meta.secret` marks
 * values that are redacted wherever configuration is shown. The order here is the order of `lap config`,
 * the README table and .env.example. Later modules add their variables to their group's file so
 * `lap config` and the README table stay complete.
 */
export const envSchema = z.object({
  ...serverEnv,
  ...databaseEnv,
  ...authEnv,
  ...llmGatewayEnv,
  ...sandboxesEnv,
  ...kubernetesEnv,
  ...mcpEnv,
  ...slackEnv,
  ...observabilityEnv,
  ...integrationsEnv,
});

export type EnvInput = z.input<typeof envSchema>;
export type Env = z.output<typeof envSchema>;

export type { FieldMeta };

/** Name, default and description of every variable, for `lap config` and the README table. */
export function describeEnv(): Array<{ name: string; default?: string; meta: FieldMeta }> {
  return Object.entries(envSchema.shape).map(([name, field]) => {
    const meta = (field as z.ZodType).meta() as unknown as FieldMeta;
    let def: string | undefined;
    const parsed = (field as z.ZodType).safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) def = String(parsed.data);
    return { name, default: def, meta };
  });
}

export const CONTAINER_ENV_PREFIX = "CONTAINER_ENV_";
