import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../../test/support/app";

const SECRET_DB_PASSWORD = "pw-should-not-show";
const LITELLM_KEY = "sk-upstream-should-not-show";
let t: TestApp;
beforeAll(async () => {
  // The settings view reads raw env; DATABASE_URL here is only displayed, the test database is separate.
  t = await createTestApp({ LITELLM_API_KEY: LITELLM_KEY, CONTAINER_ENV_GITHUB_TOKEN: "ghp_should_not_show" });
}, 60_000);
afterAll(() => t?.close());

describe("GET /api/settings/system", () => {
  test("shows the effective configuration with every secret redacted", async () => {
    const res = await t.json("GET", "/api/settings/system");
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    for (const secret of [TEST_MASTER_KEY, LITELLM_KEY, "ghp_should_not_show"]) expect(text).not.toContain(secret);
    const byName = Object.fromEntries(res.body.config.map((c: { name: string }) => [c.name, c]));
    expect(byName.MASTER_KEY).toMatchObject({ value: "********", source: "env", secret: true });
    expect(byName.LITELLM_API_KEY.value).toBe("********");
    expect(byName.ENCRYPTION_KEY.source).toBe("generated");
    expect(byName.PORT).toMatchObject({ value: "3000", source: "default" });
    expect(byName.UI_USERNAME.value).toBe("admin");
    expect(res.body.container_env).toEqual(["GITHUB_TOKEN"]);
    expect(res.body.database.reachable).toBe(true);
    expect(res.body.database.migrations.pending).toBe(0);
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(["embedded", "external"]).toContain(res.body.database.mode);
  });

  test("a database URL keeps its host but not its password", async () => {
    const { redactUrl } = await import("./service");
    expect(redactUrl(`postgres://lap:${SECRET_DB_PASSWORD}@db.internal:5432/lap`)).toBe("postgres://lap:****@db.internal:5432/lap");
  });
});

describe("health", () => {
  test("liveliness and readiness are public; readiness reports the database", async () => {
    expect((await t.json("GET", "/health/liveliness", { key: null })).body.status).toBe("ok");
    const ready = await t.json("GET", "/health/readiness", { key: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", database: { reachable: true }, migrations: { pending: 0 } });
  });

  test("readiness is 503 when the database is gone", async () => {
    const gone = await createTestApp();
    await gone.database.close();
    const res = await gone.json("GET", "/health/readiness", { key: null });
    expect(res.status).toBe(503);
    expect(res.body.database.reachable).toBe(false);
  });
});
