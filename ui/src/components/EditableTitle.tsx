import { createSignal, Show } from "solid-js";
import { api, ApiError, type SessionView } from "../lib/api";
import { toast } from "./ui";

/**
 * A session's title, renamed in place (docs/sessions.md "Titles"): click Rename (or the title), type,
 * Enter saves, Escape cancels. A title set here is never replaced by a generated one.
 */
export function EditableTitle(props: { session: SessionView | undefined; fallback: string; onRenamed: (s: SessionView) => void }) {
  const [editing, setEditing] = createSignal(false);
  const [value, setValue] = createSignal("");
  const [error, setError] = createSignal("");
  const [saving, setSaving] = createSignal(false);
  const start = () => {
    if (!props.session) return;
    setValue(props.session.title);
    setError("");
    setEditing(true);
  };
  const save = async () => {
    const s = props.session;
    if (!s || saving() || !editing()) return;
    if (value().trim() === s.title) return setEditing(false);
    setSaving(true);
    try {
      props.onRenamed(await api.sessions.rename(s.id, value()));
      setEditing(false);
    } catch (err) {
      const msg =
        err instanceof ApiError && err.fields.length
          ? err.fields.map((f) => `${f.field}: ${f.message}`).join("; ")
          : (err as Error).message;
      setError(msg);
      toast(msg);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Show
      when={editing()}
      fallback={
        <h1 data-testid="session-title">
          <span onDblClick={start}>{props.session?.title || props.fallback}</span>
          <Show when={props.session}>
            <button class="btn ghost rename" type="button" onClick={start} aria-label="Rename session" title="Rename">
              Rename
            </button>
          </Show>
        </h1>
      }
    >
      <form onSubmit={(e) => (e.preventDefault(), void save())}>
        <input
          class="title-edit"
          aria-label="Session title"
          maxLength={200}
          value={value()}
          ref={(el) => queueMicrotask(() => (el.focus(), el.select()))}
          onInput={(e) => setValue(e.currentTarget.value)}
          onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
          onBlur={() => void save()}
          disabled={saving()}
        />
        <Show when={error()}>
          <span class="field-error">{error()}</span>
        </Show>
      </form>
    </Show>
  );
}
