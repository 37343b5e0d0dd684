/** Builds the real app on a fresh test database, driven in-process through `app.handle`. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, type AppDeps } from "../../server/app";
import { loadConfig } from "../../server/config/load";
import type { Database } from "../../server/db/client";
import { createLogger } from "../../server/lib/logger";
import { testDatabase } from "./db";

export const TEST_MASTER_KEY = "test-master-key-0123456789";

/** The automation loops' tick in a started test app: longer than any test, which ticks by hand. */
export const TEST_TICK_MS = 3_600_000;

export interface TestApp {
  app: ReturnType<typeof createApp>["app"];
  services: ReturnType<typeof createApp>["services"];
  database: Database;
  /**
   * The app's one start (server/app/lifecycle.ts), as server/main.ts calls it: with a listen step, or
   * without one for a test that drives the app through `app.handle`. `close()` stops what it started.
   */
  start: ReturnType<typeof createApp>["start"];
  /** The app's one stop, without closing the database (close() does both). */
  stop(): Promise<void>;
  request(
    method: string,
    path: string,
    opts?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  json<T = any>(
    method: string,
    path: string,
    opts?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

export async function createTestApp(env: Record<string, string> = {}, extra: Partial<AppDeps> = {}): Promise<TestApp> {
  const rawEnv = { LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-test-")), MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: "silent", ...env };
  const config = loadConfig(rawEnv);
  const database = await testDatabase();
  const { app, services, start, stop } = createApp({
    config,
    database,
    logger: createLogger("silent"),
    rawEnv,
    uiDist: join(rawEnv.LAP_DATA_DIR, "no-ui"),
    ...extra,
    // Once started, the schedules and trigger callbacks tick when a test says so (scheduler.tick()), not every second.
    automationOptions: { tickMs: TEST_TICK_MS, ...extra.automationOptions },
  });
  const request: TestApp["request"] = (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? TEST_MASTER_KEY : opts.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: BodyInit | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
      // As a real HTTP client would; the body limit reads it before the body is parsed.
      headers["content-length"] ??= String(Buffer.byteLength(body));
    }
    return app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
  };
  return {
    app,
    services,
    database,
    start,
    stop,
    request,
    async json(method, path, opts) {
      const res = await request(method, path, opts);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
    },
    // The app's one stop (server/app/lifecycle.ts): what start() started, else the MCP gateway's connections.
    close: async () => {
      await stop();
      await database.close();
    },
  };
}
