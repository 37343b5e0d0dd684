import { A } from "@solidjs/router";
import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { TimeChart } from "./TimeChart";
import { EmptyState, ErrorAlert } from "./ui";
import { api } from "../lib/api";

const WINDOWS = [
  { hours: 1, label: "Last hour" },
  { hours: 24, label: "Last 24 hours" },
  { hours: 168, label: "Last 7 days" },
  { hours: 720, label: "Last 30 days" },
];
const usd = (v: number) => (v === 0 ? "$0" : v < 0.01 ? `$${v.toFixed(4)}` : `$${v.toFixed(2)}`);
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

/**
 * How busy LAP is and whether it is healthy (GET /api/overview, admins): a window picker, stat cards and
 * charts. Shown on the home page below the get-started checklist and on its own at /overview.
 * `emptyHint`: say what to do when nothing has run yet (the home page's checklist already says it).
 */
export function OverviewPanels(props: { emptyHint: boolean }) {
  const [hours, setHours] = createSignal(24);
  const [data, { refetch }] = createResource(hours, (h) => api.overview(h));
  // Refreshed every 30 s; the window picker refetches at once.
  const poll = setInterval(() => refetch(), 30_000);
  onCleanup(() => clearInterval(poll));
  const nothingYet = () => {
    const o = data();
    return !!o && o.totals.sessions === 0 && o.totals.gateway_calls === 0 && o.active_sessions.total === 0 && o.pending_approvals === 0;
  };
  return (
    <section class="overview-panels" aria-label="Overview">
      <div class="toolbar">
        <select aria-label="Time window" value={hours()} onChange={(e) => setHours(Number(e.currentTarget.value))}>
          <For each={WINDOWS}>{(w) => <option value={w.hours}>{w.label}</option>}</For>
        </select>
        <button class="btn" type="button" onClick={() => refetch()}>
          Refresh
        </button>
      </div>
      <Show when={data.error}>
        <ErrorAlert error={data.error} retry={refetch} />
      </Show>
      <Show when={data.latest}>
        {(o) => (
          <>
            <p class="muted" data-testid="window">
              {o().window.bucket === "hour" ? "Hourly" : "Daily"} from {new Date(o().window.from).toLocaleString()} to{" "}
              {new Date(o().window.to).toLocaleString()}
            </p>
            <div class="grid-stats">
              <div class="card stat">
                <div class="label">Active sessions</div>
                <div class="value" data-testid="active-sessions">
                  {o().active_sessions.total}
                </div>
              </div>
              <div class="card stat">
                <div class="label">Pending approvals</div>
                <div class="value" data-testid="pending-approvals">
                  <A href="/approvals">{o().pending_approvals}</A>
                </div>
              </div>
              <div class="card stat">
                <div class="label">Sandbox pool</div>
                <div class="value" data-testid="sandbox-pool">
                  {o().sandbox_pool.warm} warm · {o().sandbox_pool.provisioning} starting · {o().sandbox_pool.claimed} in use
                </div>
              </div>
              <div class="card stat">
                <div class="label">Spend in window</div>
                <div class="value" data-testid="spend-total">
                  {usd(o().totals.spend)}
                </div>
              </div>
              <div class="card stat">
                <div class="label">Gateway calls in window</div>
                <div class="value" data-testid="gateway-calls">
                  {o().totals.gateway_calls}
                </div>
              </div>
            </div>
            <Show when={props.emptyHint && nothingYet()}>
              <EmptyState
                title="Nothing has run yet"
                action={
                  <span>
                    <A class="btn primary" href="/agents">
                      Create an agent
                    </A>{" "}
                    <A class="btn" href="/gateway/models">
                      Add a model
                    </A>
                  </span>
                }
              >
                Add a model to the gateway, create an agent and start a session: its turns, spend and latency show up here.
              </EmptyState>
            </Show>
            <div class="grid-charts">
              <TimeChart
                testId="chart-sessions"
                title="Sessions and turns"
                points={[...o().sessions_over_time.map((p, i) => ({ ...p, ...o().turns_over_time[i] }))]}
                series={["sessions", "completed", "failed", "interrupted"]}
                empty={
                  <>
                    No sessions or turns in this window. Start one from <A href="/sessions">Sessions</A>.
                  </>
                }
              />
              <TimeChart
                testId="chart-latency"
                title="Gateway latency (p50, p95)"
                points={o().gateway}
                series={["p50_ms", "p95_ms"]}
                format={ms}
                empty={
                  <>
                    No gateway calls in this window. Point an SDK at <code>/v1</code> with a <A href="/gateway/keys">gateway key</A>.
                  </>
                }
              />
              <TimeChart
                testId="chart-errors"
                title="Gateway error rate"
                points={o().gateway}
                series={["error_rate"]}
                format={pct}
                show={o().totals.gateway_calls > 0}
                yMin={1}
                empty={<>No gateway calls in this window.</>}
              />
              <TimeChart
                testId="chart-spend-model"
                title="Spend by model"
                points={o().spend_by_model.points}
                series={o().spend_by_model.series}
                format={usd}
                empty={
                  <>
                    No spend in this window. Prices come from each model's settings in <A href="/gateway/models">Models & providers</A>.
                  </>
                }
              />
              <TimeChart
                testId="chart-spend-agent"
                title="Spend by agent"
                points={o().spend_by_agent.points}
                series={o().spend_by_agent.series}
                format={usd}
                empty={<>No agent has spent anything in this window.</>}
              />
            </div>
          </>
        )}
      </Show>
    </section>
  );
}
