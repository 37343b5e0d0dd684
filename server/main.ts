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
import { Ticker } from "./automation/ticker";
import { pruneWorkspaces } from "./files/retention";
import { join, resolve } from "node:path";

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

const USAGE_FLUSH_MS = 15_000;
/** How often each replica looks for due schedule slots, finished runs and callbacks to send. */
const AUTOMATION_TICK_MS = 1_000;
/** How often rows past LAP_AUDIT_RETENTION_DAYS are deleted. */
const AUDIT_PRUNE_MS = 3_600_000;

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
  const { app, services, tracing } = createApp({ config, database, logger, rawEnv, kubernetes, destinations: opts.destinations });
  // Every LAP has the local-sandbox runtime, so a fresh install can run agents without configuring one.
  await services.sessions.runtimes.ensureBuiltin();
  // A bad LAP_GATEWAY_CONFIG stops the start with its message, rather than failing the first model call.
  await services.gateway.ready()?.catch(async (err) => {
    await database.close();
    await kubernetes?.close();
    throw err;
  });
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
  // Idle sandboxes stop after their agent's idle timeout; the next message starts one on the same workspace.
  const idleSweep = setInterval(() => {
    services.sandboxRuntime
      .current()
      ?.sweepIdle()
      .catch((err) => logger.warn({ err }, "sandbox idle sweep failed"));
  }, 60_000);
  services.sandboxes.start();
  // Every replica ticks; the database makes each slot fire once and each callback go out once (docs/schedules.md).
  const automation = [
    new Ticker("schedules", AUTOMATION_TICK_MS, () => services.scheduler.tick(), logger),
    new Ticker("trigger-callbacks", AUTOMATION_TICK_MS, () => services.triggerCallbacks.tick(), logger),
    // The audit trail keeps LAP_AUDIT_RETENTION_DAYS (docs/operations.md "Audit trail"); pruning is idempotent across replicas.
    // Session workspaces are kept LAP_WORKSPACE_RETENTION_DAYS after the session ended (docs/files.md); each host prunes its own.
    new Ticker(
      "workspace-retention",
      AUDIT_PRUNE_MS,
      async () => {
        const removed = await pruneWorkspaces(
          { database, workspacesDir: join(resolve(config.env.LAP_DATA_DIR), "workspaces"), hostId: config.hostId },
          config.env.LAP_WORKSPACE_RETENTION_DAYS,
        );
        if (removed.length) logger.info({ removed: removed.length }, "workspaces past retention removed");
      },
      logger,
    ),
    new Ticker(
      "audit-retention",
      AUDIT_PRUNE_MS,
      async () => {
        const pruned = await services.audit.prune(config.env.LAP_AUDIT_RETENTION_DAYS);
        if (pruned) logger.info({ pruned }, "audit rows past retention deleted");
      },
      logger,
    ),
  ];
  for (const t of automation) t.start();
  const flush = setInterval(() => services.auth.flushUsage().catch((err) => logger.warn({ err }, "usage flush failed")), USAGE_FLUSH_MS);
  const url = `http://${config.env.HOST === "0.0.0.0" ? "localhost" : config.env.HOST}:${server.port}`;
  if (!config.env.BASE_URL) config.baseUrl = `http://localhost:${server.port}`;
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
      clearInterval(flush);
      clearInterval(idleSweep);
      for (const t of automation) await t.stop();
      try {
        await kubernetes?.close();
        // Long-lived session streams first, or server.stop() would wait on them; so would the MCP
        // clients' SSE streams (every sandboxed session has one: LAP's platform tools, docs/memory.md).
        await services.sessions.stop();
        await services.mcp.sessions.closeAll().catch(() => {});
        await server.stop();
        await services.mcp.close().catch(() => {});
      } finally {
        // Whatever failed above, the sandboxes this process started do not outlive it.
        await services.sandboxes.shutdown();
      }
      await services.auth.flushUsage().catch(() => {});
      await services.gateway.close();
      await tracing.shutdown().catch(() => {});
      await database.close();
      logger.info("LAP stopped");
    })());
  return { url, config, database, logger, server, sandboxes: services.sandboxes, sandboxCheck, stop };
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
