import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { ListCard } from "../components/list-card";
import { EmptyState, ErrorAlert, toast } from "../components/ui";
import { api, ApiError, type KubernetesStatus } from "../lib/api";
import { parseNumberField } from "../lib/number-field";

type Pool = KubernetesStatus["warm_pools"][number];
type Row = KubernetesStatus["sandboxes"][number];

const STATE_BADGE: Record<Row["state"], string> = { ready: "ok", provisioning: "accent", stopped: "", failed: "err", terminating: "warn" };

/** Kubernetes sandboxes: which pod on which node, in which phase, and the agent-sandbox warm pools. */
export function Kubernetes() {
  const [status, { refetch }] = createResource(api.kubernetes.status);
  // Pods change on their own (ready, lost, replaced): keep the page current without a reload.
  const timer = setInterval(() => refetch(), 2000);
  onCleanup(() => clearInterval(timer));
  // Rows are rebuilt on every refresh; what the user is typing lives here so it survives them.
  const drafts = new Map<string, Draft>();
  const draftFor = (p: Pool) => {
    let d = drafts.get(p.name);
    if (!d) {
      const [value, setValue] = createSignal(String(p.replicas));
      const [error, setError] = createSignal<string | null>(null);
      drafts.set(p.name, (d = { value, setValue, error, setError }));
    }
    return d;
  };
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Kubernetes</h1>
          <p>Sandboxes in agent-sandbox pods, and the warm pools that keep pods ready for new sessions.</p>
        </div>
        <button class="btn" onClick={() => refetch()}>
          Refresh
        </button>
      </div>
      <Show when={status.error}>
        <ErrorAlert error={status.error} retry={refetch} />
      </Show>
      <Show when={status()}>
        {(s) => (
          <Show
            when={s().enabled}
            fallback={
              <EmptyState title="Kubernetes sandboxes are off">
                Start LAP with <code>LAP_SANDBOX=kubernetes</code> and <code>K8S_KUBECONFIG</code> (or inside the cluster);{" "}
                <code>bin/kind-up.sh</code> sets up a local cluster.
              </EmptyState>
            }
          >
            <div class="grid-stats">
              <Stat label="Provider" value="kubernetes" testid="k8s-provider" />
              <Stat label="Namespace" value={s().namespace ?? ""} testid="k8s-namespace" />
              <Stat label="API server" value={s().api_server ?? ""} small />
              <Stat label="Supervisor access" value={s().supervisor_access ?? ""} />
              <Stat label="Sandbox egress" value={s().sandbox_egress ?? ""} testid="k8s-egress" />
              <Stat
                label="Sandboxes ready"
                value={`${s().sandboxes.filter((x) => x.state === "ready").length}/${s().sandboxes.length}`}
                testid="k8s-ready-count"
              />
            </div>
            <h2>Warm pools</h2>
            <ListCard
              rows={() => s().warm_pools}
              colCount={6}
              columns={
                <>
                  <th>Pool</th>
                  <th>Image</th>
                  <th>Ready</th>
                  <th>Pod resources</th>
                  <th>Warm sandboxes</th>
                  <th>Replicas</th>
                </>
              }
              empty={{ title: "No warm pools yet", text: "LAP creates one per harness image on first use." }}
            >
              <For each={s().warm_pools}>{(p) => <PoolRow pool={p} draft={draftFor(p)} onScaled={refetch} />}</For>
            </ListCard>
            <h2>Sandboxes</h2>
            <ListCard
              rows={() => s().sandboxes}
              colCount={8}
              columns={
                <>
                  <th>Sandbox</th>
                  <th>State</th>
                  <th>Pod</th>
                  <th>Node</th>
                  <th>Phase</th>
                  <th>Start</th>
                  <th>Session</th>
                  <th>Workspace</th>
                </>
              }
              empty={{ title: "No sandboxes", text: "Sessions claim one when they start." }}
            >
              <For each={s().sandboxes}>
                {(r) => (
                  <>
                    <tr data-testid="k8s-sandbox-row">
                      <td class="mono">{r.id}</td>
                      <td>
                        <span class={`badge ${STATE_BADGE[r.state]}`}>
                          <span class="dot" /> {r.state}
                        </span>
                      </td>
                      <td class="mono">{r.pod ?? <span class="muted">none yet</span>}</td>
                      <td class="mono">{r.node ?? <span class="muted">unscheduled</span>}</td>
                      <td>{r.phase ?? <span class="muted">—</span>}</td>
                      <td>
                        {r.launch ? (
                          <span class={`badge ${r.launch === "warm" ? "ok" : ""}`}>{r.launch}</span>
                        ) : (
                          <span class="muted">—</span>
                        )}
                      </td>
                      <td class="mono" data-testid="k8s-sandbox-session">
                        {r.session_id ?? <span class="muted">—</span>}
                      </td>
                      <td class="mono muted">{r.workspace_id}</td>
                    </tr>
                    <Show when={r.error}>
                      <tr>
                        <td colSpan={8}>
                          <div class="alert" role="alert" data-testid="k8s-sandbox-error">
                            {r.error}
                          </div>
                        </td>
                      </tr>
                    </Show>
                  </>
                )}
              </For>
            </ListCard>
          </Show>
        )}
      </Show>
    </div>
  );
}

function Stat(props: { label: string; value: string; testid?: string; small?: boolean }) {
  return (
    <div class="card stat">
      <div class="label">{props.label}</div>
      <div
        class="value mono"
        data-testid={props.testid}
        style={props.small ? { "font-size": "13px", "word-break": "break-all" } : undefined}
      >
        {props.value}
      </div>
    </div>
  );
}

interface Draft {
  value: () => string;
  setValue: (v: string) => void;
  error: () => string | null;
  setError: (v: string | null) => void;
}

function PoolRow(props: { pool: Pool; draft: Draft; onScaled: () => void }) {
  const { value, setValue, error, setError } = props.draft;
  const [busy, setBusy] = createSignal(false);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    // Checked here first (the API refuses the same): a typo is never sent as "no number".
    const parsed = parseNumberField(value(), { integer: true, min: 0 });
    if (!parsed.ok || parsed.value === null) return setError(`replicas ${parsed.ok ? "is required" : parsed.message}`);
    const replicas = parsed.value;
    setBusy(true);
    try {
      await api.kubernetes.scalePool(props.pool.name, replicas);
      toast(`${props.pool.name}: ${replicas} replicas`);
      props.onScaled();
    } catch (err) {
      setError(err instanceof ApiError ? (err.fields[0]?.message ? `replicas ${err.fields[0].message}` : err.message) : String(err));
    } finally {
      setBusy(false);
    }
  };
  const full = () => props.pool.ready_replicas >= props.pool.replicas;
  const badge = () => (props.pool.replicas === 0 ? "" : full() ? "ok" : "warn");
  return (
    <tr data-testid="k8s-pool-row">
      <td class="mono">{props.pool.name}</td>
      <td class="mono">{props.pool.image}</td>
      <td>
        <span class={`badge ${badge()}`} data-testid="k8s-pool-ready">
          {props.pool.ready_replicas}/{props.pool.replicas}
        </span>
      </td>
      <td data-testid="k8s-pool-resources">
        <Show when={props.pool.resources} fallback={<span class="muted">older configuration</span>}>
          {(r) => (
            <span class="mono" title="requests → limits per pod" style={{ "white-space": "nowrap" }}>
              {r().requests.cpu ?? "?"} / {r().requests.memory ?? "?"} → {r().limits.cpu ?? "?"} / {r().limits.memory ?? "?"}
            </span>
          )}
        </Show>
      </td>
      <td>
        {/* One badge per line: pod names are long, and wrapped badges would overlap. */}
        <div style={{ display: "flex", "flex-direction": "column", gap: "4px", "align-items": "flex-start" }}>
          <For each={props.pool.sandboxes} fallback={<span class="muted">none</span>}>
            {(sb) => (
              <span
                class={`badge mono ${sb.ready ? "ok" : ""}`}
                title={`${sb.name}${sb.created_at ? `, created ${sb.created_at}` : ""}`}
                style={{ "white-space": "nowrap" }}
                data-testid="k8s-pool-sandbox"
              >
                {/* Named after the pool (first column): the suffix tells them apart. */}
                <span class="dot" /> …{sb.name.startsWith(`${props.pool.name}-`) ? sb.name.slice(props.pool.name.length) : sb.name}
              </span>
            )}
          </For>
        </div>
      </td>
      <td>
        <form onSubmit={save} class="toolbar" style={{ margin: 0 }}>
          <input
            type="number"
            value={value()}
            onInput={(e) => setValue(e.currentTarget.value)}
            aria-label={`Replicas of ${props.pool.name}`}
            style={{ width: "70px" }}
          />
          <button class="btn sm" type="submit" disabled={busy()}>
            Set
          </button>
          <Show when={error()}>
            <span class="field-error" role="alert">
              {error()}
            </span>
          </Show>
        </form>
      </td>
    </tr>
  );
}
