import { createResource, createSignal, For, Show } from "solid-js";
import { CopyButton, Dialog, EmptyState, ErrorAlert, SkeletonRows, toast } from "../components/ui";
import { api, ApiError, type ApiKeyView } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useShortcuts } from "../lib/shortcuts";

const statusClass = { active: "ok", expired: "warn", revoked: "err" } as const;

export function ApiKeys() {
  const [keys, { refetch }] = createResource(api.keys.list);
  const [creating, setCreating] = createSignal(false);
  const [revealed, setRevealed] = createSignal<{ key: ApiKeyView; token: string } | null>(null);
  const [revoking, setRevoking] = createSignal<ApiKeyView | null>(null);
  useShortcuts({ c: () => setCreating(true) });

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>API keys</h1>
          <p>Keys for the API, the gateway and the CLI. Stored hashed: a key is shown once, when it is created.</p>
        </div>
        <button class="btn primary" onClick={() => setCreating(true)}>
          Create key <span class="kbd">c</span>
        </button>
      </div>
      <Show when={keys.error}>
        <ErrorAlert error={keys.error} retry={refetch} />
      </Show>
      <div class="card">
        <Show
          when={keys.loading || (keys() ?? []).length > 0}
          fallback={
            <EmptyState title="No API keys yet" action={<button class="btn primary" onClick={() => setCreating(true)}>Create your first key</button>}>
              Create a key for CI, a teammate, or an agent. Admin keys can also sign in here.
            </EmptyState>
          }
        >
          <table>
            <thead>
              <tr>
                <th>Label</th>
                <th>Key</th>
                <th>Role</th>
                <th>Status</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <Show when={!keys.loading} fallback={<SkeletonRows cols={8} />}>
                <For each={keys()}>
                  {(k) => (
                    <tr data-testid="key-row">
                      <td>{k.label}</td>
                      <td class="mono muted">{k.prefix}…</td>
                      <td>
                        <span class={`badge ${k.role === "admin" ? "accent" : ""}`}>{k.role}</span>
                      </td>
                      <td>
                        <span class={`badge ${statusClass[k.status]}`}>{k.status}</span>
                      </td>
                      <td title={k.created_at}>{timeAgo(k.created_at)}</td>
                      <td title={k.last_used_at ?? ""}>{timeAgo(k.last_used_at)}</td>
                      <td title={k.expires_at ?? ""}>{k.expires_at ? new Date(k.expires_at).toLocaleDateString() : <span class="muted">never</span>}</td>
                      <td style={{ "text-align": "right" }}>
                        <Show when={k.status === "active"}>
                          <button class="btn sm danger" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.label}`}>
                            Revoke
                          </button>
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

      <Show when={creating()}>
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setRevealed(created);
            refetch();
          }}
        />
      </Show>
      <Show when={revealed()}>
        {(r) => (
          <Dialog title="Copy your new key" onClose={() => setRevealed(null)} footer={<button class="btn primary" onClick={() => setRevealed(null)}>Done</button>}>
            <div class="alert success">This is the only time the key is shown. Store it somewhere safe.</div>
            <div class="secret-box">
              <code data-testid="new-key">{r().token}</code>
              <CopyButton value={r().token} />
            </div>
            <div class="muted">
              Use it as <code>Authorization: Bearer …</code> or <code>x-api-key</code>.
            </div>
          </Dialog>
        )}
      </Show>
      <Show when={revoking()}>
        {(k) => (
          <Dialog
            title={`Revoke “${k().label}”?`}
            onClose={() => setRevoking(null)}
            footer={
              <>
                <button class="btn" onClick={() => setRevoking(null)}>Cancel</button>
                <button
                  class="btn danger solid"
                  onClick={async () => {
                    try {
                      await api.keys.revoke(k().id);
                      toast(`Revoked ${k().label}`);
                    } catch (err) {
                      toast((err as Error).message);
                    }
                    setRevoking(null);
                    refetch();
                  }}
                >
                  Revoke key
                </button>
              </>
            }
          >
            Anything using this key stops working immediately. This cannot be undone.
          </Dialog>
        )}
      </Show>
    </div>
  );
}

function CreateKeyDialog(props: { onClose: () => void; onCreated: (c: { key: ApiKeyView; token: string }) => void }) {
  const [label, setLabel] = createSignal("");
  const [role, setRole] = createSignal<"admin" | "user">("user");
  const [expires, setExpires] = createSignal("");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  const submit = async () => {
    setBusy(true);
    setErrors({});
    try {
      const created = await api.keys.create({
        label: label(),
        role: role(),
        expires_at: expires() ? new Date(`${expires()}T23:59:59`).toISOString() : undefined,
      });
      props.onCreated(created);
    } catch (err) {
      if (err instanceof ApiError && err.fields.length) setErrors(Object.fromEntries(err.fields.map((f) => [f.field, f.message])));
      else setErrors({ _: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
      <Dialog
        title="Create API key"
        onSubmit={submit}
        onClose={props.onClose}
        footer={
          <>
            <button class="btn" type="button" onClick={props.onClose}>Cancel</button>
            <button class="btn primary" type="submit" disabled={busy()}>
              {busy() ? "Creating…" : "Create key"}
            </button>
          </>
        }
      >
        <label class="field">
          Label
          <input name="label" value={label()} onInput={(e) => setLabel(e.currentTarget.value)} placeholder="ci, alice-laptop, slack-bot" aria-invalid={errors().label ? "true" : undefined} />
          <Show when={errors().label}>
            <span class="field-error">{errors().label}</span>
          </Show>
        </label>
        <label class="field">
          Role
          <select name="role" value={role()} onChange={(e) => setRole(e.currentTarget.value as "admin" | "user")}>
            <option value="user">user: use the API and gateway</option>
            <option value="admin">admin: also manage keys and settings, sign in here</option>
          </select>
        </label>
        <label class="field">
          Expires <span class="hint">optional; the key stops working after this day</span>
          <input name="expires" type="date" value={expires()} onInput={(e) => setExpires(e.currentTarget.value)} aria-invalid={errors().expires_at ? "true" : undefined} />
          <Show when={errors().expires_at}>
            <span class="field-error">{errors().expires_at}</span>
          </Show>
        </label>
        <Show when={errors()._}>
          <div class="field-error">{errors()._}</div>
        </Show>
      </Dialog>
  );
}
