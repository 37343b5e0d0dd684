import type { Server } from "bun";
import { createApp } from "./app";
import { loadConfig, type Config } from "./config/load";
import type { Database } from "./db/client";
import { migrate } from "./db/migrate";
import { openDatabase } from "./db/open";
import type { DestinationGuard } from "./net/destinations";
import { createLogger, type Logger } from "./lib/logger";
import type { BwrapCheck } from "./sandboxes/host/bwrap-check";
import { checkBubblewrap } from "./sandboxes/host/preflight";
import { parseUidRange, SandboxUsers } from "./sandboxes/host/sandbox-user";
import type { KubernetesSandboxes } from "./sandboxes/kubernetes";
import type { SandboxService } from "./sandboxes/service";

export interface RunningLap {
  url: string;
  config: Config;
  database: Database;
  logger: Logger;
  server: Server<unknown>;
  /** The sandbox service (its provider is the kubernetes one when LAP_SANDBOX=kubernetes). */
  sandboxes: SandboxService;
  /** LAP_SANDBOX=local: whether bubblewrap can make sandboxes here, checked at start-up (undefined otherwise). */
  sandboxCheck?: BwrapCheck;
  stop(): Promise<void>;
}

/** Loads config, opens and migrates the database, and serves the app. Throws ConfigError on bad env. */
/**
 * `opts.database`: an already open database to use instead of opening DATABASE_URL (tests hand in a migrated template copy).
 * `opts.destinations`: the destination check with its own resolver (tests: a DNS stub standing for the internet's DNS).
 */
export async function startLap(
  rawEnv: Record<string, string | undefined> = process.env,
  opts: { database?: Database; destinations?: DestinationGuard } = {},
): Promise<RunningLap> {
  const config = loadConfig(rawEnv);
  const logger = createLogger(config.env.LOG_LEVEL, { version: config.version });
  // LAP_SANDBOX=kubernetes: sessions run in agent-sandbox pods (docs/kubernetes.md); checked before the
  // database opens, so a wrong kubeconfig fails the start at once, not the first session.
  let kubernetes: KubernetesSandboxes | undefined;
  if (rawEnv.LAP_SANDBOX === "kubernetes") {
    try {
      // Loaded only when chosen: @kubernetes/client-node is not part of every start.
      const { createKubernetesSandboxes } = await import("./sandboxes/kubernetes");
      kubernetes = await createKubernetesSandboxes(config, { logger });
      await kubernetes.start();
    } catch (err) {
      await kubernetes?.close();
      throw new Error(
        `LAP_SANDBOX=kubernetes: the cluster is not usable: ${(err as Error).message}. Check K8S_KUBECONFIG, K8S_NAMESPACE and that agent-sandbox (v1beta1, --extensions) is installed.`,
      );
    }
  }
  const database = await (opts.database ? Promise.resolve(opts.database) : openDatabase(config)).catch(async (err) => {
    await kubernetes?.close();
    throw err;
  });
  try {
    const { applied } = await migrate(database);
    if (applied.length) logger.info({ applied: applied.length }, "migrations applied");
  } catch (err) {
    await database.close();
    await kubernetes?.close();
    throw err;
  }
  // Traces only when an OTLP endpoint is configured (docs/operations.md "Traces").
  const lap = createApp({ config, database, logger, rawEnv, kubernetes, destinations: opts.destinations });
  // The app starts its modules in order (server/app/lifecycle.ts); a bad LAP_GATEWAY_CONFIG stops
  // the start with its message, rather than failing the first model call.
  const server = await lap
    .start(() => {
      lap.app.listen({
        port: config.env.PORT,
        hostname: config.env.HOST,
        // Bun enforces the limit on bodies without a content-length (chunked); the JSON 413 for
        // declared lengths comes from the request-context hook.
        maxRequestBodySize: config.env.LAP_MAX_BODY_BYTES,
        idleTimeout: 30,
      });
      return lap.app.server!;
    })
    .catch(async (err) => {
      await database.close();
      await kubernetes?.close();
      throw err;
    });
  const url = `http://${config.env.HOST === "0.0.0.0" ? "localhost" : config.env.HOST}:${server.port}`;
  logger.info({ url, database: database.mode }, "LAP ready");
  // Said once, at start-up, where an operator looks: sessions on this LAP would fail until it is fixed.
  const sandboxCheck =
    config.env.LAP_SANDBOX === "local"
      ? checkBubblewrap({ user: new SandboxUsers(parseUidRange(config.env.LAP_SANDBOX_UIDS)).forProbe() })
      : undefined;
  if (sandboxCheck && !sandboxCheck.ok)
    logger.error({ problem: sandboxCheck.problem, fix: sandboxCheck.fix }, `local sandboxes cannot start: ${sandboxCheck.reason}`);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await lap.stop();
      await database.close();
      logger.info("LAP stopped");
    })());
  return { url, config, database, logger, server, sandboxes: lap.services.sandboxes, sandboxCheck, stop };
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
