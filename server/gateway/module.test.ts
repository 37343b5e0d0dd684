/**
 * The gateway module's lifecycle (docs/development.md "Layers", the module contract): its spend flush
 * timer runs only between `start()` and `stop()`, not from building it or from the first load of its
 * models; `stop()` writes what is still queued; a failed load stops `start()` before any timer runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestApp, type TestApp } from "../../test/support/app";
import { loadConfig } from "../config/load";
import { createAuthGuard } from "../http/auth-guard";
import { createLogger } from "../lib/logger";
import { createGateway } from "./module";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

/** A gateway module on the test database whose flushes are counted. */
function countedGateway(env: Record<string, string> = {}) {
  const config = loadConfig({
    LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-gw-module-")),
    MASTER_KEY: "module-test-master-key",
    LAP_GATEWAY_SPEND_FLUSH_MS: "20",
    ...env,
  });
  const gateway = createGateway({
    settings: config.env,
    encryptionKey: config.encryptionKey,
    database: t.database,
    auth: t.services.auth,
    logger: createLogger("silent"),
    osEnviron: {},
    guard: createAuthGuard(t.services.auth),
  });
  let flushes = 0;
  gateway.service.flush = async () => void flushes++;
  return { gateway, flushes: () => flushes };
}

describe("gateway module lifecycle", () => {
  test("the spend flush runs between start() and stop() only, and stop() flushes once more", async () => {
    const { gateway, flushes } = countedGateway();
    // Built and its models loaded (as an in-process request would), but not started: no timer.
    await gateway.service.ready();
    await Bun.sleep(80);
    expect(flushes()).toBe(0);

    await gateway.start();
    // Every 20 ms; a loaded machine may run the timer late, so wait up to 5 s for two ticks.
    for (let waited = 0; flushes() < 2 && waited < 5_000; waited += 20) await Bun.sleep(20);
    expect(flushes()).toBeGreaterThanOrEqual(2);

    const running = flushes();
    await gateway.stop();
    const atStop = flushes();
    expect(atStop).toBeGreaterThan(running);
    await Bun.sleep(80);
    expect(flushes()).toBe(atStop);
  });

  test("a gateway config that does not load fails start() and starts no timer", async () => {
    const { gateway, flushes } = countedGateway({ LAP_GATEWAY_CONFIG: "/nonexistent/lap-config.yaml" });
    await expect(gateway.start()).rejects.toThrow("gateway's models could not be loaded");
    await Bun.sleep(80);
    expect(flushes()).toBe(0);
    await gateway.stop();
  });
});
