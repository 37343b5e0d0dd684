import { A, useNavigate, useParams } from "@solidjs/router";
import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { OutcomeBadge, quietRefresh, SessionLink, usd, wallClock } from "../components/automation";
import { ConfirmDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { ScheduleForm } from "../components/ScheduleForm";
import { ErrorAlert, toast } from "../components/ui";
import { api, type RunView, type ScheduleView } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useCreate } from "../lib/shortcuts";

/** Runs a person can start or stop from a list row or the detail page. */
function useScheduleActions(refresh: () => void) {
  const [deleting, setDeleting] = createSignal<ScheduleView | null>(null);
  const run = async (s: ScheduleView) => {
    try {
      const r = await api.schedules.run(s.id);
      toast(r.status === "pending" ? `${s.name} will run when the previous run ends` : `Started ${s.name}`);
    } catch (err) {
      toast((err as Error).message);
    }
    refresh();
  };
  const toggle = async (s: ScheduleView) => {
    await (s.status === "active" ? api.schedules.pause(s.id) : api.schedules.resume(s.id));
    toast(s.status === "active" ? `Paused ${s.name}` : `Resumed ${s.name}`);
    refresh();
  };
  return { deleting, setDeleting, run, toggle };
}

export function Schedules() {
  const [schedules, { refetch }] = createResource(api.schedules.list);
  const [editing, setEditing] = createSignal<ScheduleView | "new" | null>(null);
  const actions = useScheduleActions(refetch);
  useCreate(() => setEditing("new"));
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Schedules</h1>
          <p>Prompts sent to an agent on a cron schedule in a time zone. Each slot runs once, whichever LAP replica is up.</p>
        </div>
        <button class="btn primary" onClick={() => setEditing("new")}>
          New schedule <span class="kbd">c</span>
        </button>
      </div>
      <ListCard
        items={schedules}
        retry={refetch}
        colCount={6}
        columns={
          <>
            <th>Name</th>
            <th>When</th>
            <th>Next run</th>
            <th>Last run</th>
            <th>Status</th>
            <th />
          </>
        }
        empty={{
          title: "No schedules yet",
          text: "Send an agent a prompt every weekday morning, every hour, or on the first of the month.",
          action: (
            <button class="btn primary" onClick={() => setEditing("new")}>
              Create your first schedule
            </button>
          ),
        }}
      >
        <For each={schedules()}>
          {(s) => (
            <tr data-testid="schedule-row">
              <td>
                <A href={`/schedules/${s.id}`}>{s.name}</A>
                <div class="muted">{s.agent_name ?? s.agent_id}</div>
              </td>
              <td>
                <span class="mono">{s.cron}</span>
                <div class="muted">{s.timezone}</div>
              </td>
              <td title={s.next_run_at ?? ""}>
                {s.next_run_at ? wallClock(s.next_run_at, s.timezone) : <span class="muted">paused</span>}
              </td>
              <td>
                <Show when={s.last_run} fallback={<span class="muted">never</span>}>
                  {(r) => (
                    <>
                      <OutcomeBadge status={r().status} />{" "}
                      <span class="muted" title={r().created_at}>
                        {timeAgo(r().created_at)}
                      </span>
                    </>
                  )}
                </Show>
              </td>
              <td>
                <span class={`badge ${s.status === "active" ? "ok" : "warn"}`}>{s.status}</span>
              </td>
              <td style={{ "text-align": "right", "white-space": "nowrap" }}>
                <button class="btn sm" onClick={() => actions.run(s)} aria-label={`Run ${s.name} now`}>
                  Run now
                </button>{" "}
                <button
                  class="btn sm"
                  onClick={() => actions.toggle(s)}
                  aria-label={`${s.status === "active" ? "Pause" : "Resume"} ${s.name}`}
                >
                  {s.status === "active" ? "Pause" : "Resume"}
                </button>{" "}
                <button class="btn sm" onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>
                  Edit
                </button>{" "}
                <button class="btn sm danger" onClick={() => actions.setDeleting(s)} aria-label={`Delete ${s.name}`}>
                  Delete
                </button>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={editing()}>
        {(e) => (
          <ScheduleForm
            schedule={e() === "new" ? null : (e() as ScheduleView)}
            onClose={() => setEditing(null)}
            onSaved={() => {
              setEditing(null);
              refetch();
            }}
          />
        )}
      </Show>
      <DeleteSchedule actions={actions} onDone={refetch} />
    </div>
  );
}

function DeleteSchedule(props: { actions: ReturnType<typeof useScheduleActions>; onDone: () => void }) {
  return (
    <Show when={props.actions.deleting()}>
      {(s) => (
        <ConfirmDialog
          title={`Delete ${s().name}?`}
          confirmLabel="Delete schedule"
          action={async () => {
            await api.schedules.remove(s().id);
            toast(`Deleted ${s().name}`);
          }}
          onClose={() => props.actions.setDeleting(null)}
          onDone={props.onDone}
        >
          No more runs, and its run history goes. The sessions it started stay.
        </ConfirmDialog>
      )}
    </Show>
  );
}

export function ScheduleDetail() {
  const params = useParams();
  const navigate = useNavigate();
  const [schedule, { refetch }] = createResource(() => params.id, api.schedules.get);
  const [runs, { refetch: refetchRuns }] = createResource(
    () => params.id,
    (id) => api.schedules.runs(id).then((r) => r.data),
  );
  const [editing, setEditing] = createSignal(false);
  const refresh = () => {
    refetch();
    refetchRuns();
  };
  const actions = useScheduleActions(refresh);
  // A run started from here moves from queued to its outcome within seconds: follow it.
  const poll = setInterval(() => (runs() ?? []).some((r) => ["pending", "queued", "running"].includes(r.status)) && refresh(), 2000);
  onCleanup(() => clearInterval(poll));
  return (
    <div class="page">
      <Show when={schedule.error}>
        <ErrorAlert error={schedule.error} retry={refetch} />
      </Show>
      <Show when={schedule()}>
        {(s) => (
          <>
            <div class="page-head">
              <div>
                <h1>{s().name}</h1>
                <p>
                  <span class="mono">{s().cron}</span> in {s().timezone} · {s().agent_name ?? s().agent_id} ·{" "}
                  <span class={`badge ${s().status === "active" ? "ok" : "warn"}`}>{s().status}</span>
                </p>
              </div>
              <div style={{ "white-space": "nowrap" }}>
                <button class="btn primary" onClick={() => actions.run(s())}>
                  Run now
                </button>{" "}
                <button class="btn" onClick={() => actions.toggle(s())}>
                  {s().status === "active" ? "Pause" : "Resume"}
                </button>{" "}
                <button class="btn" onClick={() => setEditing(true)}>
                  Edit
                </button>{" "}
                <button class="btn danger" onClick={() => actions.setDeleting(s())}>
                  Delete
                </button>
              </div>
            </div>
            <div class="grid-2" style={{ "margin-bottom": "16px" }}>
              <div class="card card-pad" style={{ "white-space": "pre-wrap" }}>
                <div class="muted">Prompt</div>
                {s().prompt}
              </div>
              <div class="card card-pad">
                <div class="muted">Next runs{s().status === "paused" ? " (once resumed)" : ""}</div>
                <ol class="next-runs" data-testid="next-runs">
                  <For each={s().next_runs}>{(r) => <li>{wallClock(r, s().timezone)}</li>}</For>
                </ol>
                <div class="muted" style={{ "margin-top": "8px" }}>
                  {s().session_mode === "new" ? "A new session per run" : "Runs continue one session"} · if the previous run is still going:{" "}
                  {s().concurrency} · missed while LAP was down: {s().catch_up ? "run once" : "skip"}
                </div>
              </div>
            </div>
            <h2>Runs</h2>
            <RunTable runs={quietRefresh(runs)} retry={refetchRuns} timezone={s().timezone} />
            <Show when={editing()}>
              <ScheduleForm
                schedule={s()}
                onClose={() => setEditing(false)}
                onSaved={() => {
                  setEditing(false);
                  refresh();
                }}
              />
            </Show>
          </>
        )}
      </Show>
      <DeleteSchedule actions={actions} onDone={() => navigate("/schedules")} />
    </div>
  );
}

function RunTable(props: { runs: { (): RunView[] | undefined; loading: boolean; error: unknown }; retry: () => void; timezone: string }) {
  return (
    <ListCard
      items={props.runs}
      retry={props.retry}
      colCount={6}
      columns={
        <>
          <th>Slot</th>
          <th>Trigger</th>
          <th>Outcome</th>
          <th>Session</th>
          <th>Cost</th>
          <th>Ended</th>
        </>
      }
      empty={{ title: "No runs yet", text: "Runs appear here when a slot fires or you press Run now." }}
    >
      <For each={props.runs()}>
        {(r) => (
          <tr data-testid="run-row">
            <td>{r.slot_at ? wallClock(r.slot_at, props.timezone) : <span class="muted">{timeAgo(r.created_at)}</span>}</td>
            <td>{r.trigger === "catch_up" ? "catch-up" : r.trigger}</td>
            <td>
              <OutcomeBadge status={r.status} />
              <Show when={r.error}>
                <div class="muted">{r.error}</div>
              </Show>
            </td>
            <td>
              <SessionLink id={r.session_id} />
            </td>
            <td class="mono">{usd(r.cost_usd)}</td>
            <td title={r.ended_at ?? ""}>{r.ended_at ? timeAgo(r.ended_at) : <span class="muted">—</span>}</td>
          </tr>
        )}
      </For>
    </ListCard>
  );
}
