import { createResource, createSignal, For, Show } from "solid-js";
import { useCreate } from "../lib/shortcuts";
import { ConfirmDialog, createApiForm, FormDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { api, type Me, type RuntimeView } from "../lib/api";
import { mayAdd, mayManage, newGoesTo, teamName } from "../lib/teams";
import { timeAgo } from "../lib/format";

const statusClass = { ok: "ok", error: "err", unknown: "" } as const;

/** Runtimes: services speaking the Managed Agents protocol that sessions run on. */
export function Runtimes(props: { me: Me }) {
  const [runtimes, { refetch }] = createResource(api.runtimes.list);
  const [adding, setAdding] = createSignal(false);
  useCreate(() => mayAdd(props.me) && setAdding(true));
  const [busy, setBusy] = createSignal<string | null>(null);
  const test = async (r: RuntimeView) => {
    setBusy(r.id);
    try {
      const res = await api.runtimes.test(r.id);
      toast(res.status === "ok" ? `${r.alias} answered` : `${r.alias}: ${res.status_message}`);
    } catch (err) {
      toast((err as Error).message);
    }
    setBusy(null);
    refetch();
  };
  const [removing, setRemoving] = createSignal<RuntimeView | null>(null);
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Runtimes</h1>
          <p>Where agents run: any service that speaks the Managed Agents protocol. Keys are encrypted and never shown again.</p>
        </div>
        <Show when={mayAdd(props.me)}>
          <button class="btn primary" onClick={() => setAdding(true)}>
            Add runtime <span class="kbd">c</span>
          </button>
        </Show>
      </div>
      <ListCard
        items={runtimes}
        retry={refetch}
        colCount={7}
        columns={
          <>
            <th>Alias</th>
            <th>Team</th>
            <th>Base URL</th>
            <th>Key</th>
            <th>Status</th>
            <th>Checked</th>
            <th />
          </>
        }
        empty={{
          title: "No runtimes yet",
          text: "Add Claude Managed Agents or a template runtime to start sessions.",
          action: mayAdd(props.me) ? (
            <button class="btn primary" onClick={() => setAdding(true)}>
              Add your first runtime
            </button>
          ) : undefined,
        }}
      >
        <For each={runtimes()}>
          {(r) => (
            <tr data-testid="runtime-row">
              <td>{r.alias}</td>
              <td>
                <span class={`badge ${r.team_id ? "" : "accent"}`}>{teamName(props.me, r.team_id)}</span>
              </td>
              <td class="mono muted">{r.base_url}</td>
              <td class="mono muted">{r.api_key_hint}</td>
              <td>
                <span class={`badge ${statusClass[r.status]}`} title={r.status_message ?? ""}>
                  {r.status}
                </span>
              </td>
              <td>{timeAgo(r.checked_at)}</td>
              <td style={{ "text-align": "right" }}>
                <Show when={mayManage(props.me, r.team_id)} fallback={<span class="muted">read only</span>}>
                  <button class="btn sm" disabled={busy() === r.id} onClick={() => test(r)} aria-label={`Test ${r.alias}`}>
                    {busy() === r.id ? "Testing…" : "Test"}
                  </button>{" "}
                  <Show
                    when={r.protocol !== "sandbox"}
                    fallback={
                      <span class="badge" title="LAP's own sandboxes; always available">
                        built-in
                      </span>
                    }
                  >
                    <button class="btn sm danger" onClick={() => setRemoving(r)} aria-label={`Remove ${r.alias}`}>
                      Remove
                    </button>
                  </Show>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={removing()}>
        {(r) => (
          <ConfirmDialog
            title={`Remove runtime “${r().alias}”?`}
            confirmLabel="Remove runtime"
            action={async () => {
              await api.runtimes.remove(r().id);
              toast(`Removed ${r().alias}`);
            }}
            onClose={() => setRemoving(null)}
            onDone={refetch}
            dependents={{
              label: "Agents on this runtime",
              load: async () =>
                (await api.agents.list(undefined, { runtime_id: r().id })).map((a) => ({ name: a.name, href: `/agents/${a.id}` })),
              none: "No agent uses it.",
              consequence: "Move these agents to another runtime first: their sessions cannot start without one.",
            }}
          >
            LAP forgets this runtime and its key.
          </ConfirmDialog>
        )}
      </Show>
      <Show when={adding()}>
        <AddRuntimeDialog
          goesTo={newGoesTo(props.me)}
          onClose={() => setAdding(false)}
          onAdded={() => {
            setAdding(false);
            refetch();
          }}
        />
      </Show>
    </div>
  );
}

function AddRuntimeDialog(props: { goesTo: string | null; onClose: () => void; onAdded: () => void }) {
  const [alias, setAlias] = createSignal("");
  const [baseUrl, setBaseUrl] = createSignal("https://api.anthropic.com");
  const [key, setKey] = createSignal("");
  const form = createApiForm();
  const submit = () =>
    form.submit(async () => {
      const created = await api.runtimes.create({ alias: alias(), base_url: baseUrl(), api_key: key(), protocol: "managed-agents" });
      toast(`Added ${created.alias}`);
      props.onAdded();
    });
  return (
    <FormDialog
      title="Add runtime"
      submitLabel="Add runtime"
      busyLabel="Adding…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <p class="muted">For {props.goesTo === "org-wide" ? "every team (org-wide)" : `team ${props.goesTo}`}: the team switcher decides.</p>
      <label class="field">
        Alias
        <input
          name="alias"
          value={alias()}
          onInput={(e) => setAlias(e.currentTarget.value)}
          placeholder="claude, local-opencode"
          aria-invalid={form.invalid("alias")}
        />
        <form.FieldError field="alias" />
      </label>
      <label class="field">
        Base URL
        <input
          name="base_url"
          value={baseUrl()}
          onInput={(e) => setBaseUrl(e.currentTarget.value)}
          aria-invalid={form.invalid("base_url")}
        />
        <form.FieldError field="base_url" />
      </label>
      <label class="field">
        API key
        <input
          name="api_key"
          type="password"
          value={key()}
          onInput={(e) => setKey(e.currentTarget.value)}
          autocomplete="off"
          aria-invalid={form.invalid("api_key")}
        />
        <form.FieldError field="api_key" />
      </label>
      <form.FormError />
    </FormDialog>
  );
}
