import { createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog, createApiForm, FormDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { Versions } from "../components/Versions";
import { api, type RuleView } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useCreate } from "../lib/shortcuts";

/** Rules (docs/skills.md): markdown instructions every session of an agent starts with. */
export function Rules() {
  const [rules, { refetch }] = createResource(api.rules.list);
  const [editing, setEditing] = createSignal<RuleView | "new" | null>(null);
  const [deleting, setDeleting] = createSignal<RuleView | null>(null);
  useCreate(() => setEditing("new"));
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Rules</h1>
          <p>
            Instructions an agent always follows: Claude Code gets them as CLAUDE.md, Codex and opencode as AGENTS.md, the built-in agent in
            its system prompt.
          </p>
        </div>
        <button class="btn primary" onClick={() => setEditing("new")}>
          New rule <span class="kbd">c</span>
        </button>
      </div>
      <ListCard
        items={rules}
        retry={refetch}
        colCount={4}
        columns={
          <>
            <th>Name</th>
            <th>Version</th>
            <th>Updated</th>
            <th />
          </>
        }
        empty={{
          title: "No rules yet",
          text: "Write a rule (markdown), then pick it in an agent's form.",
          action: (
            <button class="btn primary" onClick={() => setEditing("new")}>
              New rule
            </button>
          ),
        }}
      >
        <For each={rules()}>
          {(r) => (
            <tr data-testid="rule-row">
              <td>
                {r.name}
                <div class="muted">{r.description}</div>
              </td>
              <td class="mono">v{r.current_version}</td>
              <td title={r.updated_at}>{timeAgo(r.updated_at)}</td>
              <td style={{ "text-align": "right", "white-space": "nowrap" }}>
                <button class="btn sm" onClick={() => setEditing(r)} aria-label={`Edit ${r.name}`}>
                  Edit / versions
                </button>{" "}
                <button class="btn sm danger" onClick={() => setDeleting(r)} aria-label={`Delete ${r.name}`}>
                  Delete
                </button>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={editing()}>
        {(e) => (
          <RuleEditor
            rule={e() === "new" ? null : (e() as RuleView)}
            onClose={() => {
              setEditing(null);
              refetch();
            }}
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
            confirmLabel="Delete rule"
            action={async () => {
              await api.rules.remove(d().id);
              toast(`Deleted ${d().name}`);
            }}
            onClose={() => setDeleting(null)}
            onDone={refetch}
            dependents={{
              label: "Agents that use this rule",
              load: async () =>
                (await api.agents.list())
                  .filter((a) => a.rule_ids.includes(d().id))
                  .map((a) => ({ name: a.name, href: `/agents/${a.id}` })),
              none: "No agent uses it.",
              consequence: "A rule an agent uses is not deleted: remove it from these agents first.",
            }}
          >
            <p>Every version is deleted.</p>
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}

function RuleEditor(props: { rule: RuleView | null; onClose: () => void; onSaved: () => void }) {
  const r = props.rule;
  const [current, { refetch }] = createResource(
    () => r?.id,
    (id) => api.rules.get(id),
  );
  const [name, setName] = createSignal(r?.name ?? "");
  const [description, setDescription] = createSignal(r?.description ?? "");
  const [body, setBody] = createSignal<string | null>(r ? null : "");
  const text = () => body() ?? current()?.current.body ?? "";
  const form = createApiForm({ nested: true });
  const submit = () =>
    form.submit(async () => {
      const changedBody = body() !== null && body() !== current()?.current.body;
      const saved = r
        ? await api.rules.update(r.id, { name: name(), description: description(), ...(changedBody ? { body: text() } : {}) })
        : await api.rules.create({ name: name(), description: description(), body: text() });
      toast(r ? `Saved ${saved.name} v${saved.current_version}` : `Created ${saved.name}`);
      props.onSaved();
    });
  return (
    <FormDialog
      title={r ? `Edit ${r.name}` : "New rule"}
      submitLabel={r ? "Save" : "Create rule"}
      busyLabel="Saving…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <label class="field">
        Name
        <input name="name" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        <form.FieldError field="name" />
      </label>
      <label class="field">
        Description
        <input name="description" value={description()} onInput={(e) => setDescription(e.currentTarget.value)} />
        <form.FieldError field="description" />
      </label>
      <label class="field">
        Instructions <span class="hint">markdown; a changed text is a new version</span>
        <textarea name="body" rows={10} style={{ "min-height": "12em" }} value={text()} onInput={(e) => setBody(e.currentTarget.value)} />
        <form.FieldError field="body" />
      </label>
      <Show when={r}>
        {(rl) => (
          <Versions
            what={rl().name}
            current={current()?.current_version ?? rl().current_version}
            load={() => api.rules.versions(rl().id)}
            rollback={(v) => api.rules.rollback(rl().id, v)}
            onChanged={() => {
              setBody(null);
              refetch();
            }}
          />
        )}
      </Show>
      <form.FormError />
    </FormDialog>
  );
}
