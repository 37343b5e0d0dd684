import type { Database } from "../db/client";
import type { Overview, SeriesPoint } from "./model";

const TOP = 5;
const num = (v: unknown) => Number(v ?? 0);

/**
 * The Overview page's numbers, from the database (the same on every replica): active sessions,
 * sessions and turns over time, spend by model and by agent over time, gateway latency and error
 * rate, the sandbox pool, pending approvals. Hourly buckets up to two days, daily beyond.
 */
export class OverviewService {
  constructor(private readonly deps: { database: Database }) {}

  async get(hours: number, now = new Date()): Promise<Overview> {
    const bucket = hours <= 48 ? "hour" : "day";
    const to = now;
    const from = new Date(now.getTime() - hours * 3_600_000);
    const q = <T>(text: string, params: unknown[] = []) => this.deps.database.query<T & Record<string, unknown>>(text, params);
    const buckets = this.buckets(from, to, bucket);
    // Buckets as UTC epoch seconds (date_trunc would follow the database session's time zone).
    const window = [bucket === "hour" ? 3600 : 86400, from.toISOString()] as const;

    const [statusRows, approvals, sessions, turns, spendModel, spendAgent, gateway, pool] = await Promise.all([
      q<{ status: string; n: number }>(
        `select status, count(*)::int as n from sessions where status not in ('stopped', 'error') group by status`,
      ),
      q<{ n: number }>(`select count(*)::int as n from approvals where status = 'pending'`),
      q<{ b: number; n: number }>(
        `select (floor(extract(epoch from created_at) / $1) * $1)::float8 as b, count(*)::int as n from sessions where created_at >= $2 group by 1`,
        [...window],
      ),
      q<{ b: number; status: string; n: number }>(
        `select (floor(extract(epoch from coalesce(ended_at, created_at)) / $1) * $1)::float8 as b, status, count(*)::int as n from session_turns
         where coalesce(ended_at, created_at) >= $2 and status in ('completed', 'failed', 'interrupted') group by 1, 2`,
        [...window],
      ),
      q<{ b: number; k: string | null; v: number }>(
        `select (floor(extract(epoch from start_time) / $1) * $1)::float8 as b, model_group as k, sum(spend)::float8 as v from gateway_spend_logs where start_time >= $2 group by 1, 2`,
        [...window],
      ),
      q<{ b: number; k: string | null; v: number }>(
        `select (floor(extract(epoch from l.start_time) / $1) * $1)::float8 as b, coalesce(a.name, l.agent_id) as k, sum(l.spend)::float8 as v from gateway_spend_logs l
         left join agents a on a.id = l.agent_id where l.start_time >= $2 and l.agent_id is not null group by 1, 2`,
        [...window],
      ),
      q<{ b: number; p50: number | null; p95: number | null; calls: number; failed: number }>(
        `select (floor(extract(epoch from start_time) / $1) * $1)::float8 as b,
                percentile_cont(0.5) within group (order by latency_ms) as p50,
                percentile_cont(0.95) within group (order by latency_ms) as p95,
                count(*)::int as calls, count(*) filter (where status = 'failure')::int as failed
         from gateway_spend_logs where start_time >= $2 group by 1`,
        [...window],
      ),
      q<{ status: string; n: number }>(
        `select status, count(*)::int as n from sandboxes where status in ('warm', 'provisioning', 'claimed') group by status`,
      ),
    ]);

    const byStatus = Object.fromEntries(statusRows.map((r) => [r.status, num(r.n)]));
    const key = (seconds: number | string) => new Date(Number(seconds) * 1000).toISOString();
    const points = (fill: (p: SeriesPoint) => void) =>
      buckets.map((t) => {
        const p: SeriesPoint = { t };
        fill(p);
        return p;
      });
    const index = <R extends { b: number | string }>(rows: R[]) => {
      const m = new Map<string, R[]>();
      for (const r of rows) m.set(key(r.b), [...(m.get(key(r.b)) ?? []), r]);
      return m;
    };
    const sessionsAt = index(sessions);
    const turnsAt = index(turns);
    const gatewayAt = index(gateway);

    const stacked = (rows: Array<{ b: number | string; k: string | null; v: number }>) => {
      const totals = new Map<string, number>();
      for (const r of rows) totals.set(r.k ?? "unknown", (totals.get(r.k ?? "unknown") ?? 0) + num(r.v));
      const top = [...totals.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP)
        .map(([k]) => k);
      const series = totals.size > TOP ? [...top, "other"] : top;
      const at = index(rows);
      return {
        series,
        points: points((p) => {
          for (const s of series) p[s] = 0;
          for (const r of at.get(p.t) ?? []) {
            const s = top.includes(r.k ?? "unknown") ? (r.k ?? "unknown") : "other";
            p[s] = num(p[s]) + num(r.v);
          }
        }),
      };
    };

    return {
      window: { hours, bucket, from: from.toISOString(), to: to.toISOString() },
      active_sessions: { total: Object.values(byStatus).reduce((a, b) => a + b, 0), by_status: byStatus },
      pending_approvals: num(approvals[0]?.n),
      sessions_over_time: points((p) => {
        p.sessions = (sessionsAt.get(p.t) ?? []).reduce((a, r) => a + num(r.n), 0);
      }),
      turns_over_time: points((p) => {
        for (const s of ["completed", "failed", "interrupted"]) p[s] = 0;
        for (const r of turnsAt.get(p.t) ?? []) p[r.status] = num(r.n);
      }),
      spend_by_model: stacked(spendModel),
      spend_by_agent: stacked(spendAgent),
      gateway: points((p) => {
        const r = gatewayAt.get(p.t)?.[0];
        p.calls = num(r?.calls);
        p.p50_ms = Math.round(num(r?.p50));
        p.p95_ms = Math.round(num(r?.p95));
        p.error_rate = r && num(r.calls) > 0 ? num(r.failed) / num(r.calls) : 0;
      }),
      sandbox_pool: { warm: 0, provisioning: 0, claimed: 0, ...Object.fromEntries(pool.map((r) => [r.status, num(r.n)])) },
      totals: {
        sessions: sessions.reduce((a, r) => a + num(r.n), 0),
        turns: turns.reduce((a, r) => a + num(r.n), 0),
        spend: spendModel.reduce((a, r) => a + num(r.v), 0),
        gateway_calls: gateway.reduce((a, r) => a + num(r.calls), 0),
      },
    };
  }

  /** Bucket starts from `from` to `to`, in UTC (date_trunc on a timestamptz uses the session time zone: UTC here). */
  private buckets(from: Date, to: Date, bucket: "hour" | "day"): string[] {
    const step = bucket === "hour" ? 3_600_000 : 86_400_000;
    const out: string[] = [];
    for (let t = this.truncate(from, bucket).getTime(); t <= to.getTime(); t += step) out.push(new Date(t).toISOString());
    return out;
  }

  private truncate(d: Date, bucket: "hour" | "day"): Date {
    const t = new Date(d);
    t.setUTCMinutes(0, 0, 0);
    if (bucket === "day") t.setUTCHours(0);
    return t;
  }
}
