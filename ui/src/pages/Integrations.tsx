import { useSearchParams } from "@solidjs/router";
import { createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { CopyButton, ErrorAlert, toast } from "../components/ui";
import { api, ApiError, type LinearStatus } from "../lib/api";
import { timeAgo } from "../lib/format";

const statusClass: Record<string, string> = { started: "ok", stopped: "warn", refused: "err", ignored: "" };
type Installation = LinearStatus["installations"][number];

/** Linear (docs/linear.md): configured or what is missing, install, workspaces, which agent works for each, recent events. */
export function Integrations() {
  const [params] = useSearchParams();
  const [status, { refetch }] = createResource(api.linear.status);
  const [events, { refetch: refetchEvents }] = createResource(() => api.linear.events(50));
  const [agents] = createResource(() => api.agents.list());
  const [uninstalling, setUninstalling] = createSignal<Installation | null>(null);
  const [unbinding, setUnbinding] = createSignal<string | null>(null);
  const [org, setOrg] = createSignal("*");
  const [agent, setAgent] = createSignal("");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const workspaceName = (id: string) =>
    id === "*" ? "Every workspace (*)" : status()?.installations.find((i) => i.organization_id === id)?.organization_name || id;

  const bind = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    try {
      const r = await api.linear.bind({ organization_id: org(), agent_id: agent() });
      toast(`${r.agent_name} now works for ${workspaceName(r.organization_id)}`);
      // The form starts over (the workspace list is rebuilt by the refetch).
      setOrg("*");
      setAgent("");
      refetch();
    } catch (err) {
      if (err instanceof ApiError && err.fields.length) setErrors(Object.fromEntries(err.fields.map((f) => [f.field, f.message])));
      else setErrors({ _: (err as Error).message });
    }
  };

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Linear</h1>
          <p>Mention the agent on a Linear issue or delegate the issue to it: it works in a LAP session and answers in Linear.</p>
        </div>
        <Show when={status()?.configured}>
          <a class="btn primary" href="/api/integrations/linear/install" rel="external">
            Install in a Linear workspace
          </a>
        </Show>
      </div>
      <Show when={params.linear_installed}>
        <div class="alert success">Installed in the Linear workspace {params.linear_installed}. Bind an agent to it below.</div>
      </Show>
      <Show when={params.linear_error}>
        <div class="alert">The Linear install did not finish: {params.linear_error}</div>
      </Show>
      <Show when={status.error}>
        <ErrorAlert error={status.error} retry={refetch} />
      </Show>

      <section class="card card-pad" style={{ "margin-bottom": "16px" }} aria-label="Linear status">
        <h2>Status</h2>
        <Show when={status()} fallback={<div class="skeleton" />}>
          {(s) => (
            <>
              <p>
                <span class={`badge ${s().configured ? "ok" : "warn"}`} data-testid="linear-status">
                  {s().configured ? "configured" : "not configured"}
                </span>
              </p>
              <Show when={!s().configured}>
                <p class="muted" data-testid="linear-missing">
                  Missing:{" "}
                  <For each={s().missing}>
                    {(m, i) => (
                      <>
                        {i() > 0 ? ", " : ""}
                        <code>{m}</code>
                      </>
                    )}
                  </For>
                  . Set all three from your Linear OAuth application and restart LAP (docs/linear.md).
                </p>
              </Show>
              <table>
                <tbody>
                  <tr>
                    <td>Callback URL (OAuth application)</td>
                    <td class="mono">{s().urls.callback}</td>
                    <td style={{ "text-align": "right" }}>
                      <CopyButton value={s().urls.callback} />
                    </td>
                  </tr>
                  <tr>
                    <td>Webhook URL (Agent session events)</td>
                    <td class="mono">{s().urls.webhook}</td>
                    <td style={{ "text-align": "right" }}>
                      <CopyButton value={s().urls.webhook} />
                    </td>
                  </tr>
                </tbody>
              </table>
              <h2 style={{ "margin-top": "14px" }}>Installed workspaces</h2>
              <ListCard
                bare
                rows={() => s().installations}
                colCount={4}
                columns={
                  <>
                    <th>Workspace</th>
                    <th>Id</th>
                    <th>Installed</th>
                    <th />
                  </>
                }
                empty={{ title: "None yet", text: "Install LAP from a Linear workspace (docs/linear.md)." }}
              >
                <For each={s().installations}>
                  {(i) => (
                    <tr data-testid="linear-installation-row">
                      <td>{i.organization_name || i.organization_id}</td>
                      <td class="mono muted">{i.organization_id}</td>
                      <td title={i.installed_at}>{timeAgo(i.installed_at)}</td>
                      <td style={{ "text-align": "right" }}>
                        <button
                          class="btn sm danger"
                          onClick={() => setUninstalling(i)}
                          aria-label={`Remove ${i.organization_name || i.organization_id}`}
                        >
                          Remove
                        </button>
                      </td>
                    </tr>
                  )}
                </For>
              </ListCard>
            </>
          )}
        </Show>
      </section>

      <section class="card card-pad" style={{ "margin-bottom": "16px" }} aria-label="Linear bindings">
        <h2>Which agent works for which workspace</h2>
        <p class="muted">A workspace without its own binding uses the one for every workspace (*). Sessions belong to the agent's team.</p>
        <ListCard
          bare
          rows={() => status()?.bindings}
          colCount={3}
          columns={
            <>
              <th>Workspace</th>
              <th>Agent</th>
              <th />
            </>
          }
          empty={{ title: "No bindings", text: "Linear is told that no agent is bound." }}
        >
          <For each={status()?.bindings ?? []}>
            {(b) => (
              <tr data-testid="linear-binding-row">
                <td>{workspaceName(b.organization_id)}</td>
                <td>{b.agent_name ?? b.agent_id}</td>
                <td style={{ "text-align": "right" }}>
                  <button
                    class="btn sm danger"
                    aria-label={`Remove binding of ${workspaceName(b.organization_id)}`}
                    onClick={() => setUnbinding(b.organization_id)}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            )}
          </For>
        </ListCard>
        <form
          onSubmit={bind}
          style={{ display: "grid", "grid-template-columns": "1fr 1fr auto", gap: "8px", "margin-top": "12px", "align-items": "end" }}
        >
          <label class="field">
            Workspace
            <select
              name="organization_id"
              value={org()}
              onChange={(e) => setOrg(e.currentTarget.value)}
              aria-invalid={errors().organization_id ? "true" : undefined}
            >
              <option value="*">Every workspace (*)</option>
              <For each={status()?.installations ?? []}>
                {(i) => <option value={i.organization_id}>{i.organization_name || i.organization_id}</option>}
              </For>
            </select>
            <Show when={errors().organization_id}>
              <span class="field-error">{errors().organization_id}</span>
            </Show>
          </label>
          <label class="field">
            Agent
            <select
              name="agent_id"
              value={agent()}
              onChange={(e) => setAgent(e.currentTarget.value)}
              aria-invalid={errors().agent_id ? "true" : undefined}
            >
              <option value="">Choose an agent…</option>
              <For each={agents()}>{(a) => <option value={a.id}>{a.name}</option>}</For>
            </select>
            <Show when={errors().agent_id}>
              <span class="field-error">{errors().agent_id}</span>
            </Show>
          </label>
          <button class="btn primary" type="submit">
            Bind
          </button>
        </form>
        <Show when={errors()._}>
          <div class="field-error">{errors()._}</div>
        </Show>
      </section>

      <ListCard
        label="Recent Linear events"
        items={events}
        retry={refetchEvents}
        colCount={6}
        toolbar={
          <div class="card-pad page-head" style={{ "margin-bottom": "0" }}>
            <h2>Recent agent session events</h2>
            <button class="btn sm" onClick={() => refetchEvents()}>
              Refresh
            </button>
          </div>
        }
        columns={
          <>
            <th>When</th>
            <th>Event</th>
            <th>Workspace</th>
            <th>Outcome</th>
            <th>Session</th>
            <th>Detail</th>
          </>
        }
        empty={{ title: "No Linear events yet", text: "Mention the agent on an issue in an installed workspace." }}
      >
        <For each={events()}>
          {(e) => (
            <tr data-testid="linear-event-row">
              <td title={e.created_at}>{timeAgo(e.created_at)}</td>
              <td>{e.action}</td>
              <td>{workspaceName(e.organization_id)}</td>
              <td>
                <span class={`badge ${statusClass[e.status] ?? ""}`}>{e.status}</span>
              </td>
              <td>
                {e.session_id ? (
                  <a href={`/sessions/${e.session_id}`} class="mono">
                    {e.session_id.slice(0, 16)}
                  </a>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td class="muted">{e.error ?? ""}</td>
            </tr>
          )}
        </For>
      </ListCard>

      <Show when={uninstalling()}>
        {(i) => (
          <ConfirmDialog
            title={`Remove the workspace ${i().organization_name || i().organization_id}?`}
            confirmLabel="Remove workspace"
            action={async () => {
              await api.linear.removeInstallation(i().organization_id);
              toast(`Removed ${i().organization_name || i().organization_id}`);
            }}
            onClose={() => setUninstalling(null)}
            onDone={refetch}
          >
            LAP deletes the workspace's Linear tokens: the agent stops answering there until the app is installed again.
          </ConfirmDialog>
        )}
      </Show>
      <Show when={unbinding()}>
        {(id) => (
          <ConfirmDialog
            title={`Remove the binding of ${workspaceName(id())}?`}
            confirmLabel="Remove binding"
            action={async () => {
              await api.linear.unbind(id());
              toast("Binding removed");
            }}
            onClose={() => setUnbinding(null)}
            onDone={refetch}
          >
            New mentions there use the binding for every workspace, or are told no agent is bound. Linear sessions already started keep
            their LAP session.
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}
