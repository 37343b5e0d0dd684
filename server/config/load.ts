import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { HostIdFileError, resolveHostId } from "./host-id";
import { CONTAINER_ENV_PREFIX, envSchema, type Env } from "./schema";
import pkg from "../../package.json" with { type: "json" };

export interface Config {
  env: Env;
  version: string;
  baseUrl: string;
  dataDir: string;
  dbMode: "embedded" | "external";
  masterKey: string;
  encryptionKey: Buffer;
  /** `CONTAINER_ENV_NAME=value` on LAP becomes `NAME=value` in every sandbox. */
  containerEnv: Record<string, string>;
  /** The machine's id for host sandboxes: LAP_HOST_ID, else the one kept in LAP_DATA_DIR/host-id. */
  hostId: string;
  /** Which secrets were generated on this start (so the CLI prints them once). */
  generated: { masterKey: boolean; encryptionKey: boolean };
}

/** Every failing variable, not just the first. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
  }
}

/** Shortest MASTER_KEY accepted with LAP_ENV=production (docs/security.md "Dashboard sessions, CSRF and login"). */
export const PRODUCTION_MASTER_KEY_MIN = 32;

export function parseEnv(raw: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(raw);
  const issues = result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  const lapEnv = raw.LAP_ENV ?? "development";
  if (lapEnv === "production") {
    // A production master key must resist guessing on its own (the login backoff only slows it down).
    const master = raw.MASTER_KEY?.trim() ?? "";
    if (!master)
      issues.push(
        `MASTER_KEY: required when LAP_ENV=production (at least ${PRODUCTION_MASTER_KEY_MIN} characters; openssl rand -base64 32)`,
      );
    else if (master.length < PRODUCTION_MASTER_KEY_MIN) {
      issues.push(
        `MASTER_KEY: must be at least ${PRODUCTION_MASTER_KEY_MIN} characters when LAP_ENV=production (it has ${master.length}; openssl rand -base64 32)`,
      );
    }
    if (!raw.ENCRYPTION_KEY?.trim()) issues.push("ENCRYPTION_KEY: required when LAP_ENV=production (openssl rand -base64 32)");
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return result.data;
}

/**
 * `CONTAINER_ENV_NAME=value` on LAP becomes `NAME=value` in every sandbox, local or pod, in plain text, as
 * the docs say (the agent can read it). Names that would carry LAP's own secrets or steer the supervisor
 * are never passed, even when someone sets CONTAINER_ENV_LITELLM_API_KEY by mistake.
 */
const NEVER_IN_SANDBOX =
  /^(LAP_|BUN_)|^(MASTER_KEY|ENCRYPTION_KEY|DATABASE_URL|LITELLM_API_KEY|LAP_ACCESS_TOKEN|LAP_REFRESH_TOKEN|LAP_AUTH_TOKEN|HTTP_PROXY|HTTPS_PROXY|NO_PROXY)$/i;

export function containerEnvFrom(raw: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith(CONTAINER_ENV_PREFIX) || value === undefined) continue;
    const name = key.slice(CONTAINER_ENV_PREFIX.length);
    if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || NEVER_IN_SANDBOX.test(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Reads a generated secret from the data dir, creating it (mode 0600) on first use. */
function persistedSecret(dataDir: string, file: string, make: () => string): { value: string; created: boolean } {
  const path = join(dataDir, file);
  if (existsSync(path)) return { value: readFileSync(path, "utf8").trim(), created: false };
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { value, created: true };
}

export function loadConfig(raw: Record<string, string | undefined> = process.env): Config {
  const env = parseEnv(raw);
  const dataDir = resolve(env.LAP_DATA_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  const master = env.MASTER_KEY
    ? { value: env.MASTER_KEY, created: false }
    : persistedSecret(dataDir, "master.key", () => `lap-master-${randomBytes(24).toString("base64url")}`);
  const encryption = env.ENCRYPTION_KEY
    ? { value: env.ENCRYPTION_KEY, created: false }
    : persistedSecret(dataDir, "encryption.key", () => randomBytes(32).toString("base64"));

  let hostId: string;
  try {
    hostId = resolveHostId(dataDir, env.LAP_HOST_ID);
  } catch (err) {
    if (err instanceof HostIdFileError) throw new ConfigError([`LAP_HOST_ID: unset, and ${err.message}`]);
    throw err;
  }

  return {
    env,
    version: pkg.version,
    baseUrl: (env.BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ""),
    dataDir,
    dbMode: env.DATABASE_URL ? "external" : "embedded",
    masterKey: master.value,
    encryptionKey: Buffer.from(encryption.value, "base64"),
    containerEnv: containerEnvFrom(raw),
    hostId,
    generated: { masterKey: master.created, encryptionKey: encryption.created },
  };
}
