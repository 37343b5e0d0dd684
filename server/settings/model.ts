import type { ConfigEntry } from "./service";

/** What `/api/settings/system` returns (the dashboard's System page reads it). */
export interface SystemInfo {
  version: string;
  lap_env: string;
  base_url: string;
  data_dir: string;
  ready: boolean;
  database: {
    mode: "embedded" | "external";
    reachable: boolean;
    error?: string;
    migrations: { applied: number; total: number; pending: number } | null;
  };
  runtime: { bun: string; pid: number; uptime_seconds: number };
  config: ConfigEntry[];
  container_env: string[];
}
