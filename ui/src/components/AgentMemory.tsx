import { createResource, createSignal, For, Show } from "solid-js";
import { ListCard } from "./list-card";
import { Dialog, toast } from "./ui";
import { api, ApiError, type MemoryView } from "../lib/api";
import { timeAgo } from "../lib/format";

/**
 * An agent's memory (docs/memory.md): entries with their always-on switch, edits, deletes and a
 * history from which any version comes back. Entries the agent wrote say which session wrote them.
 */
export function AgentMemory(props: { agentId: string }) {
  const [search, setSearch] = createSignal("");
  const [showDeleted, setShowDeleted] = createSignal(false);
  // A change bumps `version`, which reloads the list (with the search and filter as they are).
  const [version, setVersion] = createSignal(0);
  const [list] = createResource(
    () => ({ id: props.agentId, q: search(), deleted: showDeleted(), v: version() }),
    (k) => api.memory.list(k.id, { q: k.q, deleted: k.deleted }),
  );
  const refetch = () => setVersion(version() + 1);
  const [editing, setEditing] = createSignal<MemoryView | "new" | null>(null);
  const [history, setHistory] = createSignal<MemoryView | null>(null);
  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      toast(done);
      refetch();
    } catch (err) {
      toast((err as Error).message);
    }
  };
  return (
    <div data-testid="agent-memory">
      <div class="toolbar">
        <input
          type="search"
          placeholder="Search memory"
          aria-label="Search memory"
          value={search()}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <label class="muted">
          <input type="checkbox" checked={showDeleted()} onChange={(e) => setShowDeleted(e.currentTarget.checked)} /> Show deleted
        </label>
        <button class="btn primary" onClick={() => setEditing("new")}>
          Add memory
        </button>
      </div>
      <Show when={list()}>
        {(l) => (
          <p class="muted" data-testid="memory-usage">
            {l().usage.entries} entries · {l().usage.chars.toLocaleString()} of {l().limits.agent_chars.toLocaleString()} characters ·
            always-on {l().usage.always_on_chars.toLocaleString()} of {l().limits.always_on_chars.toLocaleString()} (in every new session's
            prompt)
          </p>
        )}
      </Show>
      <ListCard
        items={list}
        rows={() => list()?.data}
        retry={refetch}
        colCount={5}
        columns={
          <>
            <th>Key</th>
            <th>Content</th>
            <th>Always on</th>
            <th>Updated</th>
            <th />
          </>
        }
        empty={{
          title: search() ? "No entry matches" : "Nothing remembered yet",
          text: "The agent writes here with its memory tools; you can add entries too.",
        }}
      >
        <For each={list()?.data}>
          {(m) => (
            <tr data-testid="memory-row" classList={{ muted: m.deleted }}>
              <td class="mono">
                {m.key}
                <Show when={m.scope === "user"}>
                  {" "}
                  <span class="badge">yours</span>
                </Show>
                <Show when={m.deleted}>
                  {" "}
                  <span class="badge warn">deleted</span>
                </Show>
              </td>
              <td style={{ "white-space": "pre-wrap", "max-width": "420px" }}>
                {m.content.length > 300 ? `${m.content.slice(0, 300)}…` : m.content}
              </td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Always on: ${m.key}`}
                  checked={m.always_on}
                  disabled={m.deleted}
                  onChange={(e) =>
                    act(
                      () => api.memory.update(props.agentId, m.id, { always_on: e.currentTarget.checked }),
                      `${m.key}: always on ${e.currentTarget.checked ? "" : "off"}`.trim(),
                    )
                  }
                />
              </td>
              <td>
                {timeAgo(m.updated_at)}
                <div class="muted">
                  v{m.version} · {m.updated_by}
                </div>
              </td>
              <td style={{ "white-space": "nowrap" }}>
                <Show
                  when={!m.deleted}
                  fallback={
                    <button class="btn" onClick={() => act(() => api.memory.restore(props.agentId, m.id), `Restored ${m.key}`)}>
                      Restore
                    </button>
                  }
                >
                  <button class="btn" onClick={() => setEditing(m)}>
                    Edit
                  </button>{" "}
                  <button class="btn danger" onClick={() => act(() => api.memory.remove(props.agentId, m.id), `Deleted ${m.key}`)}>
                    Delete
                  </button>
                </Show>{" "}
                <button class="btn" onClick={() => setHistory(m)}>
                  History
                </button>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={editing()}>
        {(e) => (
          <MemoryForm
            agentId={props.agentId}
            entry={e() === "new" ? null : (e() as MemoryView)}
            onClose={() => setEditing(null)}
            onSaved={() => {
              refetch();
              setEditing(null);
            }}
          />
        )}
      </Show>
      <Show when={history()}>
        {(m) => (
          <MemoryHistory
            agentId={props.agentId}
            entry={m()}
            onClose={() => setHistory(null)}
            onRestored={() => {
              refetch();
              setHistory(null);
            }}
          />
        )}
      </Show>
    </div>
  );
}

function MemoryForm(props: { agentId: string; entry: MemoryView | null; onClose: () => void; onSaved: () => void }) {
  const [key, setKey] = createSignal(props.entry?.key ?? "");
  const [content, setContent] = createSignal(props.entry?.content ?? "");
  const [alwaysOn, setAlwaysOn] = createSignal(props.entry?.always_on ?? false);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  const submit = async () => {
    setBusy(true);
    setErrors({});
    try {
      const body = { key: key(), content: content(), always_on: alwaysOn() };
      if (props.entry) await api.memory.update(props.agentId, props.entry.id, body);
      else await api.memory.create(props.agentId, body);
      toast(props.entry ? `Saved ${key()}` : `Remembered ${key()}`);
      props.onSaved();
    } catch (err) {
      if (err instanceof ApiError && err.fields.length) setErrors(Object.fromEntries(err.fields.map((f) => [f.field, f.message])));
      else setErrors({ _: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const err = (name: string) => (
    <Show when={errors()[name]}>
      <span class="field-error">{errors()[name]}</span>
    </Show>
  );
  return (
    <Dialog
      title={props.entry ? `Edit ${props.entry.key}` : "Add memory"}
      onSubmit={submit}
      onClose={props.onClose}
      footer={
        <>
          <button class="btn" type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button class="btn primary" type="submit" disabled={busy()}>
            {busy() ? "Saving…" : "Save"}
          </button>
        </>
      }
    >
      <label class="field">
        Key <span class="hint">a short title, such as deploy-steps</span>
        <input name="key" value={key()} onInput={(e) => setKey(e.currentTarget.value)} />
        {err("key")}
      </label>
      <label class="field">
        Content
        <textarea name="content" rows={6} value={content()} onInput={(e) => setContent(e.currentTarget.value)} />
        {err("content")}
      </label>
      <label class="field">
        <span>
          <input type="checkbox" name="always_on" checked={alwaysOn()} onChange={(e) => setAlwaysOn(e.currentTarget.checked)} /> Always on{" "}
          <span class="hint">in every new session's system prompt</span>
        </span>
        {err("always_on")}
      </label>
      <Show when={errors()._}>
        <div class="field-error">{errors()._}</div>
      </Show>
    </Dialog>
  );
}

function MemoryHistory(props: { agentId: string; entry: MemoryView; onClose: () => void; onRestored: () => void }) {
  const [versions] = createResource(() => api.memory.history(props.agentId, props.entry.id));
  const revert = async (version: number) => {
    try {
      await api.memory.restore(props.agentId, props.entry.id, version);
      toast(`Reverted ${props.entry.key} to version ${version}`);
      props.onRestored();
    } catch (err) {
      toast((err as Error).message);
    }
  };
  return (
    <Dialog
      title={`History of ${props.entry.key}`}
      onClose={props.onClose}
      footer={
        <button class="btn" type="button" onClick={props.onClose}>
          Close
        </button>
      }
    >
      <ListCard
        bare
        items={versions}
        colCount={4}
        testId="memory-history"
        columns={
          <>
            <th>Version</th>
            <th>Change</th>
            <th>Content</th>
            <th />
          </>
        }
        empty={{ title: "No versions" }}
      >
        <For each={versions()}>
          {(v) => (
            <tr data-testid="memory-version">
              <td>
                v{v.version}
                <div class="muted">
                  {timeAgo(v.created_at)} · {v.updated_by}
                </div>
              </td>
              <td>
                {v.change}
                {v.always_on ? " · always on" : ""}
              </td>
              <td style={{ "white-space": "pre-wrap", "max-width": "320px" }}>
                {v.content.length > 200 ? `${v.content.slice(0, 200)}…` : v.content}
              </td>
              <td>
                <Show when={v.version !== props.entry.version}>
                  <button class="btn" type="button" onClick={() => revert(v.version)}>
                    Revert to v{v.version}
                  </button>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
    </Dialog>
  );
}
