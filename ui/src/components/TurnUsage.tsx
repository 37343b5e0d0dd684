import { A } from "@solidjs/router";
import { createResource, For, onCleanup, Show } from "solid-js";
import { api, type SpendLog, usd } from "../lib/api";
import { formatDuration } from "./ToolCard";

/** A finished turn: from its session.status_running to the session.status_idle / session.error that ended it. */
export interface TurnWindow {
  start: string;
  end: string;
}

/**
 * The session's model calls from the gateway's log, read once (and again when a turn ends). Admins
 * only, like Logs & spend: for anyone else it resolves to null and the chat shows no usage lines.
 * Spend rows are written a moment after a call ends, so a turn that ended with no row yet re-reads
 * a few times.
 */
export function createSessionUsage(sessionId: () => string | undefined) {
  const [rows, { refetch }] = createResource(sessionId, (id) =>
    api.gateway.spend.logs({ session_id: id, limit: "1000" }).catch(() => null as SpendLog[] | null),
  );
  let retries: ReturnType<typeof setTimeout>[] = [];
  onCleanup(() => retries.forEach(clearTimeout));
  const turnEnded = () => {
    retries.forEach(clearTimeout);
    retries = [300, 1500, 4000].map((ms) => setTimeout(() => refetch(), ms));
  };
  return { rows, turnEnded };
}

const inWindow = (r: SpendLog, w: TurnWindow) =>
  Date.parse(r.start_time) >= Date.parse(w.start) && Date.parse(r.start_time) <= Date.parse(w.end);

/** One turn's tokens, cost and latency, each model call linked to its row in Logs & spend. */
export function TurnUsage(props: { rows: SpendLog[] | null | undefined; turn: TurnWindow }) {
  const calls = () => (props.rows ?? []).filter((r) => inWindow(r, props.turn)).sort((a, b) => a.start_time.localeCompare(b.start_time));
  const tokens = () => calls().reduce((n, r) => n + r.total_tokens, 0);
  const cost = () => calls().reduce((n, r) => n + r.spend, 0);
  const unpriced = () => calls().some((r) => r.priced === false);
  const failed = () => calls().filter((r) => r.status === "failure").length;
  const wall = () => Date.parse(props.turn.end) - Date.parse(props.turn.start);
  return (
    <Show when={props.rows && calls().length}>
      <details class="turn-usage" data-testid="turn-usage">
        <summary>
          <span data-testid="turn-calls">
            {calls().length} model call{calls().length === 1 ? "" : "s"}
          </span>{" "}
          · <span data-testid="turn-tokens">{tokens().toLocaleString("en-US")} tokens</span> ·{" "}
          <span data-testid="turn-cost">{unpriced() ? "no price" : usd(cost())}</span> ·{" "}
          <span data-testid="turn-latency" title="The turn, from start to its last event">
            {formatDuration(wall())}
          </span>
          <Show when={failed()}>
            {" "}
            · <span class="badge err">{failed()} failed</span>
          </Show>
        </summary>
        <ul>
          <For each={calls()}>
            {(r) => (
              <li>
                <A href={`/gateway/logs?request_id=${encodeURIComponent(r.request_id)}`} data-testid="turn-log-link">
                  {r.model_group ?? r.route}
                </A>{" "}
                <span class="muted">
                  {r.prompt_tokens.toLocaleString("en-US")} in · {r.completion_tokens.toLocaleString("en-US")} out ·{" "}
                  {r.priced === false ? "no price" : usd(r.spend)}
                  {r.latency_ms !== null ? ` · ${formatDuration(r.latency_ms)}` : ""}
                  {r.status === "failure" ? ` · failed (${r.http_status ?? "error"})` : ""}
                </span>
              </li>
            )}
          </For>
        </ul>
      </details>
    </Show>
  );
}
