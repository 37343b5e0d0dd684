import { createResource, createSignal, For, Show } from "solid-js";
import { Dialog, EmptyState, ErrorAlert, SkeletonRows, toast } from "../components/ui";
import { api, ApiError, type RuntimeView } from "../lib/api";
import { timeAgo } from "../lib/format";

const statusClass = { ok: "ok", error: "err", unknown: "" } as const;

/** Runtimes: services speaking the Managed Agents protocol that sessions run on. */
export function Runtimes() {
  const [runtimes, { refetch }] = createResource(api.runtimes.list);
  const [adding, setAdding] = createSignal(false);
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
  const remove = async (r: RuntimeView) => {
    if (!confirm(`Remove runtime ${r.alias}?`)) return;
    try {
      await api.runtimes.remove(r.id);
      toast(`Removed ${r.alias}`);
    } catch (err) {
      toast((err as Error).message);
    }
    refetch();
  };
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Runtimes</h1>
          <p>Where agents run: any service that speaks the Managed Agents protocol. Keys are encrypted and never shown again.</p>
        </div>
        <button class="btn primary" onClick={() => setAdding(true)}>Add runtime</button>
      </div>
      <Show when={runtimes.error}>
        <ErrorAlert error={runtimes.error} retry={refetch} />
      </Show>
      <div class="card">
        <Show
          when={runtimes.loading || (runtimes() ?? []).length > 0}
          fallback={<EmptyState title="No runtimes yet" action={<button class="btn primary" onClick={() => setAdding(true)}>Add your first runtime</button>}>Add Claude Managed Agents or a template runtime to start sessions.</EmptyState>}
        >
          <table>
            <thead>
              <tr><th>Alias</th><th>Base URL</th><th>Key</th><th>Status</th><th>Checked</th><th /></tr>
            </thead>
            <tbody>
              <Show when={!runtimes.loading} fallback={<SkeletonRows cols={6} />}>
                <For each={runtimes()}>
                  {(r) => (
                    <tr data-testid="runtime-row">
                      <td>{r.alias}</td>
                      <td class="mono muted">{r.base_url}</td>
                      <td class="mono muted">{r.api_key_hint}</td>
                      <td>
                        <span class={`badge ${statusClass[r.status]}`} title={r.status_message ?? ""}>{r.status}</span>
                      </td>
                      <td>{timeAgo(r.checked_at)}</td>
                      <td style={{ "text-align": "right" }}>
                        <button class="btn sm" disabled={busy() === r.id} onClick={() => test(r)} aria-label={`Test ${r.alias}`}>{busy() === r.id ? "Testing…" : "Test"}</button>{" "}
                        <Show when={r.protocol !== "sandbox"} fallback={<span class="badge" title="LAP's own sandboxes; always available">built-in</span>}>
                          <button class="btn sm danger" onClick={() => remove(r)} aria-label={`Remove ${r.alias}`}>Remove</button>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </Show>
            </tbody>
          </table>
        </Show>
      </div>
      <Show when={adding()}>
        <AddRuntimeDialog onClose={() => setAdding(false)} onAdded={() => { setAdding(false); refetch(); }} />
      </Show>
    </div>
  );
}

function AddRuntimeDialog(props: { onClose: () => void; onAdded: () => void }) {
  const [alias, setAlias] = createSignal("");
  const [baseUrl, setBaseUrl] = createSignal("https://api.anthropic.com");
  const [key, setKey] = createSignal("");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  const submit = async () => {
    setBusy(true);
    setErrors({});
    try {
      const created = await api.runtimes.create({ alias: alias(), base_url: baseUrl(), api_key: key(), protocol: "managed-agents" });
      toast(`Added ${created.alias}`);
      props.onAdded();
    } catch (err) {
      if (err instanceof ApiError && err.fields.length) setErrors(Object.fromEntries(err.fields.map((f) => [f.field, f.message])));
      else setErrors({ _: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const field = (name: string) => (
    <Show when={errors()[name]}>
      <span class="field-error">{errors()[name]}</span>
    </Show>
  );
  return (
    <Dialog
      title="Add runtime"
      onSubmit={submit}
      onClose={props.onClose}
      footer={
        <>
          <button class="btn" type="button" onClick={props.onClose}>Cancel</button>
          <button class="btn primary" type="submit" disabled={busy()}>{busy() ? "Adding…" : "Add runtime"}</button>
        </>
      }
    >
      <label class="field">
        Alias
        <input name="alias" value={alias()} onInput={(e) => setAlias(e.currentTarget.value)} placeholder="claude, local-opencode" />
        {field("alias")}
      </label>
      <label class="field">
        Base URL
        <input name="base_url" value={baseUrl()} onInput={(e) => setBaseUrl(e.currentTarget.value)} />
        {field("base_url")}
      </label>
      <label class="field">
        API key
        <input name="api_key" type="password" value={key()} onInput={(e) => setKey(e.currentTarget.value)} autocomplete="off" />
        {field("api_key")}
      </label>
      <Show when={errors()._}>
        <div class="field-error">{errors()._}</div>
      </Show>
    </Dialog>
  );
}
