import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { api, ApiError, type ScheduleView } from "../lib/api";
import { wallClock } from "./automation";
import { createApiForm, FormDialog } from "./forms";
import { toast } from "./ui";

const PRESETS = [
  { label: "Every 15 minutes", cron: "*/15 * * * *" },
  { label: "Hourly", cron: "0 * * * *" },
  { label: "Daily at 09:00", cron: "0 9 * * *" },
  { label: "Weekdays at 09:00", cron: "0 9 * * MON-FRI" },
  { label: "Mondays at 09:00", cron: "0 9 * * MON" },
  { label: "Monthly, the 1st", cron: "0 9 1 * *" },
];
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const zones = (() => {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
})();

/** Create or edit a schedule: a cron helper (presets), the next runs as they will fire, and the policies. */
export function ScheduleForm(props: { schedule: ScheduleView | null; onClose: () => void; onSaved: (s: ScheduleView) => void }) {
  const s = props.schedule;
  const [agents] = createResource(() => api.agents.list());
  const [v, setV] = createSignal({
    name: s?.name ?? "",
    agent_id: s?.agent_id ?? "",
    prompt: s?.prompt ?? "",
    cron: s?.cron ?? "0 9 * * MON-FRI",
    timezone: s?.timezone ?? browserZone(),
    session_mode: s?.session_mode ?? "new",
    concurrency: s?.concurrency ?? "skip",
    catch_up: s?.catch_up ?? false,
  });
  const set = (k: keyof ReturnType<typeof v>) => (e: { currentTarget: { value: string } }) => setV({ ...v(), [k]: e.currentTarget.value });
  const form = createApiForm();

  // The preview follows the expression as it is typed, a moment after the last key.
  const [when, setWhen] = createSignal({ cron: v().cron, timezone: v().timezone });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedulePreview = () => {
    // The preview now says whether the expression is good: an error from the last submit is stale.
    const { cron: _c, timezone: _t, ...rest } = form.errors();
    form.setErrors(rest);
    clearTimeout(timer);
    timer = setTimeout(() => setWhen({ cron: v().cron, timezone: v().timezone }), 250);
  };
  onCleanup(() => clearTimeout(timer));
  const [preview] = createResource(when, async (w) => {
    try {
      return { runs: (await api.schedules.preview(w.cron, w.timezone)).next_runs, error: null };
    } catch (err) {
      const f = err instanceof ApiError ? err.fields[0] : undefined;
      return { runs: [], error: f ? `${f.field}: ${f.message}` : (err as Error).message };
    }
  });

  const submit = () =>
    form.submit(async () => {
      const f = v();
      const body = { ...f, session_mode: f.session_mode as "new" | "continue", concurrency: f.concurrency as "skip" | "queue" };
      const saved = s ? await api.schedules.update(s.id, body) : await api.schedules.create(body);
      toast(s ? `Saved ${saved.name}` : `Created ${saved.name}`);
      props.onSaved(saved);
    });

  return (
    <FormDialog
      title={s ? `Edit ${s.name}` : "New schedule"}
      submitLabel={s ? "Save" : "Create schedule"}
      busyLabel="Saving…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <label class="field">
        Name
        <input
          name="name"
          value={v().name}
          onInput={set("name")}
          placeholder="weekday standup summary"
          aria-invalid={form.invalid("name")}
        />
        <form.FieldError field="name" />
      </label>
      <label class="field">
        Agent
        <select name="agent_id" value={v().agent_id} onChange={set("agent_id")} aria-invalid={form.invalid("agent_id")}>
          <option value="">Choose an agent</option>
          <For each={agents() ?? []}>{(a) => <option value={a.id}>{a.name}</option>}</For>
        </select>
        <form.FieldError field="agent_id" />
      </label>
      <label class="field">
        Prompt <span class="hint">sent to the agent on every run</span>
        <textarea name="prompt" rows={3} value={v().prompt} onInput={set("prompt")} aria-invalid={form.invalid("prompt")} />
        <form.FieldError field="prompt" />
      </label>
      <div class="field">
        <span>Presets</span>
        <div class="chips" role="group" aria-label="Cron presets">
          <For each={PRESETS}>
            {(p) => (
              <button
                type="button"
                class="btn sm"
                onClick={() => {
                  setV({ ...v(), cron: p.cron });
                  schedulePreview();
                }}
              >
                {p.label}
              </button>
            )}
          </For>
        </div>
      </div>
      <div class="grid-2">
        <label class="field">
          Cron expression <span class="hint">minute hour day month weekday</span>
          <input
            name="cron"
            class="mono"
            value={v().cron}
            onInput={(e) => {
              set("cron")(e);
              schedulePreview();
            }}
            aria-invalid={form.invalid("cron")}
          />
          <form.FieldError field="cron" />
        </label>
        <label class="field">
          Time zone
          <input
            name="timezone"
            list="lap-timezones"
            value={v().timezone}
            onInput={(e) => {
              set("timezone")(e);
              schedulePreview();
            }}
            aria-invalid={form.invalid("timezone")}
          />
          <datalist id="lap-timezones">
            <For each={zones}>{(z) => <option value={z} />}</For>
          </datalist>
          <form.FieldError field="timezone" />
        </label>
      </div>
      <div class="field" aria-live="polite">
        <span>Next runs</span>
        <Show
          when={!preview()?.error}
          fallback={
            <span class="field-error" data-testid="cron-preview-error">
              {preview()?.error}
            </span>
          }
        >
          <ol class="next-runs" data-testid="cron-preview">
            <For each={preview()?.runs ?? []}>{(r) => <li>{wallClock(r, when().timezone)}</li>}</For>
          </ol>
        </Show>
      </div>
      <div class="grid-2">
        <label class="field">
          Sessions
          <select name="session_mode" value={v().session_mode} onChange={set("session_mode")}>
            <option value="new">a new session for every run</option>
            <option value="continue">continue one session</option>
          </select>
        </label>
        <label class="field">
          If the previous run is still going
          <select name="concurrency" value={v().concurrency} onChange={set("concurrency")}>
            <option value="skip">skip this run</option>
            <option value="queue">wait for it (one run at most)</option>
          </select>
        </label>
      </div>
      <label class="field check">
        <input
          type="checkbox"
          name="catch_up"
          checked={v().catch_up}
          onChange={(e) => setV({ ...v(), catch_up: e.currentTarget.checked })}
        />
        Run once when LAP is back, if a run was missed while it was down
      </label>
      <form.FormError />
    </FormDialog>
  );
}
