import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import { ListCard } from "../components/list-card";
import { ErrorAlert } from "../components/ui";
import { api } from "../lib/api";
import { duration } from "../lib/format";

export function System() {
  const [info, { refetch }] = createResource(api.settings.system);
  const [filter, setFilter] = createSignal("");
  const rows = createMemo(() => {
    const q = filter().toLowerCase();
    return (info()?.config ?? []).filter((c) => !q || `${c.name} ${c.description} ${c.group}`.toLowerCase().includes(q));
  });
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>System</h1>
          <p>Effective configuration, database and health of this LAP process.</p>
        </div>
        <span>
          <a class="btn" href="/docs" target="_blank" rel="noreferrer">
            API docs
          </a>{" "}
          <button class="btn" onClick={() => refetch()}>
            Refresh
          </button>
        </span>
      </div>
      <Show when={info.error}>
        <ErrorAlert error={info.error} retry={refetch} />
      </Show>
      <Show when={info()}>
        {(i) => (
          <>
            <div class="grid-stats">
              <div class="card stat">
                <div class="label">Health</div>
                <div class="value" data-testid="health">
                  <span class={`badge ${i().ready ? "ok" : "err"}`}>
                    <span class="dot" /> {i().ready ? "Ready" : "Not ready"}
                  </span>
                </div>
              </div>
              <div class="card stat">
                <div class="label">Database</div>
                <div class="value" data-testid="db-mode">
                  {i().database.mode === "embedded" ? "Embedded PGlite" : "External PostgreSQL"}
                </div>
              </div>
              <div class="card stat">
                <div class="label">Migrations</div>
                <div class="value">
                  {i().database.migrations ? `${i().database.migrations!.applied}/${i().database.migrations!.total} applied` : "unknown"}
                </div>
              </div>
              <div class="card stat">
                <div class="label">Version</div>
                <div class="value" data-testid="version">
                  {i().version} <span class="badge">{i().lap_env}</span>
                </div>
              </div>
              <div class="card stat">
                <div class="label">Uptime · Bun</div>
                <div class="value">
                  {duration(i().runtime.uptime_seconds)} <span class="muted mono">bun {i().runtime.bun}</span>
                </div>
              </div>
            </div>
            <Show when={!i().database.reachable}>
              <div class="alert">Database unreachable: {i().database.error}. Check DATABASE_URL and run `lap doctor`.</div>
            </Show>
            <h2>Configuration</h2>
            <div class="toolbar">
              <input
                placeholder="Filter variables…"
                value={filter()}
                onInput={(e) => setFilter(e.currentTarget.value)}
                aria-label="Filter variables"
              />
              <span class="muted">
                Set with environment variables; secrets are never shown. Data in <code>{i().data_dir}</code>.
              </span>
            </div>
            <ListCard
              rows={rows}
              colCount={4}
              columns={
                <>
                  <th>Variable</th>
                  <th>Value</th>
                  <th>Source</th>
                  <th>Description</th>
                </>
              }
              empty={{ title: "No variable matches", text: "Clear the filter to see every setting." }}
            >
              <For each={rows()}>
                {(c) => (
                  <tr>
                    <td class="mono">{c.name}</td>
                    <td class="mono">{c.value ?? <span class="muted">unset</span>}</td>
                    <td>
                      <span class={`badge ${c.source === "env" ? "accent" : c.source === "generated" ? "warn" : ""}`}>{c.source}</span>
                    </td>
                    <td class="muted">{c.description}</td>
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
