import { A, useSearchParams } from "@solidjs/router";
import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import { UsageChart } from "../components/UsageChart";
import { ListCard } from "../components/list-card";
import { ErrorAlert } from "../components/ui";
import { api, ApiError, usd } from "../lib/api";
import { breakdown, perDay, totals, usageCsv, type Dimension } from "../lib/usage";

const DAY_MS = 86_400_000;
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);
const count = (n: number) => n.toLocaleString("en-US");
const compact = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(+n.toFixed(2)));
const money = (n: number) => (n === 0 ? "$0" : n < 0.01 ? `$${+n.toPrecision(2)}` : `$${n.toFixed(2)}`);
const PRESETS = [7, 30, 90] as const;

/**
 * Usage, like LiteLLM's usage view: requests, tokens, cost and errors per day over a date range, as
 * full-width charts, and by model, key and agent, with a CSV export. Admins only (GET /spend/usage).
 */
export function Usage() {
  const [params, setParams] = useSearchParams();
  const today = isoDay(Date.now());
  const from = () => (typeof params.from === "string" ? params.from : isoDay(Date.now() - 29 * DAY_MS));
  const to = () => (typeof params.to === "string" ? params.to : today);
  const [draft, setDraft] = createSignal({ from: from(), to: to() });
  const [rangeError, setRangeError] = createSignal("");
  const [report, { refetch }] = createResource(
    () => ({ start: from(), end: to() }),
    (r) => api.gateway.spend.usage(r.start, r.end),
  );
  const [dimension, setDimension] = createSignal<Dimension>("model");
  const days = createMemo(() => (report.latest ? perDay(report.latest) : []));
  const sum = createMemo(() => totals(report.latest?.rows ?? []));
  const groups = createMemo(() => breakdown(report.latest?.rows ?? [], dimension()));

  const apply = (e?: Event) => {
    e?.preventDefault();
    const d = draft();
    if (!d.from || !d.to) return setRangeError("Pick both dates.");
    if (d.from > d.to) return setRangeError("The start must not be after the end.");
    setRangeError("");
    setParams({ from: d.from, to: d.to });
  };
  const preset = (n: number) => {
    setDraft({ from: isoDay(Date.now() - (n - 1) * DAY_MS), to: today });
    apply();
  };
  const serverError = () =>
    report.error instanceof ApiError && report.error.fields.length
      ? report.error.fields.map((f) => `${f.field}: ${f.message}`).join("; ")
      : null;
  const download = () => {
    const r = report.latest;
    if (!r) return;
    const url = URL.createObjectURL(new Blob([usageCsv(r.rows)], { type: "text/csv;charset=utf-8" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `lap-usage-${r.start_date}-to-${r.end_date}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const accent = () => getComputedStyle(document.documentElement).getPropertyValue("--accent").trim() || "#6d5efc";
  const err = () => getComputedStyle(document.documentElement).getPropertyValue("--err").trim() || "#dc2626";
  return (
    <div class="page page-wide">
      <div class="page-head">
        <div>
          <h1>Usage</h1>
          <p>
            Every gateway call per UTC day: requests, tokens, cost and errors, by model, key and agent. Each call is in{" "}
            <A href="/gateway/logs">Logs &amp; spend</A>.
          </p>
        </div>
        <button class="btn" onClick={download} disabled={!report.latest?.rows.length} data-testid="usage-csv">
          Export CSV
        </button>
      </div>
      <form class="toolbar usage-range" onSubmit={apply} aria-label="Date range">
        <label>
          From{" "}
          <input
            type="date"
            aria-label="Start date"
            value={draft().from}
            max={today}
            onInput={(e) => setDraft({ ...draft(), from: e.currentTarget.value })}
          />
        </label>
        <label>
          To{" "}
          <input
            type="date"
            aria-label="End date"
            value={draft().to}
            max={today}
            onInput={(e) => setDraft({ ...draft(), to: e.currentTarget.value })}
          />
        </label>
        <button class="btn" type="submit">
          Apply
        </button>
        <For each={PRESETS}>
          {(n) => (
            <button class="btn ghost sm" type="button" onClick={() => preset(n)}>
              Last {n} days
            </button>
          )}
        </For>
        <Show when={rangeError() || serverError()}>
          <span class="field-error" data-testid="usage-range-error">
            {rangeError() || serverError()}
          </span>
        </Show>
      </form>
      <Show when={report.error && !serverError()}>
        <ErrorAlert error={report.error} retry={refetch} />
      </Show>
      <Show when={report.latest}>
        {(r) => (
          <>
            <div class="usage-totals" data-testid="usage-totals">
              <div class="card card-pad">
                <span class="muted">Requests</span>
                <strong data-testid="usage-requests">{count(sum().requests)}</strong>
              </div>
              <div class="card card-pad">
                <span class="muted">Tokens</span>
                <strong data-testid="usage-tokens">{count(sum().tokens)}</strong>
              </div>
              <div class="card card-pad">
                <span class="muted">Cost</span>
                <strong data-testid="usage-cost">{usd(sum().cost)}</strong>
                <Show when={sum().unpriced}>
                  <span class="badge warn" title="Calls of models with no price are logged at $0">
                    {count(sum().unpriced)} without a price
                  </span>
                </Show>
              </div>
              <div class="card card-pad">
                <span class="muted">Errors</span>
                <strong data-testid="usage-errors">{count(sum().errors)}</strong>
                <span class="muted">{sum().requests ? `${((sum().errors / sum().requests) * 100).toFixed(1)}% of requests` : ""}</span>
              </div>
            </div>
            <p class="muted" data-testid="usage-range">
              {r().start_date} to {r().end_date} (UTC), {r().days.length} days
            </p>
            <UsageChart
              testId="chart-requests"
              title="Requests and errors per day"
              days={r().days}
              format={compact}
              series={[
                { label: "requests", values: days().map((d) => d.requests), color: accent() },
                { label: "errors", values: days().map((d) => d.errors), color: err() },
              ]}
            />
            <UsageChart
              testId="chart-tokens"
              title="Tokens per day"
              days={r().days}
              format={compact}
              series={[{ label: "tokens", values: days().map((d) => d.tokens), color: accent() }]}
            />
            <UsageChart
              testId="chart-cost"
              title="Cost per day (USD)"
              days={r().days}
              format={money}
              series={[{ label: "cost", values: days().map((d) => d.cost), color: accent() }]}
            />
            <ListCard
              rows={groups}
              colCount={6}
              testId="usage-breakdown"
              toolbar={
                <div class="usage-tabs" role="tablist" aria-label="Break down by">
                  <For
                    each={
                      [
                        ["model", "By model"],
                        ["key", "By key"],
                        ["agent", "By agent"],
                      ] as const
                    }
                  >
                    {([dim, label]) => (
                      <button
                        role="tab"
                        class="btn ghost sm"
                        aria-selected={dimension() === dim}
                        classList={{ active: dimension() === dim }}
                        onClick={() => setDimension(dim)}
                      >
                        {label}
                      </button>
                    )}
                  </For>
                </div>
              }
              columns={
                <>
                  <th>{dimension() === "model" ? "Model" : dimension() === "key" ? "Key" : "Agent"}</th>
                  <th class="num">Requests</th>
                  <th class="num">Errors</th>
                  <th class="num">Tokens</th>
                  <th class="num">Cost</th>
                  <th>Share of cost</th>
                </>
              }
              empty={{ title: "No gateway calls in this range", text: "Widen the range, or make a call through the gateway." }}
            >
              <For each={groups()}>
                {(g) => (
                  <tr data-testid="usage-group">
                    <td>
                      {dimension() === "agent" && g.id && !g.label.endsWith("(deleted)") ? (
                        <A href={`/agents/${g.id}`}>{g.label}</A>
                      ) : (
                        g.label
                      )}
                    </td>
                    <td class="num">{count(g.requests)}</td>
                    <td class="num">{g.errors ? <span class="badge err">{count(g.errors)}</span> : "0"}</td>
                    <td class="num">{count(g.tokens)}</td>
                    <td class="num">
                      {usd(g.cost)}
                      {g.unpriced ? (
                        <span class="badge warn" title="Some calls had no price">
                          {" "}
                          no price
                        </span>
                      ) : (
                        ""
                      )}
                    </td>
                    <td>
                      <div class="meter" title={`${sum().cost ? ((g.cost / sum().cost) * 100).toFixed(0) : 0}%`}>
                        <div style={{ width: `${sum().cost ? (g.cost / sum().cost) * 100 : 0}%` }} />
                      </div>
                    </td>
                  </tr>
                )}
              </For>
            </ListCard>
          </>
        )}
      </Show>
    </div>
  );
}
