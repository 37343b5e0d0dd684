import { describeEnv } from "../config/schema";
import type { Config } from "../config/load";

export interface ConfigEntry {
  name: string;
  value: string | null;
  default: string | null;
  source: "env" | "default" | "generated" | "unset";
  secret: boolean;
  group: string;
  description: string;
}

/** A URL's password is hidden but the host stays visible, so users can see where LAP points. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "****";
    return u.toString();
  } catch {
    return "****";
  }
}

/** The effective configuration with every secret redacted. */
export function effectiveConfig(config: Config, raw: Record<string, string | undefined>): ConfigEntry[] {
  return describeEnv().map(({ name, default: def, meta }) => {
    const fromEnv = raw[name]?.trim() ? raw[name]!.trim() : undefined;
    const generated =
      (name === "MASTER_KEY" && config.generated.masterKey) ||
      (name === "ENCRYPTION_KEY" && config.generated.encryptionKey) ||
      (!fromEnv && (name === "MASTER_KEY" || name === "ENCRYPTION_KEY"));
    const effective = (config.env as Record<string, unknown>)[name];
    let value: string | null = effective === undefined ? null : String(effective);
    if (name === "BASE_URL") value = config.baseUrl;
    if (name === "LAP_DATA_DIR") value = config.dataDir;
    if (meta.secret && value !== null) value = name === "DATABASE_URL" ? redactUrl(value) : "********";
    if (meta.secret && generated) value = "******** (generated, in LAP_DATA_DIR)";
    return {
      name,
      value,
      default: def ?? null,
      source: fromEnv ? "env" : generated ? "generated" : value !== null ? "default" : "unset",
      secret: Boolean(meta.secret),
      group: meta.group,
      description: meta.description,
    };
  });
}
