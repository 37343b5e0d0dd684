import { A } from "@solidjs/router";
import { For, Show } from "solid-js";
import type { PoolView } from "../lib/api/sandboxes";

const rate = (hits: number, misses: number) => (hits + misses ? `${Math.round((100 * hits) / (hits + misses))}%` : "—");

/**
 * How sessions got their sandbox over the last hours, per agent and harness: a warm hit (a sandbox
 * with its harness already started), a warm sandbox whose pre-started harness the bind restarted
 * (not counted as a hit), or a miss (started cold). server/sandboxes/pool-stats.ts.
 */
export function PoolHits(props: { pool: PoolView }) {
  return (
    <Show
      when={props.pool.agents.length > 0}
      fallback={<p class="muted">No sessions started a sandbox in the last {props.pool.stats_hours} h.</p>}
    >
      <h3>Hits and misses, last {props.pool.stats_hours} h</h3>
      <table data-testid="pool-hits">
        <thead>
          <tr>
            <th>Agent</th>
            <th>Harness</th>
            <th title="Sessions that took a warm sandbox, its harness already started">Hits</th>
            <th title="Sessions that started their sandbox cold">Misses</th>
            <th title="Sessions that took a warm sandbox whose pre-started harness was restarted at the bind (its CLI started cold)">
              Restarted
            </th>
            <th>Hit rate</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.pool.agents}>
            {(a) => (
              <tr data-testid="pool-hits-row">
                <td>
                  <A href={`/agents/${a.agent_id}`} title={a.agent_id}>
                    {a.agent_name ?? a.agent_id}
                  </A>
                </td>
                <td class="mono">{a.harness}</td>
                <td>{a.hits}</td>
                <td>{a.misses}</td>
                <td>{a.restarted}</td>
                <td>{rate(a.hits, a.misses + a.restarted)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </Show>
  );
}
