import { createResource, For, Show } from "solid-js";
import { ListCard } from "../components/list-card";
import { api } from "../lib/api";

/** The harnesses agents can run, what each is, and whether its CLI is installed on this LAP. */
export function Harnesses() {
  const [list, { refetch }] = createResource(api.harnesses.list);
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Harnesses</h1>
          <p>
            The coding agents a sandbox can run. Each CLI is installed once and shared read-only into every sandbox; its model calls go
            through LAP's gateway under the session's key.
          </p>
        </div>
        <button class="btn" onClick={() => refetch()}>
          Refresh
        </button>
      </div>
      <ListCard
        items={list}
        retry={refetch}
        colCount={4}
        skeletonRows={4}
        columns={
          <>
            <th>Harness</th>
            <th>What it is</th>
            <th>CLI</th>
            <th>Status</th>
          </>
        }
        empty={{ title: "No harnesses", text: "This LAP build registers no harness (docs/sandboxes.md)." }}
      >
        <For each={list() ?? []}>
          {(h) => (
            <tr data-testid="harness-row" data-harness={h.id}>
              <td>
                <strong>{h.label}</strong>
                <div class="muted mono">{h.id}</div>
              </td>
              <td>{h.description}</td>
              <td>
                <Show when={h.package} fallback={<span class="muted">built in</span>}>
                  <span class="mono">
                    {h.package}@{h.version ?? "?"}
                  </span>
                  <Show when={h.binary}>
                    <div class="muted mono" title={h.binary ?? ""}>
                      {h.binary!.split("/node_modules/").at(-1)}
                    </div>
                  </Show>
                </Show>
              </td>
              <td>
                <span class={`badge ${h.installed ? "ok" : "err"}`}>
                  <span class="dot" /> {h.installed ? "Installed" : "Missing"}
                </span>
                <Show when={h.problem}>
                  <div class="muted">{h.problem}</div>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
    </div>
  );
}
