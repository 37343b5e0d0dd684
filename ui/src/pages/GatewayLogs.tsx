import { A, useSearchParams } from "@solidjs/router";
import { createMemo, createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { ListCard } from "../components/list-card";
import { timeAgo } from "../lib/format";
import { api, type DailySpend, type SpendLog, usd } from "../lib/api";

const pretty = (v: unknown) => {
  if (v && typeof v === "object" && "text" in v && typeof (v as { text: unknown }).text === "string") return (v as { text: string }).text;
  return JSON.stringify(v, null, 2);
};
const ms = (v: number | null) => (v === null ? "–" : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);

/** A call's cost, or "no price" when the model had none ($0 would read as free); "–" when no provider was called. */
function Cost(props: { row: SpendLog }) {
  if (props.row.priced === null && props.row.spend === 0 && props.row.status !== "success")
    return (
      <span class="muted" title="Refused before any provider was called">
        –
      </span>
    );
  return (
    <Show
      when={props.row.priced !== false}
      fallback={
        <A
          href={`/gateway/models?model=${encodeURIComponent(props.row.model_group ?? "")}`}
          class="badge warn"
          data-testid="no-price"
          title="This model has no price: the call was logged at $0. Set its price in Models & providers."
        >
          no price
        </A>
      }
    >
      {usd(props.row.spend)}
    </Show>
  );
}

/** Gateway logs: a spend chart, a live tail with filters, and a drawer with one call's details. */
export function GatewayLogs() {
  const [model, setModel] = createSignal("");
  const [alias, setAlias] = createSignal("");
  const [status, setStatus] = createSignal("");
  const [live, setLive] = createSignal(true);
  const [selected, setSelected] = createSignal<SpendLog | null>(null);
  // Linked from a chat turn's usage line: `?request_id=` opens that call; `?session_id=` lists that session's calls.
  const [params, setParams] = useSearchParams();
  const sessionId = () => (typeof params.session_id === "string" ? params.session_id : undefined);
  if (typeof params.request_id === "string") {
    void api.gateway.spend
      .logs({ request_id: params.request_id })
      .then((rows) => rows[0] && setSelected(rows[0]))
      .catch(() => {});
  }
  const closeDrawer = () => {
    setSelected(null);
    if (params.request_id) setParams({ request_id: undefined }, { replace: true });
  };
  const filter = () => ({
    model: model() || undefined,
    key_alias: alias() || undefined,
    status: status() || undefined,
    session_id: sessionId(),
    limit: "200",
  });
  const [logs, { refetch }] = createResource(filter, api.gateway.spend.logs);
  const [daily, { refetch: refetchDaily }] = createResource(api.gateway.spend.daily);
  const timer = setInterval(() => {
    if (live() && !document.hidden) {
      refetch();
      refetchDaily();
    }
  }, 2000);
  onCleanup(() => clearInterval(timer));
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Gateway logs</h1>
          <p>Every model call: who made it, where it went, what it cost and how long it took.</p>
        </div>
        <label class="muted">
          <input type="checkbox" checked={live()} onChange={(e) => setLive(e.currentTarget.checked)} /> Live
        </label>
      </div>
      <Show when={daily()}>{(d) => <SpendChart rows={d()} />}</Show>
      <div class="toolbar">
        <input aria-label="Filter by model" placeholder="model" value={model()} onChange={(e) => setModel(e.currentTarget.value.trim())} />
        <input
          aria-label="Filter by key alias"
          placeholder="key alias"
          value={alias()}
          onChange={(e) => setAlias(e.currentTarget.value.trim())}
        />
        <select aria-label="Filter by status" value={status()} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">any status</option>
          <option value="success">success</option>
          <option value="failure">failure</option>
        </select>
      </div>
      <Show when={sessionId()}>
        {(id) => (
          <div class="callout" data-testid="logs-session-filter">
            Calls of <A href={`/sessions/${id()}`}>one session</A> only. <A href="/gateway/logs">Show every call</A>
          </div>
        )}
      </Show>
      <ListCard
        items={logs}
        rows={() => logs.latest}
        loading={logs.loading && logs.latest === undefined}
        retry={refetch}
        colCount={9}
        columns={
          <>
            <th>When</th>
            <th>Status</th>
            <th>Key</th>
            <th>Model</th>
            <th>Route</th>
            <th>Tokens</th>
            <th>Cost</th>
            <th>Latency</th>
            <th>TTFT</th>
          </>
        }
        empty={{
          title: "No calls yet",
          text: "Calls to /v1/chat/completions, /v1/messages and /v1/responses show up here within a second.",
        }}
      >
        <For each={logs.latest}>
          {(r) => (
            <tr data-testid="log-row" class="clickable" onClick={() => setSelected(r)}>
              <td title={r.start_time}>{timeAgo(r.start_time)}</td>
              <td data-testid="log-status">
                <span class={`badge ${r.status === "success" ? "ok" : "err"}`}>
                  {r.status === "success" ? "ok" : (r.http_status ?? "failed")}
                </span>
                {/* Why it failed, so the page explains an agent that did (refused calls included). */}
                <Show when={r.status !== "success" && r.error}>
                  <div class="muted log-why" title={r.error ?? ""} data-testid="log-why">
                    {r.error!.length > 90 ? `${r.error!.slice(0, 90)}…` : r.error}
                  </div>
                </Show>
              </td>
              <td>{r.key_alias ?? <span class="muted">–</span>}</td>
              <td>
                {r.model_group}
                {r.attempts.length > 1 ? <span class="muted"> · {r.attempts.length} attempts</span> : ""}
              </td>
              <td class="mono muted">
                {r.route}
                {r.stream ? " (stream)" : ""}
              </td>
              <td>{r.total_tokens}</td>
              <td>
                <Cost row={r} />
              </td>
              <td>{ms(r.latency_ms)}</td>
              <td>{ms(r.ttft_ms)}</td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={selected()}>{(r) => <LogDrawer row={r()} onClose={closeDrawer} />}</Show>
    </div>
  );
}

function SpendChart(props: { rows: DailySpend[] }) {
  const days = createMemo(() => {
    const byDay = new Map<string, number>();
    for (let i = 13; i >= 0; i--) byDay.set(new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10), 0);
    for (const r of props.rows) if (byDay.has(r.day)) byDay.set(r.day, byDay.get(r.day)! + r.spend);
    return [...byDay.entries()];
  });
  const max = () => Math.max(...days().map(([, v]) => v), 1e-9);
  const total = () => days().reduce((a, [, v]) => a + v, 0);
  return (
    <div class="card card-pad" data-testid="spend-chart">
      <div class="muted">
        Spend, last 14 days: <strong data-testid="spend-total">{usd(total())}</strong> ·{" "}
        <A href="/gateway/usage">Usage by day, model, key and agent</A>
      </div>
      <svg viewBox="0 0 280 60" class="spend-chart" role="img" aria-label="Daily spend">
        <For each={days()}>
          {([day, v], i) => (
            <rect x={i() * 20 + 2} y={58 - (v / max()) * 54} width="16" height={Math.max(1, (v / max()) * 54)} rx="2">
              <title>{`${day}: ${usd(v)}`}</title>
            </rect>
          )}
        </For>
      </svg>
    </div>
  );
}

function LogDrawer(props: { row: SpendLog; onClose: () => void }) {
  // The list leaves stored bodies out; the drawer loads its one row in full.
  const [full] = createResource(
    () => props.row.request_id,
    (id) => api.gateway.spend.logs({ request_id: id }).then((rows) => rows[0] ?? props.row),
  );
  const r = () => full() ?? props.row;
  const item = (label: string, value: unknown) => (
    <div class="kv">
      <span class="muted">{label}</span>
      <span class="mono">{value === null || value === undefined || value === "" ? "–" : String(value)}</span>
    </div>
  );
  return (
    <aside class="drawer" role="dialog" aria-label="Call details" data-testid="log-drawer">
      <header>
        <strong>Call details</strong>
        <button class="btn ghost sm" onClick={props.onClose} aria-label="Close details">
          ✕
        </button>
      </header>
      <section>
        <h4>Request</h4>
        {item("Request id", r().request_id)}
        {item("Route", `${r().route}${r().stream ? " (stream)" : ""}`)}
        {item("Key", r().key_alias)}
        {item("End user", r().end_user)}
        {item("Session", r().session_id)}
        {item("Agent", r().agent_id)}
      </section>
      <section>
        <h4>Response</h4>
        {item("Status", `${r().status}${r().http_status ? ` (${r().http_status})` : ""}`)}
        {item("Model group", r().model_group)}
        {item("Deployment", r().deployment)}
        {item("Provider", r().provider)}
        {item("API base", r().api_base)}
        {item("Tokens in / out", `${r().prompt_tokens} / ${r().completion_tokens}`)}
        <div class="kv">
          <span class="muted">Cost</span>
          <span class="mono">
            <Cost row={r()} />
          </span>
        </div>
        <Show when={r().error}>
          <div class="alert" role="alert">
            {r().error}
          </div>
        </Show>
      </section>
      <section>
        <h4>Bodies</h4>
        <Show
          when={r().request_body || r().response_body}
          fallback={
            <div class="muted" data-testid="bodies-off">
              Request and response bodies are not stored. Set LAP_GATEWAY_STORE_PROMPTS=true to keep them (truncated to 16 KB).
            </div>
          }
        >
          <div class="muted">Request</div>
          <pre class="body-json" data-testid="request-body">
            {pretty(r().request_body)}
          </pre>
          <div class="muted">Response</div>
          <pre class="body-json" data-testid="response-body">
            {pretty(r().response_body)}
          </pre>
        </Show>
      </section>
      <section>
        <h4>Timings</h4>
        {item("Started", new Date(r().start_time).toLocaleString())}
        {item("Latency", ms(r().latency_ms))}
        {item("Time to first token", ms(r().ttft_ms))}
      </section>
      <section>
        <h4>Attempts</h4>
        <For each={r().attempts}>
          {(a) => (
            <div class="kv" data-testid="attempt">
              <span class="mono">
                {a.model_group} → {a.deployment}
              </span>
              <span>
                <span class={`badge ${a.status === 200 ? "ok" : "err"}`}>{a.status}</span> {Math.round(a.ms)} ms
                {a.cooldown ? " · cooled down" : ""}
              </span>
            </div>
          )}
        </For>
      </section>
    </aside>
  );
}
