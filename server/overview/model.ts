import { z } from "zod";

/** `GET /api/overview?hours=24`: the window the charts cover (1 hour to 30 days). */
export const overviewQuery = z
  .object({
    hours: z.coerce
      .number({ message: "must be a number of hours" })
      .int("must be a whole number of hours")
      .min(1, "at least 1")
      .max(720, "at most 720 (30 days)")
      .default(24),
  })
  .strict();

export interface SeriesPoint {
  /** Start of the bucket (ISO). */
  t: string;
  [series: string]: number | string;
}

/** What the dashboard's Overview page (ui/src/pages/Overview.tsx) draws. */
export interface Overview {
  window: { hours: number; bucket: "hour" | "day"; from: string; to: string };
  /** Sessions not ended, by status (creating, idle, running, awaiting_approval, recovering). */
  active_sessions: { total: number; by_status: Record<string, number> };
  pending_approvals: number;
  /** Sessions created per bucket (`sessions`); turns ended per bucket by outcome (`completed`, `failed`, `interrupted`). */
  sessions_over_time: SeriesPoint[];
  turns_over_time: SeriesPoint[];
  /** USD per bucket for the top five model groups / agents; the rest is `other`. */
  spend_by_model: { series: string[]; points: SeriesPoint[] };
  spend_by_agent: { series: string[]; points: SeriesPoint[] };
  /** Per bucket: `p50_ms`, `p95_ms`, `calls`, `error_rate` (0..1). */
  gateway: SeriesPoint[];
  sandbox_pool: { warm: number; provisioning: number; claimed: number };
  totals: { sessions: number; turns: number; spend: number; gateway_calls: number };
}
