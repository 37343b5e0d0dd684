import type { Server } from "bun";
import { createApp } from "./app";
import { loadConfig, type Config } from "./config/load";
import type { Database } from "./db/client";
import { migrate } from "./db/migrate";
import { openDatabase } from "./db/open";
import { createLogger, type Logger } from "./lib/logger";

export interface RunningLap {
  url: string;
  config: Config;
  database: Database;
  logger: Logger;
  server: Server<unknown>;
  stop(): Promise<void>;
}

const USAGE_FLUSH_MS = 15_000;

/** Loads config, opens and migrates the database, and serves the app. Throws ConfigError on bad env. */
export async function startLap(rawEnv: Record<string, string | undefined> = process.env): Promise<RunningLap> {
  const config = loadConfig(rawEnv);
  const logger = createLogger(config.env.LOG_LEVEL, { version: config.version });
  const database = await openDatabase(config);
  try {
    const { applied } = await migrate(database);
    if (applied.length) logger.info({ applied: applied.length }, "migrations applied");
  } catch (err) {
    await database.close();
    throw err;
  }
  const { app, services } = createApp({ config, database, logger, rawEnv });
  app.listen({
    port: config.env.PORT,
    hostname: config.env.HOST,
    // Bun enforces the limit on bodies without a content-length (chunked); the JSON 413 for
    // declared lengths comes from the request-context hook.
    maxRequestBodySize: config.env.LAP_MAX_BODY_BYTES,
    idleTimeout: 30,
  });
  const server = app.server!;
  await services.sessions.start();
  const flush = setInterval(() => services.auth.flushUsage().catch((err) => logger.warn({ err }, "usage flush failed")), USAGE_FLUSH_MS);
  const url = `http://${config.env.HOST === "0.0.0.0" ? "localhost" : config.env.HOST}:${server.port}`;
  if (!config.env.BASE_URL) config.baseUrl = `http://localhost:${server.port}`;
  logger.info({ url, database: database.mode }, "LAP ready");

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      clearInterval(flush);
      await server.stop();
      await services.sessions.stop();
      await services.auth.flushUsage().catch(() => {});
      await database.close();
      logger.info("LAP stopped");
    })());
  return { url, config, database, logger, server, stop };
}

/** SIGTERM/SIGINT: stop accepting, finish in-flight requests, flush, close the database. */
export function stopOnSignals(lap: RunningLap) {
  const onSignal = (signal: string) => {
    lap.logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000);
    lap.stop().then(() => {
      clearTimeout(force);
      process.exit(0);
    });
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
}
