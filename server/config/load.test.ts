import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, parseEnv } from "./load";
import { describeEnv } from "./schema";

const tmp = () => mkdtempSync(join(tmpdir(), "lap-config-"));

describe("configuration", () => {
  test("defaults need no configuration at all", () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.LAP_ENV).toBe("development");
    expect(env.UI_USERNAME).toBe("admin");
    expect(env.WARM_POOL_SIZE).toBe(2);
    expect(env.K8S_IMAGE_PULL_POLICY).toBe("Never");
    expect(env.K8S_HARNESS_IMAGE).toBe("opencode-sandbox:dev");
    expect(env.DATABASE_URL).toBeUndefined();
  });

  test("every failing variable is reported at once, not just the first", () => {
    let error: ConfigError | undefined;
    try {
      parseEnv({
        PORT: "http",
        MASTER_KEY: "short",
        DATABASE_URL: "mysql://x",
        WARM_POOL_SIZE: "-1",
        K8S_IMAGE_PULL_POLICY: "Sometimes",
        ENCRYPTION_KEY: "abc",
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = error!.issues.map((i) => i.split(":")[0]);
    expect(keys.sort()).toEqual(["DATABASE_URL", "ENCRYPTION_KEY", "K8S_IMAGE_PULL_POLICY", "MASTER_KEY", "PORT", "WARM_POOL_SIZE"]);
    expect(error!.message).toContain("at least 8 characters");
  });

  test("production requires MASTER_KEY (at least 32 characters) and ENCRYPTION_KEY", () => {
    expect(() => parseEnv({ LAP_ENV: "production" })).toThrow(/MASTER_KEY: required[\s\S]*ENCRYPTION_KEY: required/);
    const key = Buffer.alloc(32, 7).toString("base64");
    // 8 characters were enough before issue 15; in production a master key must resist guessing on its own.
    let error: ConfigError | undefined;
    try {
      parseEnv({ LAP_ENV: "production", MASTER_KEY: "a".repeat(31), ENCRYPTION_KEY: key });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.issues).toEqual([
      "MASTER_KEY: must be at least 32 characters when LAP_ENV=production (it has 31; openssl rand -base64 32)",
    ]);
    expect(parseEnv({ LAP_ENV: "production", MASTER_KEY: "a".repeat(32), ENCRYPTION_KEY: key }).LAP_ENV).toBe("production");
    // Development keeps the old floor: a short key for a laptop is the operator's call.
    expect(parseEnv({ LAP_ENV: "development", MASTER_KEY: "short-ok" }).MASTER_KEY).toBe("short-ok");
  });

  test("in development a master key and an encryption key are generated once, mode 0600, and reused", () => {
    const dir = tmp();
    const first = loadConfig({ LAP_DATA_DIR: dir });
    expect(first.generated).toEqual({ masterKey: true, encryptionKey: true });
    expect(first.masterKey.length).toBeGreaterThanOrEqual(32);
    expect(first.encryptionKey.length).toBe(32);
    expect(statSync(join(dir, "master.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "encryption.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "master.key"), "utf8").trim()).toBe(first.masterKey);
    const second = loadConfig({ LAP_DATA_DIR: dir });
    expect(second.generated).toEqual({ masterKey: false, encryptionKey: false });
    expect(second.masterKey).toBe(first.masterKey);
    expect(second.encryptionKey.equals(first.encryptionKey)).toBe(true);
  });

  test("a configured MASTER_KEY is used and nothing is generated for it", () => {
    const config = loadConfig({ LAP_DATA_DIR: tmp(), MASTER_KEY: "my-master-key" });
    expect(config.masterKey).toBe("my-master-key");
    expect(config.generated.masterKey).toBe(false);
    expect(config.dbMode).toBe("embedded");
    expect(loadConfig({ LAP_DATA_DIR: tmp(), DATABASE_URL: "postgres://u@h/db" }).dbMode).toBe("external");
  });

  test("CONTAINER_ENV_* variables pass through with the prefix stripped", () => {
    const config = loadConfig({ LAP_DATA_DIR: tmp(), CONTAINER_ENV_GITHUB_TOKEN: "ghp_x", CONTAINER_ENV_: "ignored", OTHER: "no" });
    expect(config.containerEnv).toEqual({ GITHUB_TOKEN: "ghp_x" });
  });

  test("CONTAINER_ENV_* never carries LAP's own secrets into a sandbox or pod (pods take config.containerEnv)", () => {
    const config = loadConfig({
      LAP_DATA_DIR: tmp(),
      CONTAINER_ENV_LITELLM_API_KEY: "sk-real",
      CONTAINER_ENV_MASTER_KEY: "mk",
      CONTAINER_ENV_encryption_key: "ek",
      CONTAINER_ENV_DATABASE_URL: "postgres://u:p@h/db",
      CONTAINER_ENV_LAP_SESSION_KEY: "steers the supervisor",
      CONTAINER_ENV_HTTPS_PROXY: "http://elsewhere:3128",
      "CONTAINER_ENV_BAD-NAME": "x",
      CONTAINER_ENV_NPM_TOKEN: "npm_x",
    });
    expect(config.containerEnv).toEqual({ NPM_TOKEN: "npm_x" });
  });

  test("BASE_URL defaults to localhost on the port", () => {
    expect(loadConfig({ LAP_DATA_DIR: tmp(), PORT: "4100" }).baseUrl).toBe("http://localhost:4100");
    expect(loadConfig({ LAP_DATA_DIR: tmp(), BASE_URL: "https://lap.acme.dev/" }).baseUrl).toBe("https://lap.acme.dev");
  });

  test("every variable is described, and secrets are marked", () => {
    const rows = describeEnv();
    for (const r of rows) expect(r.meta.description.length).toBeGreaterThan(10);
    const secrets = rows.filter((r) => r.meta.secret).map((r) => r.name);
    for (const s of ["MASTER_KEY", "ENCRYPTION_KEY", "DATABASE_URL", "LITELLM_API_KEY", "LINEAR_CLIENT_SECRET", "LINEAR_WEBHOOK_SECRET"])
      expect(secrets).toContain(s);
  });
});
