import { Elysia } from "elysia";
import type { Config } from "../config/load";
import type { Database } from "../db/client";
import { requireAdmin, type AuthGuard } from "../http/auth-guard";
import { checkReadiness } from "../health/service";
import type { SystemInfo } from "./model";
import { effectiveConfig } from "./service";

export interface SettingsDeps {
  /** The whole configuration on purpose: this page shows every setting, redacted. */
  config: Config;
  database: Database;
  guard: AuthGuard;
  /** The raw environment on purpose: the page says where each setting came from (set or default). */
  rawEnv: Record<string, string | undefined>;
  startedAt: number;
}

export function settingsRoutes(deps: SettingsDeps) {
  return new Elysia({ prefix: "/api/settings", detail: { tags: ["Settings"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get(
      "/system",
      async (): Promise<SystemInfo> => {
        const readiness = await checkReadiness(deps.database);
        return {
          version: deps.config.version,
          lap_env: deps.config.env.LAP_ENV,
          base_url: deps.config.baseUrl,
          data_dir: deps.config.dataDir,
          database: { ...readiness.database, migrations: readiness.migrations },
          ready: readiness.ready,
          runtime: { bun: Bun.version, pid: process.pid, uptime_seconds: Math.round((Date.now() - deps.startedAt) / 1000) },
          config: effectiveConfig(deps.config, deps.rawEnv),
          container_env: Object.keys(deps.config.containerEnv),
        };
      },
      { detail: { summary: "Effective configuration (secrets redacted), database mode, health and version" } },
    );
}
