import { createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog, createApiForm, FormDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { Versions } from "../components/Versions";
import { api, type SkillView } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useCreate } from "../lib/shortcuts";

const TEMPLATE =
  "---\nname: my-skill\ndescription: What it does, and when the agent should use it\n---\n\n# My skill\n\nStep-by-step instructions for the agent.\n";

/** Skills (docs/skills.md): Agent Skills folders given to agents' harnesses at session start. */
export function Skills() {
  const [skills, { refetch }] = createResource(api.skills.list);
  const [dialog, setDialog] = createSignal<"new" | "zip" | "git" | SkillView | null>(null);
  const [deleting, setDeleting] = createSignal<SkillView | null>(null);
  useCreate(() => setDialog("new"));
  const done = () => (setDialog(null), refetch());
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Skills</h1>
          <p>
            Instructions and files an agent loads when a task needs them (a SKILL.md with name and description, plus files). Claude Code,
            Codex and opencode read them natively; the built-in agent loads one by name.
          </p>
        </div>
        <div style={{ display: "flex", gap: "8px", "flex-shrink": 0 }}>
          <button class="btn" onClick={() => setDialog("zip")}>
            Upload zip
          </button>
          <button class="btn" onClick={() => setDialog("git")}>
            Import from git
          </button>
          <button class="btn primary" onClick={() => setDialog("new")}>
            New skill <span class="kbd">c</span>
          </button>
        </div>
      </div>
      <ListCard
        items={skills}
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
          title: "No skills yet",
          text: "Write a SKILL.md, upload a skill folder as a zip, or import one from a git repository; then pick it in an agent's form.",
          action: (
            <button class="btn primary" onClick={() => setDialog("new")}>
              New skill
            </button>
          ),
        }}
      >
        <For each={skills()}>
          {(s) => (
            <tr data-testid="skill-row">
              <td>
                <span class="mono">{s.name}</span>
                <div class="muted">{s.description}</div>
              </td>
              <td class="mono">v{s.current_version}</td>
              <td title={s.updated_at}>{timeAgo(s.updated_at)}</td>
              <td style={{ "text-align": "right", "white-space": "nowrap" }}>
                <button class="btn sm" onClick={() => setDialog(s)} aria-label={`Edit ${s.name}`}>
                  Edit / versions
                </button>{" "}
                <button class="btn sm danger" onClick={() => setDeleting(s)} aria-label={`Delete ${s.name}`}>
                  Delete
                </button>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={dialog() === "new"}>
        <SkillEditor skill={null} onClose={() => setDialog(null)} onSaved={done} />
      </Show>
      <Show when={dialog() === "zip" || dialog() === "git"}>
        <ImportDialog kind={dialog() as "zip" | "git"} onClose={() => setDialog(null)} onSaved={done} />
      </Show>
      {/* Closed after a roll back, the list shows the new version too. */}
      <Show when={typeof dialog() === "object" && dialog()}>
        {(s) => <SkillEditor skill={s() as SkillView} onClose={done} onSaved={done} />}
      </Show>
      <Show when={deleting()}>
        {(d) => (
          <ConfirmDialog
            title={`Delete ${d().name}?`}
            confirmLabel="Delete skill"
            action={async () => {
              await api.skills.remove(d().id);
              toast(`Deleted ${d().name}`);
            }}
            onClose={() => setDeleting(null)}
            onDone={refetch}
            dependents={{
              label: "Agents that use this skill",
              load: async () =>
                (await api.agents.list())
                  .filter((a) => a.skill_ids.includes(d().id))
                  .map((a) => ({ name: a.name, href: `/agents/${a.id}` })),
              none: "No agent uses it.",
              consequence: "A skill an agent uses is not deleted: remove it from these agents first.",
            }}
          >
            <p>Every version is deleted. Sessions already running keep the copy they were given.</p>
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}

/** New skill, or a new version of one (SKILL.md; the files stay unless replaced by a zip import). */
function SkillEditor(props: { skill: SkillView | null; onClose: () => void; onSaved: () => void }) {
  const s = props.skill;
  const [current, { refetch }] = createResource(
    () => s?.id,
    (id) => api.skills.get(id),
  );
  const [text, setText] = createSignal(s ? "" : TEMPLATE);
  const form = createApiForm({ nested: true });
  const [zip, setZip] = createSignal<File | null>(null);
  const value = () => text() || current()?.current.skill_md || "";
  const submit = () =>
    form.submit(async () => {
      const z = zip();
      const saved =
        s && z
          ? await api.skills.import({ skill_id: s.id, zip_base64: await base64Of(z) })
          : s
            ? await api.skills.update(s.id, { skill_md: value() })
            : await api.skills.create({ skill_md: value() });
      toast(s ? `Saved ${saved.name} v${saved.current_version}` : `Created ${saved.name}`);
      props.onSaved();
    });
  return (
    <FormDialog
      title={s ? `Edit ${s.name}` : "New skill"}
      submitLabel={s ? "Save as new version" : "Create skill"}
      busyLabel="Saving…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <label class="field">
        SKILL.md <span class="hint">front matter: name (lowercase, digits, hyphens) and description (when to use it)</span>
        <textarea
          name="skill_md"
          rows={14}
          class="mono"
          style={{ "min-height": "16em" }}
          value={value()}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <form.FieldError field="skill_md" />
      </label>
      <Show when={current()?.current.files.length}>
        <div class="field">
          <strong>Files</strong>{" "}
          <span class="chips">
            <For each={current()!.current.files}>{(f) => <span class="chip mono">{f.path}</span>}</For>
          </span>
        </div>
      </Show>
      <Show when={s}>
        <label class="field">
          Or a zip <span class="hint">a new version from a zipped skill folder (its text and files replace these)</span>
          <input name="zip" type="file" accept=".zip,application/zip" onChange={(e) => setZip(e.currentTarget.files?.[0] ?? null)} />
          <form.FieldError field="zip_base64" />
        </label>
      </Show>
      <Show when={s}>
        {(sk) => (
          <Versions
            what={sk().name}
            current={current()?.current_version ?? sk().current_version}
            load={() => api.skills.versions(sk().id)}
            rollback={(v) => api.skills.rollback(sk().id, v)}
            onChanged={() => {
              setText("");
              refetch();
            }}
          />
        )}
      </Show>
      <form.FormError />
    </FormDialog>
  );
}

/** A skill from a zip (a folder with SKILL.md) or a git repository. */
function ImportDialog(props: { kind: "zip" | "git"; onClose: () => void; onSaved: () => void }) {
  const [file, setFile] = createSignal<File | null>(null);
  const [url, setUrl] = createSignal("");
  const [ref, setRef] = createSignal("");
  const [path, setPath] = createSignal("");
  const form = createApiForm({ nested: true });
  const submit = () =>
    form.submit(async () => {
      let saved: SkillView;
      if (props.kind === "zip") {
        const f = file();
        if (!f) throw new Error("Choose a .zip file first");
        saved = await api.skills.import({ zip_base64: await base64Of(f) });
      } else {
        saved = await api.skills.import({ git_url: url(), ...(ref() ? { git_ref: ref() } : {}), ...(path() ? { path: path() } : {}) });
      }
      toast(`Imported ${saved.name}`);
      props.onSaved();
    });
  return (
    <FormDialog
      title={props.kind === "zip" ? "Upload a skill (zip)" : "Import a skill from git"}
      submitLabel="Import"
      busyLabel="Importing…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <Show
        when={props.kind === "zip"}
        fallback={
          <>
            <label class="field">
              Repository URL <span class="hint">https; LAP clones it once and keeps the files</span>
              <input
                name="git_url"
                value={url()}
                onInput={(e) => setUrl(e.currentTarget.value)}
                placeholder="https://github.com/org/skills"
              />
              <form.FieldError field="git_url" />
            </label>
            <label class="field">
              Branch or tag <span class="hint">optional</span>
              <input name="git_ref" value={ref()} onInput={(e) => setRef(e.currentTarget.value)} />
              <form.FieldError field="git_ref" />
            </label>
            <label class="field">
              Folder <span class="hint">the skill's folder in the repository, if not the top</span>
              <input name="path" value={path()} onInput={(e) => setPath(e.currentTarget.value)} placeholder="skills/pdf-forms" />
              <form.FieldError field="path" />
            </label>
          </>
        }
      >
        <label class="field">
          Zip file <span class="hint">SKILL.md at the top or in one folder; at most 100 files, 2 MB expanded</span>
          <input name="zip" type="file" accept=".zip,application/zip" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          <form.FieldError field="zip_base64" />
        </label>
      </Show>
      <form.FormError />
    </FormDialog>
  );
}

async function base64Of(f: File): Promise<string> {
  const bytes = new Uint8Array(await f.arrayBuffer());
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
