/**
 * Starting and stopping the app's modules, in order (docs/development.md "Layers", the module
 * contract): every loop and timer of a module starts in its `start()` and ends in its `stop()`, and
 * only this file calls them. server/main.ts calls `start()` with its listen step and `stop()` on a
 * signal; tests start what main starts with the same `start()` (with a listen step, or without one
 * when they drive the app in-process through `app.handle`), and close it with `stop()`.
 */
import type { Server } from "bun";
import type { Core } from "./core";
import type { AppDeps } from "./deps";
import type { Edges } from "./edges";
import type { Foundation } from "./foundation";

/** How often API key usage (last used, counts) is written. */
const USAGE_FLUSH_MS = 15_000;

/** How long `stop()` lets in-flight HTTP requests finish before it closes their connections. */
const SERVER_DRAIN_MS = 3_000;

export function appLifecycle(deps: AppDeps, f: Foundation, core: Core, edges: Edges) {
  const { config, logger } = deps;
  let usageFlush: ReturnType<typeof setInterval> | undefined;
  let server: Server<unknown> | undefined;
  let started = false;
  let stopped: Promise<void> | undefined;

  /**
   * `listen` starts serving and returns the server: it runs once the models are loaded and before the
   * sessions start (a session's stream may reconnect at once). Without BASE_URL, LAP's public URL is
   * where it listens. Without `listen` (tests driving the app through `app.handle`) nothing listens and
   * everything else starts as in server/main.ts.
   */
  async function start(listen: () => Server<unknown>): Promise<Server<unknown>>;
  async function start(): Promise<undefined>;
  async function start(listen?: () => Server<unknown>): Promise<Server<unknown> | undefined> {
    started = true;
    // Every LAP has the local-sandbox runtime, so a fresh install can run agents without configuring one.
    await core.runtimes.ensureBuiltin();
    await core.gateway.start();
    server = listen?.();
    if (server && !config.env.BASE_URL) config.baseUrl = `http://localhost:${server.port}`;
    await core.sessions.start();
    core.sandboxRuntime.start(logger);
    core.sandboxes.start();
    core.mcp.start();
    for (const loop of edges.loops) loop.start();
    usageFlush = setInterval(() => f.auth.flushUsage().catch((err) => logger.warn({ err }, "usage flush failed")), USAGE_FLUSH_MS);
    edges.slack.start();
    edges.linear.start();
    return server;
  }

  /** Stops what `start()` started, in order; an app never started holds only the MCP gateway's connections. */
  function stop(): Promise<void> {
    stopped ??= (async () => {
      if (!started) return core.mcp.stop();
      clearInterval(usageFlush);
      core.sandboxRuntime.stop();
      edges.slack.stop();
      edges.linear.stop();
      for (const loop of edges.loops) await loop.stop();
      try {
        await deps.kubernetes?.close();
        // Long-lived session streams first, or server.stop() would wait on them; so would the MCP
        // clients' SSE streams (every sandboxed session has one: LAP's platform tools, docs/memory.md).
        await core.sessions.stop();
        await core.mcp.sessions.closeAll().catch(() => {});
        // In-flight requests get a moment to finish; a connection still open after that (a client that
        // stopped reading its response) is closed, so a stop never runs into the 10 s force-exit.
        if (server) await Promise.race([server.stop(), Bun.sleep(SERVER_DRAIN_MS)]).then(() => server?.stop(true));
        await core.mcp.stop().catch(() => {});
      } finally {
        // Whatever failed above, the sandboxes this process started do not outlive it.
        await core.sandboxes.stop();
      }
      await f.auth.flushUsage().catch(() => {});
      await core.gateway.stop();
      if (f.ownsTracing) await f.tracing.shutdown().catch(() => {});
    })();
    return stopped;
  }

  return { start, stop };
}
