import { A } from "@solidjs/router";
import { useCreate } from "../lib/shortcuts";
import { createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog, createApiForm, FormDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { api, type Me, type VaultSecretView } from "../lib/api";
import { mayAdd, mayManage, newGoesTo, teamName, whyNotAdd } from "../lib/teams";
import { timeAgo } from "../lib/format";

const hostList = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The vault: secrets agents use without ever seeing them (stubs in the sandbox, swapped by the egress proxy). */
export function Vault(props: { me: Me }) {
  const [secrets, { refetch }] = createResource(api.vault.list);
  const [editing, setEditing] = createSignal<VaultSecretView | "new" | null>(null);
  useCreate(() => mayAdd(props.me) && setEditing("new"));
  const [deleting, setDeleting] = createSignal<VaultSecretView | null>(null);
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Vault</h1>
          <p>
            Secrets for agents' sandboxes. The sandbox sees a stub; LAP's egress proxy puts the real value into requests to the bound hosts
            only. Values are never shown again. A team's secrets are for its own agents; org-wide ones for every team's.
          </p>
        </div>
        <Show
          when={mayAdd(props.me)}
          fallback={
            <span class="muted" data-testid="vault-add-hint">
              {whyNotAdd(props.me, "secrets")}
            </span>
          }
        >
          <button class="btn primary" onClick={() => setEditing("new")}>
            Add secret <span class="kbd">c</span>
          </button>
        </Show>
      </div>
      <ListCard
        items={secrets}
        retry={refetch}
        colCount={8}
        columns={
          <>
            <th>Name</th>
            <th>Team</th>
            <th>Bound hosts</th>
            <th>Value</th>
            <th>Agents</th>
            <th>Last used</th>
            <th>Rotated</th>
            <th />
          </>
        }
        empty={{
          title: "No secrets yet",
          text: "Add a token (for example GITHUB_TOKEN bound to api.github.com), then pick it under Vault keys in an agent's form.",
          action: mayAdd(props.me) ? (
            <button class="btn primary" onClick={() => setEditing("new")}>
              Add your first secret
            </button>
          ) : undefined,
        }}
      >
        <For each={secrets()}>
          {(s) => (
            <tr data-testid="vault-row">
              <td>
                <span class="mono">{s.name}</span>
                <div class="muted">{s.description}</div>
              </td>
              <td data-testid="vault-team">
                <span class={`badge ${s.team_id ? "" : "accent"}`}>{teamName(props.me, s.team_id)}</span>
              </td>
              <td>
                <div class="chips">
                  <For each={s.hosts}>{(h) => <span class="chip">{h}</span>}</For>
                </div>
              </td>
              <td class="mono muted">{s.value_hint}</td>
              <td>
                <Show when={s.agents.length} fallback={<span class="muted">none</span>}>
                  <For each={s.agents}>
                    {(a, i) => (
                      <>
                        {i() > 0 ? ", " : ""}
                        <A href={`/agents/${a.id}`}>{a.name}</A>
                      </>
                    )}
                  </For>
                </Show>
              </td>
              <td title={s.last_used_at ?? ""}>{s.last_used_at ? timeAgo(s.last_used_at) : <span class="muted">never</span>}</td>
              <td title={s.rotated_at}>{timeAgo(s.rotated_at)}</td>
              <td style={{ "text-align": "right", "white-space": "nowrap" }}>
                <Show
                  when={mayManage(props.me, s.team_id)}
                  fallback={
                    <span class="muted" title="Only an admin changes org-wide secrets; a team's admins its own">
                      read only
                    </span>
                  }
                >
                  <button class="btn sm" onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>
                    Edit / rotate
                  </button>{" "}
                  <button class="btn sm danger" onClick={() => setDeleting(s)} aria-label={`Delete ${s.name}`}>
                    Delete
                  </button>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={editing()}>
        {(e) => (
          <SecretDialog
            secret={e() === "new" ? null : (e() as VaultSecretView)}
            goesTo={newGoesTo(props.me)}
            onClose={() => setEditing(null)}
            onSaved={() => {
              setEditing(null);
              refetch();
            }}
          />
        )}
      </Show>
      <Show when={deleting()}>
        {(d) => (
          <ConfirmDialog
            title={`Delete ${d().name}?`}
            confirmLabel="Delete secret"
            action={async () => {
              await api.vault.remove(d().id);
              toast(`Deleted ${d().name}`);
            }}
            onClose={() => setDeleting(null)}
            onDone={refetch}
            dependents={{
              label: "Agents that use this secret",
              load: async () =>
                (await api.agents.list())
                  .filter((a) => a.vault_keys.includes(d().name))
                  .map((a) => ({ name: a.name, href: `/agents/${a.id}` })),
              none: "No agent lists it.",
              consequence: "A secret an agent lists is not deleted: remove it from these agents first.",
            }}
          >
            <p>
              The value is erased. Sandboxes already running keep their stub until they stop; new ones will not start while an agent still
              lists this key.
            </p>
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}

function SecretDialog(props: { secret: VaultSecretView | null; goesTo: string | null; onClose: () => void; onSaved: () => void }) {
  const s = props.secret;
  const [name, setName] = createSignal(s?.name ?? "");
  const [value, setValue] = createSignal("");
  const [hosts, setHosts] = createSignal((s?.hosts ?? []).join("\n"));
  const [description, setDescription] = createSignal(s?.description ?? "");
  const form = createApiForm({ nested: true });
  const submit = () =>
    form.submit(async () => {
      const saved = s
        ? await api.vault.update(s.id, { hosts: hostList(hosts()), description: description(), ...(value() ? { value: value() } : {}) })
        : await api.vault.create({ name: name(), value: value(), hosts: hostList(hosts()), description: description() });
      toast(s ? (value() ? `Rotated ${saved.name}` : `Saved ${saved.name}`) : `Added ${saved.name}`);
      props.onSaved();
    });
  return (
    <FormDialog
      title={s ? `Edit ${s.name}` : "Add secret"}
      submitLabel={s ? "Save" : "Add secret"}
      busyLabel="Saving…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <Show when={!s}>
        <p class="muted" data-testid="vault-goes-to">
          For {props.goesTo === "org-wide" ? "every team (org-wide)" : `team ${props.goesTo}`}: the team switcher decides.
        </p>
        <label class="field">
          Name <span class="hint">the environment variable the sandbox sees</span>
          <input name="name" value={name()} onInput={(e) => setName(e.currentTarget.value)} placeholder="GITHUB_TOKEN" autocomplete="off" />
          <form.FieldError field="name" />
        </label>
      </Show>
      <label class="field">
        {s ? "New value" : "Value"} <span class="hint">{s ? `now ${s.value_hint}; leave empty to keep it` : "never shown again"}</span>
        <input name="value" type="password" value={value()} onInput={(e) => setValue(e.currentTarget.value)} autocomplete="new-password" />
        <form.FieldError field="value" />
      </label>
      <label class="field">
        Bound hosts <span class="hint">one per line; api.github.com or *.example.com</span>
        <textarea name="hosts" rows={3} value={hosts()} onInput={(e) => setHosts(e.currentTarget.value)} />
        <form.FieldError field="hosts" />
      </label>
      <label class="field">
        Description
        <input name="description" value={description()} onInput={(e) => setDescription(e.currentTarget.value)} />
        <form.FieldError field="description" />
      </label>
      <form.FormError />
    </FormDialog>
  );
}
