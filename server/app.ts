/**
 * The composition root (docs/development.md "Layers"): builds every module in dependency order and
 * hands out the ports between them (server/app/), then the HTTP app. No I/O happens until the app
 * handles a request or `start()` is called (server/app/lifecycle.ts).
 */
import { fileURLToPath } from "node:url";
import { buildCore } from "./app/core";
import type { AppDeps } from "./app/deps";
import { buildEdges } from "./app/edges";
import { buildFoundation } from "./app/foundation";
import { appLifecycle } from "./app/lifecycle";
import { buildRoutes } from "./app/routes";

export type { AppDeps, SessionOptions } from "./app/deps";

export const UI_DIST = fileURLToPath(new URL("../ui/dist", import.meta.url));

/** Builds the whole app from its dependencies. */
export function createApp(deps: AppDeps) {
  const f = buildFoundation(deps);
  const core = buildCore(deps, f);
  const edges = buildEdges(deps, f, core);
  f.metrics.observe({
    sessionCounts: () => core.sessions.statusCounts(),
    warmPoolCounts: () => core.sandboxes.service.warmPoolCounts(),
    spendQueue: () => core.gateway.service.spend.stats,
  });
  const app = buildRoutes({ ...deps, uiDist: deps.uiDist ?? UI_DIST }, f, core, edges);
  const { start, stop } = appLifecycle(deps, f, core, edges);
  return {
    app,
    metrics: f.metrics,
    tracing: f.tracing,
    start,
    stop,
    services: {
      memory: core.memory,
      platform: core.platform,
      audit: f.auditLog,
      auth: f.auth,
      teams: edges.teams,
      users: edges.users,
      gateway: core.gateway.service,
      mcp: core.mcp,
      sessions: { ...core.sessions, runtimes: core.runtimes, approvals: core.approvals, agents: core.agents },
      sandboxes: core.sandboxes.service,
      vault: core.vault,
      slack: edges.slack,
      linear: edges.linear,
      sandboxRuntime: core.sandboxRuntime,
      agentFiles: core.agentFiles,
      workspaceFiles: core.workspaceFiles,
      schedules: edges.schedules,
      scheduler: edges.scheduler,
      triggers: edges.triggers,
      triggerCallbacks: edges.triggerCallbacks,
    },
  };
}

export type App = ReturnType<typeof createApp>["app"];
