import { A } from "@solidjs/router";
import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { ConfirmDialog } from "../components/forms";
import { PoolHits } from "../components/PoolHits";
import { EmptyState, ErrorAlert, SkeletonRows, toast } from "../components/ui";
import { sandboxesApi, type SandboxView } from "../lib/api";
import { createSessionNames } from "../lib/session-names";
import { duration, timeAgo } from "../lib/format";

const stateClass: Record<string, string> = { ready: "ok", provisioning: "warn", stopped: "", failed: "err", terminating: "warn" };
const mib = (bytes: number | null) => (bytes === null ? "—" : `${(bytes / 1024 / 1024).toFixed(0)} MiB`);

/** Live sandboxes, the warm pool and recent egress; stop and destroy. Refreshes every 3 s. */
export function Sandboxes() {
  const [list, { refetch }] = createResource(() => sandboxesApi.list());
  const sessionName = createSessionNames();
  const [pool, { refetch: refetchPool }] = createResource(sandboxesApi.pool);
  const [egress, { refetch: refetchEgress }] = createResource(() => sandboxesApi.egress({ limit: 50 }).then((r) => r.data));
  const [destroying, setDestroying] = createSignal<SandboxView | null>(null);
  const [dropWorkspace, setDropWorkspace] = createSignal(false);
  const refresh = () => {
    refetch();
    refetchPool();
    refetchEgress();
  };
  const timer = setInterval(refresh, 3_000);
  onCleanup(() => clearInterval(timer));

  const stop = async (s: SandboxView) => {
    try {
      await sandboxesApi.stop(s.id);
      toast(`Stopped ${s.id}; its workspace is kept`);
      refresh();
    } catch (e) {
      toast((e as Error).message);
    }
  };

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Sandboxes</h1>
          <p>Every session's agent runs in its own sandbox. Stopping keeps the workspace; the next message starts it again.</p>
        </div>
        <button class="btn" onClick={refresh}>
          Refresh
        </button>
      </div>
      <Show when={list.error}>
        <ErrorAlert error={list.error} retry={refetch} />
      </Show>
      <div class="card">
        <Show
          when={list.loading || (list() ?? []).length > 0}
          fallback={
            <EmptyState title="No sandboxes running">Sandboxes appear here when a session starts, or when the warm pool fills.</EmptyState>
          }
        >
          <table>
            <thead>
              <tr>
                <th>Sandbox</th>
                <th>Session</th>
                <th>Agent</th>
                <th>Provider</th>
                <th>Age</th>
                <th>State</th>
                <th>CPU</th>
                <th>Memory</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <Show when={!list.loading || list()} fallback={<SkeletonRows cols={9} />}>
                <For each={list()}>
                  {(s) => (
                    <tr data-testid="sandbox-row">
                      <td class="mono" title={`workspace ${s.workspace_id}${s.limits ? `, limits: ${s.limits}` : ""}`}>
                        {s.id}
                      </td>
                      <td>
                        {s.session_id ? (
                          <A href={`/sessions/${s.session_id}`} title={s.session_id}>
                            {sessionName(s.session_id)}
                          </A>
                        ) : (
                          <span class="badge accent">{s.pool ?? "unbound"}</span>
                        )}
                      </td>
                      <td class="mono">{s.agent_id ?? "—"}</td>
                      <td>{s.provider}</td>
                      <td title={s.created_at}>{duration(s.age_seconds)}</td>
                      <td>
                        <span class={`badge ${stateClass[s.state] ?? ""}`} title={s.error ?? ""}>
                          {s.state}
                        </span>
                      </td>
                      <td>{s.cpu_seconds === null ? "—" : `${s.cpu_seconds.toFixed(1)} s`}</td>
                      <td>{mib(s.memory_bytes)}</td>
                      <td style={{ "text-align": "right", "white-space": "nowrap" }}>
                        <Show when={s.state === "ready"}>
                          <button class="btn sm" onClick={() => stop(s)} aria-label={`Stop ${s.id}`}>
                            Stop
                          </button>{" "}
                        </Show>
                        <button class="btn sm danger" onClick={() => setDestroying(s)} aria-label={`Destroy ${s.id}`}>
                          Destroy
                        </button>
                      </td>
                    </tr>
                  )}
                </For>
              </Show>
            </tbody>
          </table>
        </Show>
      </div>

      <h2>Warm pool</h2>
      <Show when={pool()}>
        {(p) => (
          <div class="card" data-testid="warm-pool">
            <Show when={p().enabled}>
              <button
                class="btn sm"
                style={{ float: "right" }}
                onClick={async () => {
                  try {
                    await sandboxesApi.refillPool();
                  } catch (e) {
                    toast((e as Error).message);
                  }
                  refresh();
                }}
              >
                Fill pool now
              </button>
            </Show>
            <p class="muted">
              {p().enabled
                ? `Keeps up to ${p().size} sandbox(es) ready, their harness already started, for agents used in the last ${p().recent_agent_hours} h (more for an agent starting sessions in bursts${p().max_memory_mb ? `, within ${p().max_memory_mb} MB` : ""}); recycled after ${p().ttl_minutes} min or when an agent changes; at most ${p().max_provisioning} starting at once.`
                : "Disabled (WARM_POOL_SIZE=0): every session starts its sandbox cold."}
            </p>
            <Show when={p().slots.length > 0} fallback={<p class="muted">No warm sandboxes right now.</p>}>
              <table>
                <thead>
                  <tr>
                    <th>Agent</th>
                    <th>Sandbox</th>
                    <th>Status</th>
                    <th>Ready</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={p().slots}>
                    {(slot) => (
                      <tr data-testid="pool-row">
                        <td class="mono">{slot.agent_id}</td>
                        <td class="mono">{slot.sandbox_id ?? "—"}</td>
                        <td>
                          <span class={`badge ${slot.status === "warm" ? "ok" : "warn"}`}>{slot.status}</span>
                        </td>
                        <td title={slot.ready_at ?? ""}>{slot.ready_at ? timeAgo(slot.ready_at) : "starting"}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </Show>
            <PoolHits pool={p()} />
          </div>
        )}
      </Show>

      <h2>Recent egress</h2>
      <div class="card">
        <Show
          when={(egress() ?? []).length > 0}
          fallback={
            <p class="muted">
              No outbound requests yet. Sandboxes reach other hosts only through LAP's egress proxy and the agent's allow-list.
            </p>
          }
        >
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Session</th>
                <th>Sandbox</th>
                <th>Request</th>
                <th>Outcome</th>
                <th>Secrets used</th>
              </tr>
            </thead>
            <tbody>
              <For each={egress() ?? []}>
                {(r) => (
                  <tr data-testid="egress-row">
                    <td title={r.at}>{timeAgo(r.at)}</td>
                    <td class="mono">{r.session_id ? <A href={`/sessions/${r.session_id}`}>{r.session_id}</A> : "—"}</td>
                    <td class="mono">{r.sandbox_id}</td>
                    <td class="mono">
                      {r.method} {r.host}
                    </td>
                    <td>
                      <span class={`badge ${r.outcome === "allowed" ? "ok" : "err"}`}>{r.outcome}</span>
                    </td>
                    <td>
                      <For each={r.swapped}>
                        {(n) => (
                          <span class="badge ok" title="the real value was sent to this host">
                            {n} swapped
                          </span>
                        )}
                      </For>{" "}
                      <For each={r.refused}>
                        {(n) => (
                          <span class="badge warn" title="the stub was sent to a host this secret is not bound to; it was left as the stub">
                            {n} refused
                          </span>
                        )}
                      </For>
                      <Show when={!r.swapped.length && !r.refused.length}>—</Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Show>
      </div>

      <Show when={destroying()}>
        {(s) => (
          <ConfirmDialog
            title={`Destroy ${s().id}?`}
            confirmLabel="Destroy sandbox"
            action={async () => {
              await sandboxesApi.destroy(s().id, dropWorkspace());
              toast(`Destroyed ${s().id}`);
            }}
            onClose={() => setDestroying(null)}
            onDone={refresh}
            dependents={{
              label: "Session using it",
              load: async () =>
                s().session_id
                  ? [{ name: s().session_id!, href: `/sessions/${s().session_id}`, note: "gets a new sandbox on its next message" }]
                  : [],
              none: "No session: it is an unbound warm sandbox.",
            }}
          >
            <p>The sandbox's processes end now.</p>
            <label>
              <input type="checkbox" checked={dropWorkspace()} onChange={(e) => setDropWorkspace(e.currentTarget.checked)} /> Also delete
              its workspace files (this cannot be undone)
            </label>
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}
