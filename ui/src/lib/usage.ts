// The Usage page's sums and its CSV, from GET /spend/usage's rows (calls per day, model, key and agent).
import type { UsageReport, UsageRow } from "../../../server/gateway/spend/usage";

export type { UsageReport, UsageRow };

export interface Totals {
  requests: number;
  errors: number;
  tokens: number;
  cost: number;
  /** Calls of models with no price: their cost is unknown, not $0. */
  unpriced: number;
}

const zero = (): Totals => ({ requests: 0, errors: 0, tokens: 0, cost: 0, unpriced: 0 });
const add = (t: Totals, r: UsageRow) => {
  t.requests += r.requests;
  t.errors += r.failures;
  t.tokens += r.prompt_tokens + r.completion_tokens;
  t.cost += r.spend;
  t.unpriced += r.unpriced;
};

export function totals(rows: UsageRow[]): Totals {
  const t = zero();
  for (const r of rows) add(t, r);
  return t;
}

/** One Totals per day of the range, in the range's order (days without calls are zeros). */
export function perDay(report: Pick<UsageReport, "days" | "rows">): Totals[] {
  const byDay = new Map(report.days.map((d) => [d, zero()]));
  for (const r of report.rows) {
    const t = byDay.get(r.day);
    if (t) add(t, r);
  }
  return report.days.map((d) => byDay.get(d)!);
}

export type Dimension = "model" | "key" | "agent";

export interface Group extends Totals {
  id: string | null;
  label: string;
}

const keyOf: Record<Dimension, (r: UsageRow) => { id: string | null; label: string }> = {
  model: (r) => ({ id: r.model_group, label: r.model_group ?? "(no model)" }),
  key: (r) => ({ id: r.key_id, label: r.key_alias ?? (r.key_id ? r.key_id : "master key or admin") }),
  agent: (r) => ({ id: r.agent_id, label: r.agent_name ?? (r.agent_id ? `${r.agent_id} (deleted)` : "no agent (direct calls)") }),
};

/** Sums by model, key or agent; most expensive first, then most requests. */
export function breakdown(rows: UsageRow[], dim: Dimension): Group[] {
  const groups = new Map<string, Group>();
  for (const r of rows) {
    const { id, label } = keyOf[dim](r);
    const k = id ?? "\u0000none";
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { id, label, ...zero() }));
    add(g, r);
  }
  return [...groups.values()].sort((a, b) => b.cost - a.cost || b.requests - a.requests || a.label.localeCompare(b.label));
}

const CSV_COLUMNS = [
  "day",
  "model",
  "key_id",
  "key_alias",
  "agent_id",
  "agent_name",
  "requests",
  "errors",
  "prompt_tokens",
  "completion_tokens",
  "cost_usd",
  "unpriced_requests",
] as const;

/** RFC 4180: quote a field holding a comma, quote or line break; double its quotes. A leading =,+,-,@ is prefixed with ' so spreadsheets do not run it. */
export function csvField(v: string | number | null): string {
  if (v === null) return "";
  let s = String(v);
  if (typeof v === "string" && /^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The rows as CSV (one line per day, model, key and agent), for a spreadsheet. */
export function usageCsv(rows: UsageRow[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of rows) {
    lines.push(
      [
        r.day,
        r.model_group,
        r.key_id,
        r.key_alias,
        r.agent_id,
        r.agent_name,
        r.requests,
        r.failures,
        r.prompt_tokens,
        r.completion_tokens,
        +r.spend.toFixed(8),
        r.unpriced,
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
